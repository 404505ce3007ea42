"""The Dask engine: the pipeline's steps as Dask tasks over partitions, on a cluster of processes
(a LocalCluster on 127.0.0.1, or the scheduler given), into a new store written at the end.

Partitions: plain JSONL files are cut into byte ranges at line starts (a first pass counts their
lines, so problems and row names carry the same line numbers as in the local engine); other
files are grouped whole (pages, WARC, Parquet, gzip JSONL). Each partition is read, extracted
and fingerprinted where it lands (`dask_tasks.extract_part`); this process takes its captures
and article rows in order into the store (ids run on from one partition to the next, as the
local engine numbers them), while the workers keep what matching needs. Then, all as tasks:

1. band keys shuffled by key range, every bucket whole in one task: its pairs (a bucket over its
   limit gives none: `match.candidates.bucket_weights`); exact copies shuffled by body hash;
2. candidate pairs sent to the partition of their smaller id, weights summed per pair; each
   partition asks the others for its partners' sketches and sets, and verifies there
   (`pipeline.verify_candidates`);
3. connected components of the verified edges by large-star/small-star rounds, edges
   partitioned by node (`components.py`), until a round changes nothing;
4. each component's articles and edges gathered by label, star clustering there
   (`cluster.plan_placement`: components are independent, so this gives the local engine's stories);
5. this process writes edges, the band index (the key ranges in order are one sorted run),
   stories, placements and merge evidence, and commits once: a run killed part-way leaves the
   store as it was.

This engine builds a store: into a store that already holds articles, ingest with the local engine.
"""
from __future__ import annotations

import logging
import math
import os
import socket
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from operator import getitem
from pathlib import Path

import distributed  # noqa: F401  (the engine's cluster: a missing install shows at import)
import numpy as np
from tqdm import tqdm

from .. import index
from ..model import IngestReport, PairScores, Problem
from ..read import discover, format_of
from ..store import Transaction, reads, writes
from ..store import bands as stored_bands
from ..store.schema import create_bulk_indexes, drop_bulk_indexes
from . import dask_tasks as tasks
from .local import ingest_lock

PART_BYTES = 128 << 20  # input bytes a partition aims at
PARTS_PER_WORKER = 4  # at least this many partitions per worker thread (balance, and memory per task)


class StoreNotEmpty(Exception):
    """The Dask engine builds a store; this one already holds articles."""


def _pick(value, *path):
    for step in path:
        value = value[step]
    return value


def ingest(conn, paths: list[str], text_field: str | None = None, scheduler: str | None = None,
           workers: int | None = None, partitions: int | None = None, progress: bool | None = None,
           on_problem: Callable[[Problem], None] = lambda p: None, stats: dict | None = None) -> IngestReport:
    """Read `paths` into the (empty) store on `conn` on a Dask cluster: the one at `scheduler`
    (tcp://host:port), else a LocalCluster of `workers` processes (default: one per core).
    `partitions`: how many to cut the work into (default: from the input size and the
    cluster's threads). `stats`, if given, receives each stage's task count and output bytes."""
    with ingest_lock(conn):
        if reads.has_articles(conn):
            raise StoreNotEmpty("the Dask engine builds a new store, and this one holds articles already: "
                                "add to it with the local engine (no --engine)")
        report = IngestReport()
        with _client(scheduler, workers) as client:
            run = _Run(client, report, on_problem, progress)
            run.ingest(conn, paths, text_field, partitions)
            if stats is not None:
                stats.update(run.stage_stats())
                stats["components_rounds"] = getattr(run, "rounds", 0)
                stats["phases"] = {b[0]: round(b[1] - a[1], 3) for a, b in zip(run.phases, run.phases[1:])}
        report.stories = reads.count_stories(conn)
        return report


@contextmanager
def _client(scheduler: str | None, workers: int | None):
    from distributed import Client, LocalCluster

    if scheduler:
        _reachable(scheduler)
        with Client(scheduler, timeout="20s") as client:
            yield client
        return
    with LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                      host="127.0.0.1", dashboard_address=None, worker_dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        yield client


class _Run:
    def __init__(self, client, report: IngestReport, on_problem, progress: bool | None) -> None:
        self.client, self.report, self.on_problem, self.progress = client, report, on_problem, progress
        self.token = f"{os.getpid()}-{time.monotonic_ns()}"
        self.count = 0
        self.phases: list[tuple[str, float]] = [("start", time.monotonic())]

    def mark(self, phase: str) -> None:
        self.phases.append((phase, time.monotonic()))

    def submit(self, stage: str, fn, *args, near=None):
        """A task; `near`: a future whose worker should run it (its data is big, the result small)."""
        self.count += 1
        workers = None
        if near is not None:
            workers = self.client.who_has([near]).get(near.key) or None
        placed = {"workers": workers, "allow_other_workers": True} if workers else {}
        return self.client.submit(fn, *args, key=f"{stage}-{self.count}-{self.token}", pure=False, **placed)

    def pieces(self, stage: str, results: list, n: int, *path) -> list[list]:
        """Piece j of each result (under `path` in it), for the receivers of a shuffle: [j][i]."""
        return [[self.submit(stage, _pick, r, *path, j) for r in results] for j in range(n)]

    def stage_stats(self) -> dict:
        """Per stage (a key's prefix): tasks, and bytes of their results still held or last seen."""
        def collect(dask_scheduler):
            out: dict = {}
            for prefix, group in dask_scheduler.task_prefixes.items():
                out[prefix] = {"tasks": sum(group.states.values()), "bytes": int(group.nbytes_total),
                               "seconds": {k: round(v, 3) for k, v in group.all_durations.items()}}
            return out
        return self.client.run_on_scheduler(collect)

    # ---- the run -------------------------------------------------------------------------

    def ingest(self, conn, paths: list[str], text_field: str | None, partitions: int | None) -> None:
        threads = sum(self.client.nthreads().values()) or 1
        parts = self.plan_inputs(paths, text_field, partitions, threads)
        self.mark("plan inputs")
        extracted = [self.submit("extract", tasks.extract_part, p) for p in parts]
        for_store = [self.submit("store-rows", getitem, e, 0) for e in extracted]
        for_match = [self.submit("match-rows", getitem, e, 1) for e in extracted]
        del extracted
        now = time.time()
        with Transaction(conn):
            drop_bulk_indexes(conn)
            arts, keyed, starts = self.store_articles(conn, for_store, for_match, now)
            del for_store, for_match
            self.mark("extract and store articles")
            if self.report.articles:
                self.match_and_place(conn, arts, keyed, np.array(starts, np.int64), now)
            writes.mark_all_placed(conn)
            stored_bands.set_covered(conn, reads.last_article(conn))
            create_bulk_indexes(conn)
            self.mark("indexes")
        self.mark("commit")

    def plan_inputs(self, paths: list[str], text_field: str | None, partitions: int | None, threads: int) -> list:
        """The partitions of the input: plain JSONL cut into line ranges, other files grouped whole."""
        files, total = [], 0
        for item in discover(paths):
            if isinstance(item, Problem):
                self._problem(item)
                continue
            self.report.files += 1
            try:
                size = item.stat().st_size
            except OSError:
                size = 0
            files.append((item, size))
            total += size
        n_parts = partitions or max(PARTS_PER_WORKER * threads, math.ceil(total / PART_BYTES))
        target = max(1, math.ceil(total / n_parts))
        parts: list = []
        group: list[str] = []
        held = 0
        for path, size in files:
            if format_of(path) == "jsonl" and _plain(path) and size > target:
                if group:
                    parts.append(tasks.FileGroup(tuple(group), text_field))
                    group, held = [], 0
                parts.extend(_line_ranges(path, size, target, text_field))
                continue
            group.append(str(path))
            held += size
            if held >= target:
                parts.append(tasks.FileGroup(tuple(group), text_field))
                group, held = [], 0
        if group:
            parts.append(tasks.FileGroup(tuple(group), text_field))
        ranges = [k for k, p in enumerate(parts) if isinstance(p, tasks.LineRange)]
        counts = self.client.gather([self.submit("count-lines", tasks.count_lines, parts[k]) for k in ranges])
        line = {}
        for k, n in zip(ranges, counts):
            first = line.get(parts[k].path, 1)
            parts[k] = parts[k]._replace(first_lineno=first)
            line[parts[k].path] = first + n
        return parts

    def store_articles(self, conn, for_store: list, for_match: list, now: float) -> tuple[list, list, list[int]]:
        """Each partition's captures and article rows into the store, in input order (as they
        come: the workers go on with the next ones); its articles' ids are the next free ones.
        Returns each partition's articles for matching and their band keys cut by key range
        (futures), and its first id."""
        report = self.report
        seen: set[tuple[str, str]] = set()
        arts, keyed, starts = [], [], []
        bar = tqdm(total=len(for_store), unit="part", desc="ingest (dask)", file=sys.stderr,
                   disable=True if self.progress is False else None, mininterval=0.5)
        try:
            for k, future in enumerate(for_store):
                part = future.result()
                future.release()
                fresh = []
                at = 0
                for res in part.captures:
                    first, at = at, at + res.n_articles
                    if res.problem:
                        self._problem(res.problem)
                    elif (res.name, res.content_hash) in seen:  # the same capture twice is stored once
                        report.skipped += 1
                    else:
                        seen.add((res.name, res.content_hash))
                        fresh.append((res.name, res.content_hash, res.kind, first, res.n_articles))
                given = writes.new_ids(conn, fresh)
                writes.insert_captures(conn, fresh, part.rows, part, given, now)
                first_id = int(given.ids[0]) if given.ids.size else reads.last_article(conn) + 1
                starts.append(first_id)
                arts.append(self.submit("articles", tasks.part_articles, for_match[k], given.taken, first_id,
                                        near=for_match[k]))
                for_match[k].release()
                keyed.append(self.submit("band-pieces", tasks.band_pieces, arts[-1], len(for_store)))
                report.captures += len(fresh)
                report.articles += given.ids.size
                bar.update(1)
        finally:
            bar.close()
        return arts, keyed, starts

    def _problem(self, problem: Problem) -> None:
        self.report.problems.append(problem)
        self.on_problem(problem)

    def match_and_place(self, conn, arts: list, keyed: list, starts: np.ndarray, now: float) -> None:
        n = len(arts)
        submit, pieces = self.submit, self.pieces
        # 1. candidates: buckets by key range, exact copies by body hash
        buckets = [submit("buckets", tasks.bucket_candidates, starts, *p) for p in pieces("band-split", keyed, n, 0)]
        copies = [submit("copies", tasks.copy_candidates, starts, *p) for p in pieces("copy-split", keyed, n, 1)]
        del keyed
        from_buckets, from_copies = pieces("cand-split", buckets, n, 1), pieces("copy-cand-split", copies, n)
        candidates = [submit("candidates", tasks.partition_candidates, r, starts, *from_buckets[r], *from_copies[r])
                      for r in range(n)]
        del copies, from_buckets, from_copies
        self.mark("candidates submitted")
        # 2. verification where each pair's smaller id is, with its partners' data brought there
        wanted = pieces("wanted", candidates, n, 1)  # [q][r]: what r needs of q
        sizes = np.array(self.client.gather([submit("wanted-sizes", getitem, c, 2) for c in candidates])).T
        self.mark("candidates")
        edges = []
        for r in range(n):
            given = [submit("partners", tasks.partner_data, arts[q], wanted[q][r]) for q in range(n) if sizes[q][r]]
            edges.append(submit("verify", tasks.verify_part, arts[r], candidates[r], *given))
        del candidates, wanted
        # 3. connected components, while this thread writes the band index and the edges
        with ThreadPoolExecutor(1, thread_name_prefix="newsfold-components") as pool:
            found = pool.submit(self.components, edges, starts)
            stored_bands.save_run_chunks(conn, index.chunks_of_parts(
                self.client.submit(_pick, b, 0, pure=False).result() for b in buckets))
            del buckets
            self.mark("band index written")
            for future in edges:
                pairs, scores = future.result()
                writes.insert_edges(conn, [(a, b, PairScores(*s)) for (a, b), s in zip(pairs.tolist(), scores.tolist())])
            self.mark("verify, edges written")
            labels = found.result()
        self.mark("components")
        # 4. stories: components gathered by label
        gathered = [submit("place-pieces", tasks.placement_pieces, n, arts[r], edges[r], now,
                           *[self.submit("labels", _pick, lab, 2, r) for lab in labels]) for r in range(n)]
        placed = [submit("place", tasks.place_components, now, *p) for p in pieces("place-split", gathered, n, 0)]
        del arts, edges, labels
        report = self.report
        for future in gathered:
            stories, placements = self.submit("singles", getitem, future, 1).result()
            report.new_stories += writes.write_story_rows(conn, stories)
            writes.write_placements(conn, placements)
        for future in placed:
            stories, placements, merges = future.result()
            report.new_stories += writes.write_story_rows(conn, stories)
            writes.write_placements(conn, placements)
            writes.write_merges(conn, merges)
            report.folded += len(merges)
        self.mark("stories written")

    def components(self, edges: list, starts: np.ndarray) -> list:
        """Large-star/small-star rounds until the edge set stops changing; the last large-star
        results, whose third part holds every linked article's label (cut by article partition)."""
        n = len(edges)
        current = [self.submit("cc-edges", tasks.both_ways, n, self.submit("edge-pairs", getitem, e, 0)) for e in edges]
        before, rounds = None, 1
        while True:
            large = [self.submit("large-star", tasks.large_star_step, n, starts, *p)
                     for p in self.pieces("cc-split", current, n)]
            digests = self.client.gather([self.submit("cc-digest", getitem, s, 1) for s in large])
            digest = (sum(c for c, _ in digests), sum(h for _, h in digests) % (1 << 64))
            if digest == before:
                self.rounds = rounds
                return large
            rounds += 1
            before = digest
            current = [self.submit("small-star", tasks.small_star_step, n, *p)
                       for p in self.pieces("ls-split", large, n, 0)]


def _reachable(address: str) -> None:
    """OSError at once if nothing listens at a tcp:// address (the client would retry for its
    whole timeout)."""
    if address.startswith("tcp://"):
        host, _, port = address[len("tcp://"):].rpartition(":")
        if port.isdigit():
            socket.create_connection((host.strip("[]"), int(port)), timeout=20).close()


def _plain(path: Path) -> bool:
    """Not gzip (a gzip stream cannot be cut into byte ranges)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(2) != b"\x1f\x8b"
    except OSError:
        return False


def _line_ranges(path: Path, size: int, target: int, text_field: str | None) -> list:
    """A plain JSONL file cut into byte ranges of about `target` bytes, each starting at a line start."""
    cuts = [0]
    with open(path, "rb") as fh:
        while cuts[-1] + target < size:
            fh.seek(cuts[-1] + target)
            at = cuts[-1] + target
            while True:
                piece = fh.read(1 << 16)
                if not piece:
                    at = size
                    break
                end = piece.find(b"\n")
                if end >= 0:
                    at += end + 1
                    break
                at += len(piece)
            if at >= size:
                break
            cuts.append(at)
    cuts.append(size)
    return [tasks.LineRange(str(path), a, b, text_field) for a, b in zip(cuts[:-1], cuts[1:])]
