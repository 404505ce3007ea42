"""The Dask engine: the pipeline's steps as Dask tasks over partitions, on a cluster of processes
(a LocalCluster on 127.0.0.1, or the scheduler given), into a new store written at the end.

Partitions (`dask_inputs`): plain JSONL files are cut into byte ranges at line starts; other
files are grouped whole. Each partition is read, extracted and fingerprinted where it lands
(`dask_tasks.extract_part`); this process takes its captures
and article rows in order into the store (ids run on from one partition to the next, as the
local engine numbers them), while the workers keep what matching needs. Then, all as tasks:

1. band keys shuffled by key range, every bucket whole in one task: the pairs of its first
   `limit` members (`match.candidates.bucket_weights`); exact copies shuffled by body hash;
2. candidate pairs sent to the partition of their smaller id, weights summed per pair; each
   partition asks the others for its partners' sketches and sets, and verifies there
   (`pipeline.verify_candidates`);
3. connected components of the verified edges by large-star/small-star rounds, edges
   partitioned by node (`dask_stories`, `components`), until a round changes nothing;
4. each component's articles and edges gathered by label, star clustering there
   (`dask_stories`, `cluster.plan_placement`: components are independent, so this gives the
   local engine's stories);
5. this process writes edges, the band index (the key ranges in order are one sorted run),
   stories, placements and merge evidence, and commits once: a run killed part-way leaves the
   store as it was.

Results move between tasks by Dask's task shuffle (`dask_shuffle`). This engine builds a store: into a store that already holds articles, ingest with the local engine.
"""
from __future__ import annotations

import logging
import math
import os
import socket
import sys
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from operator import getitem

import distributed  # noqa: F401  (the engine's cluster: a missing install shows at import)
import numpy as np
from tqdm import tqdm

from .. import index
from ..model import IngestReport, PairScores, Problem
from ..pipeline import keyed_pairs
from ..read import discover
from ..store import Transaction, reads, writes
from ..store import bands as stored_bands
from ..store.schema import create_bulk_indexes, drop_bulk_indexes
from . import dask_inputs as inputs
from . import dask_shuffle as shuffle
from . import dask_stories as story_tasks
from . import dask_tasks as tasks
from .local import ingest_lock

PART_BYTES = 128 << 20  # input bytes a partition aims at
PARTS_PER_WORKER = 4  # at least this many partitions per worker thread (balance, and memory per task)
AHEAD_PER_THREAD = 2  # partitions extracted ahead of the store per worker thread: the workers never wait
# for the store, and hold at most this many partitions' rows each (the store takes them in order)
DIRECT_SHUFFLE = 16  # up to this many partitions a shuffle moves each piece once; past it, in two stages


class StoreNotEmpty(Exception):
    """The Dask engine builds a store; this one already holds articles."""


def ingest(conn, paths: list[str], text_field: str | None = None, scheduler: str | None = None,
           workers: int | None = None, partitions: int | None = None, progress: bool | None = None,
           on_problem: Callable[[Problem], None] = lambda p: None, stats: dict | None = None,
           search_index: bool = True) -> IngestReport:
    """Read `paths` into the (empty) store on `conn` on a Dask cluster: the one at `scheduler`
    (tcp://host:port), else a LocalCluster of `workers` processes (default: one per core).
    `partitions`: how many to cut the work into (default: from the input size and the
    cluster's threads). `stats`, if given, receives each stage's task count and output bytes.
    `search_index`: bring the full-text index up to date at the end, as the local engine does."""
    with ingest_lock(conn):
        if reads.has_articles(conn):
            raise StoreNotEmpty("the Dask engine builds a new store, and this one holds articles already: "
                                "add to it with the local engine (no --engine)")
        report = IngestReport()
        with _client(scheduler, workers) as client:
            run = _Run(client, report, on_problem, progress)
            run.ingest(conn, paths, text_field, partitions, meter=stats is not None)
            if stats is not None:
                stats.update(run.stage_stats())
                stats["components_rounds"] = run.rounds
                stats["phases"] = {b[0]: round(b[1] - a[1], 3) for a, b in zip(run.phases, run.phases[1:])}
        if search_index:
            writes.index_for_search(conn)
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
        self.rounds = 0

    def mark(self, phase: str) -> None:
        self.phases.append((phase, time.monotonic()))

    def _keys(self, stage: str, n: int) -> list[str]:
        self.count += n
        return [f"{stage}-{self.count - n + i}-{self.token}" for i in range(n)]

    def submit(self, stage: str, fn, *args, near=None):
        """A task; `near`: a future whose worker should run it (its data is big, the result small)."""
        workers = self.client.who_has([near]).get(near.key) or None if near is not None else None
        placed = {"workers": workers, "allow_other_workers": True} if workers else {}
        return self.client.submit(fn, *args, key=self._keys(stage, 1)[0], pure=False, **placed)

    def map(self, stage: str, fn, *columns: list, near: list | None = None) -> list:
        """fn(column values…) for each row of the columns: a stage's tasks, sent in one message
        (one per worker with `near`: futures whose worker should run each task, for tasks that
        read a partition's articles: the scheduler would otherwise move them to a free worker)."""
        n = len(columns[0])
        keys = self._keys(stage, n)
        if not n:
            return []
        if near is None:
            return self.client.map(fn, *columns, key=keys, pure=False)
        where = self.client.who_has(near)
        groups: dict[tuple, list[int]] = {}
        for i, future in enumerate(near):
            groups.setdefault(tuple(where.get(future.key) or ()), []).append(i)
        out: list = [None] * n
        for workers, rows in groups.items():
            placed = {"workers": list(workers), "allow_other_workers": True} if workers else {}
            futures = self.client.map(fn, *[[c[i] for i in rows] for c in columns], key=[keys[i] for i in rows],
                                      pure=False, **placed)
            for i, future in zip(rows, futures):
                out[i] = future
        return out

    def pieces(self, stage: str, results: list, n: int, *path) -> list[list]:
        """A shuffle: each result (under `path` in it) is a list of n pieces; returns, for each
        receiver j, the futures of its bundles (lists of pieces, senders in order). Up to
        DIRECT_SHUFFLE receivers, a task per piece (senders × receivers tasks); past it, two
        stages through groups of about √n senders and receivers: about 2·senders·√n tasks, each
        piece moved twice (Dask's task shuffle in stages)."""
        m = len(results)
        if n <= DIRECT_SHUFFLE:
            flat = self.map(stage, shuffle.piece, [r for _ in range(n) for r in results], [path] * (n * m),
                            [j for j in range(n) for _ in range(m)])
            return [flat[j * m:(j + 1) * m] for j in range(n)]
        g = math.ceil(math.sqrt(n))
        groups = [(lo, min(lo + g, n)) for lo in range(0, n, g)]
        blocks = [(a, min(a + g, m)) for a in range(0, m, g)]
        cuts = self.map(stage + "-cut", shuffle.pieces_for, [r for _ in groups for r in results],
                        [path] * (len(groups) * m), [lo for lo, _ in groups for _ in results],
                        [hi for _, hi in groups for _ in results])
        joined = self.map(stage + "-join", shuffle.join_senders,
                          [cuts[k * m + a:k * m + b] for k in range(len(groups)) for a, b in blocks])
        wanted = [(j, k * len(blocks) + i, j - lo) for k, (lo, hi) in enumerate(groups) for j in range(lo, hi)
                  for i in range(len(blocks))]
        flat = self.map(stage, shuffle.bundle, [joined[at] for _, at, _ in wanted], [d for *_, d in wanted])
        out: list[list] = [[] for _ in range(n)]
        for (j, _, _), future in zip(wanted, flat):
            out[j].append(future)
        return out

    def stage_stats(self) -> dict:
        """Per stage (a key's prefix): tasks run, bytes of their results, seconds spent."""
        def collect(dask_scheduler):
            meter = dask_scheduler.plugins.get(shuffle.StageMeter.name)
            timing = {prefix: {k: round(v, 3) for k, v in group.all_durations.items()}
                      for prefix, group in dask_scheduler.task_prefixes.items()}
            return {prefix: {"tasks": n, "bytes": meter.bytes[prefix], "seconds": timing.get(prefix, {})}
                    for prefix, n in (meter.tasks.items() if meter else ())}
        out = self.client.run_on_scheduler(collect)

        def sent(dask_worker):
            return int(getattr(dask_worker, "transfer_outgoing_bytes_total", 0))
        out["transfers_bytes"] = sum(self.client.run(sent).values())
        return out

    # ---- the run -------------------------------------------------------------------------

    def ingest(self, conn, paths: list[str], text_field: str | None, partitions: int | None, meter: bool) -> None:
        if meter:
            self.client.register_plugin(shuffle.StageMeter())
        threads = sum(self.client.nthreads().values()) or 1
        parts = self.plan_inputs(paths, text_field, partitions, threads)
        self.mark("plan inputs")
        now = time.time()
        with Transaction(conn):
            drop_bulk_indexes(conn)
            arts, keyed, starts = self.store_articles(conn, parts, AHEAD_PER_THREAD * threads, now)
            self.mark("extract and store articles")
            if self.report.articles:
                self.match_and_place(conn, arts, keyed, np.array(starts, np.int64), now)
            writes.mark_all_placed(conn)
            stored_bands.set_covered(conn, reads.last_article(conn))
            create_bulk_indexes(conn)
            self.mark("indexes")
        self.mark("commit")

    def plan_inputs(self, paths: list[str], text_field: str | None, partitions: int | None, threads: int) -> list:
        """The partitions of the input (`dask_inputs.cut_inputs`), their line ranges numbered."""
        files = []
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
        total = sum(size for _, size in files)
        n_parts = partitions or max(PARTS_PER_WORKER * threads, math.ceil(total / PART_BYTES))
        parts = inputs.cut_inputs(files, max(1, math.ceil(total / n_parts)), text_field)
        ranges = [k for k, p in enumerate(parts) if isinstance(p, inputs.LineRange)]
        counts = self.client.gather(self.map("count-lines", inputs.count_lines, [parts[k] for k in ranges]))
        return inputs.numbered(parts, dict(zip(ranges, counts)))

    def store_articles(self, conn, parts: list, ahead: int, now: float) -> tuple[list, list, list[int]]:
        """Each partition extracted, and its captures and article rows put into the store in
        input order as they come, `ahead` partitions extracted ahead of the store (their rows wait
        in the workers' memory until taken); its articles' ids are the next free ones. Returns
        each partition's articles for matching and their band keys cut by key range (futures),
        and its first id."""
        report = self.report
        seen: set[tuple[str, str]] = set()
        arts, keyed, starts = [], [], []
        waiting: deque = deque()

        def extract(k: int) -> None:
            done = self.submit("extract", tasks.extract_part, parts[k])
            waiting.append((self.submit("store-rows", getitem, done, 0), self.submit("match-rows", getitem, done, 1)))

        for k in range(min(ahead, len(parts))):
            extract(k)
        bar = tqdm(total=len(parts), unit="part", desc="ingest (dask)", file=sys.stderr,
                   disable=True if self.progress is False else None, mininterval=0.5)
        try:
            for k in range(len(parts)):
                future, for_match = waiting.popleft()
                part = future.result()
                if k + ahead < len(parts):
                    extract(k + ahead)
                near = future  # where the partition was extracted, and its match rows are
                fresh, pages = [], []
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
                        pages.append(res.page)
                given = writes.new_ids(conn, fresh)
                writes.insert_captures(conn, fresh, part.rows, part, given, now)
                writes.insert_capture_texts(conn, [(given.first_capture + k, page) for k, page in enumerate(pages)
                                                   if page])
                first_id = int(given.ids[0]) if given.ids.size else reads.last_article(conn) + 1
                starts.append(first_id)
                arts.append(self.submit("articles", tasks.part_articles, for_match, given.taken, first_id, now, near=near))
                for_match.release()
                near.release()
                keyed.append(self.submit("band-pieces", tasks.band_pieces, arts[-1], len(parts)))
                report.captures += len(fresh)
                report.articles += given.ids.size
                bar.update(1)
        finally:
            bar.close()
        return arts, keyed, starts

    def _problem(self, problem: Problem) -> None:
        self.report.add_problem(problem)
        self.on_problem(problem)

    def match_and_place(self, conn, arts: list, keyed: list, starts: np.ndarray, now: float) -> None:
        n = len(arts)
        every, pieces = [starts] * n, self.pieces
        # 1. candidates: each key range's buckets whole, and exact copies by body hash
        ranges = self.map("ranges", tasks.range_candidates, every, pieces("band-split", keyed, n))
        del keyed
        # the fact keys' pairs, found here from all partitions' keys (a few per dated article)
        fact_keys = [k for part in self.client.gather(self.map("fact-keys", tasks.part_fact_keys, arts)) for k in part]
        writes.insert_fact_keys(conn, fact_keys)
        fact_pairs = tasks.keyed_cut(starts, keyed_pairs(fact_keys, []))
        del fact_keys
        candidates = self.map("candidates", tasks.partition_candidates, list(range(n)), every,
                              pieces("cand-split", ranges, n, 1), fact_pairs)
        # 2. verification where each pair's smaller id is, with its partners' data brought there
        sizes = np.array(self.client.gather(self.map("wanted-sizes", getitem, candidates, [2] * n))).T
        self.mark("candidates")
        asked = [(q, r) for r in range(n) for q in range(n) if sizes[q][r]]
        given = self.map("partners", tasks.partner_data, [arts[q] for q, _ in asked], [candidates[r] for _, r in asked],
                         [q for q, _ in asked], near=[arts[q] for q, _ in asked])
        for_r: list[list] = [[] for _ in range(n)]
        for (_, r), future in zip(asked, given):
            for_r[r].append(future)
        edges = self.map("verify", tasks.verify_part, arts, candidates, for_r, near=arts)
        del candidates, given, for_r
        # 3. connected components, while this thread writes the band index and the edges
        with ThreadPoolExecutor(1, thread_name_prefix="newsfold-components") as pool:
            found = pool.submit(self.components, edges, starts)
            stored_bands.save_run_chunks(conn, index.chunks_of_parts(
                future.result() for future in self.map("band-run", getitem, ranges, [0] * n)))
            del ranges
            self.mark("band index written")
            for future in edges:
                pairs, scores, notes, apart = future.result()
                writes.insert_edges(conn, [(a, b, PairScores(*s)) for (a, b), s in zip(pairs.tolist(), scores.tolist())],
                                    notes)
                writes.insert_apart(conn, apart)
            self.mark("verify, edges written")
            labels = found.result()
        self.mark("components")
        # 4. stories: components gathered by label
        gathered = self.map("place-pieces", story_tasks.placement_pieces, [n] * n, arts, edges,
                            pieces("labels", labels, n, 2), near=arts)
        placed = self.map("place", story_tasks.place_components, pieces("place-split", gathered, n, 0))
        del arts, edges, labels
        # 5. story rows by story id range, placements and evidence by article: each in key order
        sources = self.map("singles", getitem, gathered, [1] * n) + placed
        cut = self.map("rows-cut", story_tasks.cut_rows, [n] * len(sources), [starts] * len(sources), sources)
        report = self.report
        for future in self.map("rows", story_tasks.sorted_rows, pieces("rows-split", cut, n)):
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
        current = self.map("cc-edges", story_tasks.both_ways, [n] * n, self.map("edge-pairs", getitem, edges, [0] * n))
        before = None
        while True:
            self.rounds += 1
            large = self.map("large-star", story_tasks.large_star_step, [n] * n, [starts] * n, self.pieces("cc-split", current, n))
            digests = self.client.gather(self.map("cc-digest", getitem, large, [1] * n))
            digest = (sum(c for c, _ in digests), sum(h for _, h in digests) % (1 << 64))
            if digest == before:
                return large
            before = digest
            current = self.map("small-star", story_tasks.small_star_step, [n] * n, self.pieces("ls-split", large, n, 0))


def _reachable(address: str) -> None:
    """OSError at once if nothing listens at a tcp:// address (the client would retry for its
    whole timeout)."""
    if address.startswith("tcp://"):
        host, _, port = address[len("tcp://"):].rpartition(":")
        if port.isdigit():
            socket.create_connection((host.strip("[]"), int(port)), timeout=20).close()
