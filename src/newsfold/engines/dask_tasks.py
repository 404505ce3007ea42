"""The Dask engine's tasks: pure functions of a partition's data, run on the workers (`dask.py`
lays them out and moves their results). Each calls the engine-neutral steps (`pipeline`,
`match.candidates`, `cluster.plan_placement`); what they add is how data is cut and routed.

A task that feeds a shuffle returns its output already cut into one piece per receiving
partition (a list), and the engine hands piece j to receiver j: Dask's task shuffle.
"""
from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import numpy as np
from dask.utils import key_split
from distributed.diagnostics.plugin import SchedulerPlugin

from ..cluster import Nodes, digest_halves, plan_placement, story_id
from ..config import SETTINGS
from ..match.candidates import bucket_weights, pair_codes, sum_by_code
from ..match.facts import Traits
from ..match.judge import Known
from ..match.prefilter import Sketches
from ..model import PairScores, Problem
from ..pipeline import (CAPTURED, PUBLISHED, TEXT, TITLE, TRAITS, ArticleRow, BatchPrints, Extracted,
                        article_fact_keys, known_of, process_chunk, publication_times, verify_candidates)
from ..published import time_code, time_iso
from ..read import RowBlock, read_path
from ..read.rows import read_jsonl_stream
from . import components

SCORE_FIELDS = len(PairScores._fields)


def piece(value, path: tuple, j: int) -> list:
    """Piece j of a task's result (found under `path` in it) as a bundle of one: what a shuffle's
    receiver j takes from one sender. Every receiver takes a list of bundles (lists of pieces)."""
    for step in path:
        value = value[step]
    return [value[j]]


def pieces_for(value, path: tuple, lo: int, hi: int) -> list:
    """A sender's pieces for receivers lo..hi-1 (the first stage of a two-stage shuffle)."""
    for step in path:
        value = value[step]
    return value[lo:hi]


def join_senders(cuts: list[list]) -> list[list]:
    """Several senders' pieces for a group of receivers → for each receiver, a bundle of their
    pieces in sender order (the second stage)."""
    return [[cut[d] for cut in cuts] for d in range(len(cuts[0]))] if cuts else []


def bundle(value: list, j: int) -> list:
    return value[j]


def _flat(bundles: list[list]) -> list:
    return [p for b in bundles for p in b]


class StageMeter(SchedulerPlugin):
    """On the scheduler: tasks run and bytes of their results, per stage (a key's prefix)."""

    name = "newsfold-stage-meter"

    def __init__(self) -> None:
        self.tasks: dict[str, int] = {}
        self.bytes: dict[str, int] = {}

    async def start(self, scheduler) -> None:
        self.scheduler = scheduler

    def transition(self, key, start, finish, *args, **kwargs) -> None:
        if finish != "memory":
            return
        prefix = key_split(key)
        ts = self.scheduler.tasks.get(key)
        self.tasks[prefix] = self.tasks.get(prefix, 0) + 1
        self.bytes[prefix] = self.bytes.get(prefix, 0) + max(ts.nbytes if ts is not None else 0, 0)


# ---- input: files and line ranges ------------------------------------------------------------

class FileGroup(NamedTuple):
    """Whole input files read by one task (capture pages, WARC, Parquet, gzip JSONL)."""

    paths: tuple[str, ...]
    text_field: str | None


class LineRange(NamedTuple):
    """The lines of a plain JSONL file in bytes [start, end), both at line starts; first_lineno:
    the number of the first (known once the lines before it are counted)."""

    path: str
    start: int
    end: int
    text_field: str | None
    first_lineno: int = 1


def count_lines(part: LineRange) -> int:
    """How many lines the range holds (a last line without its end counts)."""
    n, at, last = 0, part.start, b"\n"
    with open(part.path, "rb") as fh:
        fh.seek(part.start)
        while at < part.end:
            piece = fh.read(min(1 << 22, part.end - at))
            if not piece:
                break
            n += piece.count(b"\n")
            at += len(piece)
            last = piece[-1:]
    return n + (last != b"\n")


def _items(part: FileGroup | LineRange):
    if isinstance(part, LineRange):
        with open(part.path, "rb") as fh:
            fh.seek(part.start)
            data = fh.read(part.end - part.start)
        if len(data) != part.end - part.start:
            yield Problem(part.path, "the file changed while it was being read")
            return
        for item in read_jsonl_stream(io.BytesIO(data), part.path, part.text_field):
            if isinstance(item, Problem):
                yield item if item.line is None else replace(item, line=item.line + part.first_lineno - 1)
            else:
                yield item._replace(first_lineno=item.first_lineno + part.first_lineno - 1)
        return
    for path in part.paths:
        yield from read_path(Path(path), part.text_field, blocks=True)


class WritePart(NamedTuple):
    """What the store takes of a partition: its captures in order (reading problems among them,
    as captures with a problem), their articles as store rows, and the articles' body hashes,
    word counts and sketches."""

    captures: list[Extracted]
    rows: list[ArticleRow]
    body_hashes: list[str]
    n_words: np.ndarray
    sketches: np.ndarray


def extract_part(part: FileGroup | LineRange) -> tuple[WritePart, tuple[BatchPrints | None, np.ndarray, list]]:
    """Read, extract and fingerprint a partition (`pipeline.process_chunk`, a chunk of rows at a
    time): what the store takes, and what matching and placement need (its prints, and its
    articles' keys and rows: titles, texts, times and traits)."""
    captures: list[Extracted] = []
    rows: list[ArticleRow] = []
    prints: list[BatchPrints] = []
    chunk: list = []
    size = 0

    def flush() -> None:
        nonlocal chunk, size
        if chunk:
            done = process_chunk(chunk)
            captures.extend(done.captures)
            rows.extend(done.rows)
            prints.append(done.prints)
        chunk, size = [], 0

    for item in _items(part):
        if isinstance(item, Problem):
            flush()  # in order: a problem between the captures around it
            captures.append(Extracted("", "", "", 0, problem=item))
            continue
        chunk.append(item)
        size += item.n_lines if isinstance(item, RowBlock) else SETTINGS.file_rows
        if size >= SETTINGS.chunk_rows:
            flush()
    flush()
    joined = BatchPrints.concat(prints) if prints else None
    matched = (joined, np.fromiter((r[1] for r in rows), np.int64, len(rows)), rows)
    if joined is None:
        return WritePart(captures, rows, [], np.zeros(0, np.int64), np.zeros((0, SETTINGS.bins), np.uint8)), matched
    return WritePart(captures, rows, joined.body_hashes, joined.n_words, joined.sketches), matched


# ---- a partition's articles, as matching and placement see them -------------------------------

class PartArticles(NamedTuple):
    """A partition's stored articles (ids ascending, one run of ids): band keys, sketches, word
    counts, body hash halves, article keys, titles and verification-set blobs; and what the story
    rules and placement read: their rows (title, text, publication time, traits), publication and
    capture time codes (published.time_code), and which are digests."""

    ids: np.ndarray
    keys: np.ndarray
    sketches: np.ndarray
    n_words: np.ndarray
    digests: np.ndarray
    art_keys: np.ndarray
    titles: list[str]
    sets: list[bytes]
    rows: list[ArticleRow]
    published: np.ndarray
    captured: np.ndarray
    is_digest: np.ndarray


def part_articles(matched: tuple[BatchPrints | None, np.ndarray, list], taken: np.ndarray,
                  first_id: int, now: float) -> PartArticles:
    """The articles of a partition the store took (`taken`: their places in its rows), under the
    ids first_id, first_id + 1, ...; `now`: the ingest time, the capture time of those that state
    none (as the store records it)."""
    prints, art_keys, rows = matched
    ids = np.arange(first_id, first_id + taken.size, dtype=np.int64)
    if prints is None or not taken.size:
        return PartArticles(ids, np.zeros((0, SETTINGS.body_bands + SETTINGS.lead_bands), np.int64),
                            np.zeros((0, SETTINGS.bins), np.uint8), np.zeros(0, np.int64), np.zeros((0, 2), np.uint64),
                            np.zeros(0, np.int64), [], [], [], np.zeros(0, np.int64), np.zeros(0, np.int64),
                            np.zeros(0, bool))
    at = taken.tolist()
    mine = [rows[i] for i in at]
    ingested = 2 * int(now) + 1
    return PartArticles(ids, prints.keys[taken], prints.sketches[taken], prints.n_words[taken].astype(np.int64),
                        digest_halves([prints.body_hashes[i] for i in at]),
                        art_keys[taken], [r[TITLE] for r in mine],
                        [prints.sets[i] for i in at], mine,
                        np.fromiter((time_code(r[PUBLISHED]) for r in mine), np.int64, len(mine)),
                        np.fromiter((time_code(r[CAPTURED]) if r[CAPTURED] else ingested for r in mine),
                                    np.int64, len(mine)),
                        np.array([bool(r[TRAITS]) and Traits.decode(r[TRAITS]).digest for r in mine], bool))


def part_fact_keys(arts: PartArticles) -> list[tuple[int, int, float]]:
    """(key, id, publication time) of a partition's dated articles' fact keys."""
    return article_fact_keys(arts.ids, publication_times([r[PUBLISHED] for r in arts.rows]),
                             [r[TRAITS] for r in arts.rows])


def keyed_cut(starts: np.ndarray, codes: np.ndarray) -> list[np.ndarray]:
    """The fact keys' pairs (sorted codes) cut by the partition of their smaller id."""
    return [c for (c,) in _split(_owner_part(codes >> 32, starts), starts.size, codes)]


def _owner_part(ids: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The partition of each article id (`starts`: each partition's first id, ascending)."""
    return np.searchsorted(starts, ids, side="right") - 1


def _split(where: np.ndarray, n_parts: int, *columns: np.ndarray) -> list[tuple[np.ndarray, ...]]:
    """Rows of `columns` cut by their partition `where`, keeping their order within each."""
    order = np.argsort(where, kind="stable")
    bounds = np.searchsorted(where[order], np.arange(n_parts + 1))
    cut = [c[order] for c in columns]
    return [tuple(c[bounds[j]:bounds[j + 1]] for c in cut) for j in range(n_parts)]


# ---- candidates: band buckets by key range, exact copies by body hash -------------------------

def key_bounds(n_parts: int) -> np.ndarray:
    """Where band-key ranges start (keys are hashes: equal ranges get equal shares); the ranges
    in order are the index's one sorted run."""
    return (np.iinfo(np.int64).min + (np.arange(1, n_parts, dtype=object) * (1 << 64)) // n_parts).astype(np.int64)


def band_pieces(arts: PartArticles, n_parts: int) -> list[tuple]:
    """A partition's (band key, article) entries cut by key range (each piece sorted by key, ids
    ascending within a key), with its (body hash, article) entries cut by body hash."""
    from ..index.runs import sorted_run

    keys, owners = sorted_run(arts.keys.ravel(), np.repeat(arts.ids, arts.keys.shape[1]))
    bounds = np.searchsorted(keys, key_bounds(n_parts))
    edges = np.concatenate(([0], bounds, [keys.size]))
    copies = _split((arts.digests[:, 0] % np.uint64(n_parts)).astype(np.int64), n_parts, arts.digests, arts.ids)
    return [((keys[edges[j]:edges[j + 1]], owners[edges[j]:edges[j + 1]]), copies[j]) for j in range(n_parts)]


def range_candidates(starts: np.ndarray, bundles: list[list]) -> tuple[tuple[np.ndarray, np.ndarray], list]:
    """One key range's buckets and one share of the body hashes (`bucket_candidates`,
    `copy_candidates`): the range's sorted run, and the candidates cut by partition."""
    pieces = _flat(bundles)
    run, from_buckets = bucket_candidates(starts, [b for b, _ in pieces])
    from_copies = copy_candidates(starts, [c for _, c in pieces])
    return run, [(np.concatenate([a[0], b[0]]), np.concatenate([a[1], b[1]])) for a, b in zip(from_buckets, from_copies)]


def bucket_candidates(starts: np.ndarray, pieces: list[tuple[np.ndarray, np.ndarray]]) -> tuple[tuple[np.ndarray, np.ndarray], list]:
    """One key range's buckets, whole (pieces in partition order, so ids stay ascending within a
    key): the range as a sorted run (for the stored index), and its candidate pairs' codes and
    summed key weights cut by the partition of the pair's smaller id."""
    keys = np.concatenate([k for k, _ in pieces]) if pieces else np.zeros(0, np.int64)
    owners = np.concatenate([o for _, o in pieces]) if pieces else np.zeros(0, np.int32)
    if len(pieces) > 1:
        order = np.argsort(keys, kind="stable")
        keys, owners = keys[order], owners[order]
    codes, weights = bucket_weights(keys, owners)
    return (keys, owners.astype(np.int32, copy=False)), _split(_owner_part(codes >> 32, starts), starts.size, codes, weights)


def copy_candidates(starts: np.ndarray, pieces: list[tuple[np.ndarray, np.ndarray]]) -> list:
    """Exact copies (one body hash): each linked to the first (smallest id) copy, as candidates of
    full weight, cut by the partition of the pair's smaller id."""
    digests = np.concatenate([d for d, _ in pieces]).reshape(-1, 2) if pieces else np.zeros((0, 2), np.uint64)
    ids = np.concatenate([i for _, i in pieces]) if pieces else np.zeros(0, np.int64)
    order = np.lexsort((ids, digests[:, 1], digests[:, 0]))
    digests, ids = digests[order], ids[order]
    new = np.concatenate(([True], (digests[1:] != digests[:-1]).any(axis=1))) if ids.size else np.zeros(0, bool)
    first = ids[np.flatnonzero(new)][np.cumsum(new) - 1]
    linked = ids != first
    codes = pair_codes(first[linked], ids[linked])
    weights = np.full(codes.size, SETTINGS.min_key_weight, np.int64)
    return _split(_owner_part(codes >> 32, starts), starts.size, codes, weights)


def partition_candidates(r: int, starts: np.ndarray, bundles: list[list],
                         keyed: np.ndarray) -> tuple[np.ndarray, list, list, np.ndarray]:
    """Partition r's candidate pairs (sorted codes, the smaller id in r): the pieces of every
    bucket range and copy group summed per pair, those of enough weight kept; the partners it
    needs from each other partition (ids), and how many from each; and its fact keys' pairs
    `keyed` (checked without the prefilter)."""
    pieces = _flat(bundles)
    codes, weights = sum_by_code(np.concatenate([c for c, _ in pieces]), np.concatenate([w for _, w in pieces]))
    codes = codes[weights >= SETTINGS.min_key_weight]
    partners = np.unique(np.concatenate([codes & 0xFFFFFFFF, keyed & 0xFFFFFFFF]))
    where = _owner_part(partners, starts)
    wanted = [partners[where == q] if q != r else partners[:0] for q in range(starts.size)]
    return codes, wanted, [w.size for w in wanted], keyed


def partner_data(arts: PartArticles, candidates: tuple, q: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[bytes], list]:
    """What verification and the story rules need of the articles of partition q (`arts`) that
    another partition's candidates pair with: ids, sketches, word counts, set blobs, rows."""
    wanted = candidates[1][q]
    at = (wanted - arts.ids[0]).astype(np.int64) if wanted.size else wanted.astype(np.int64)
    return (wanted, arts.sketches[at], arts.n_words[at], [arts.sets[i] for i in at.tolist()],
            [arts.rows[i] for i in at.tolist()])


def verify_part(arts: PartArticles, candidates: tuple, partners: list) -> tuple[np.ndarray, np.ndarray, list, list]:
    """Partition r's edges (pairs (m, 2), smaller id first, their scores (m, 4) and notes: rule
    and evidence, None for the same text) and the verified pairs a story rule kept apart:
    `pipeline.verify_candidates` on its own articles' sketches, sets and rows and its partners'."""
    codes, keyed = candidates[0], candidates[3]
    sketches = Sketches(SETTINGS.bins)
    sketches.add(arts.ids, arts.sketches, arts.n_words)
    other_sketch: dict[int, tuple[np.ndarray, int]] = {}
    other_sets: dict[int, bytes] = {}
    other_rows: dict[int, ArticleRow] = {}
    for ids, sk, nw, sets, rows in partners:
        for k, aid in enumerate(ids.tolist()):
            other_sketch[aid] = (sk[k], int(nw[k]))
            other_sets[aid] = sets[k]
            other_rows[aid] = rows[k]
    first = int(arts.ids[0]) if arts.ids.size else 0
    mine = range(first, first + len(arts.sets))

    def blobs(ids: np.ndarray) -> dict[int, bytes]:
        return {aid: arts.sets[aid - first] if aid in mine else other_sets[aid] for aid in ids.tolist()}

    def row(aid: int) -> ArticleRow:
        return arts.rows[aid - first] if aid in mine else other_rows[aid]

    def known(ids: list[int]) -> dict[int, Known]:
        return {i: known_of(row(i)) for i in ids}

    def texts(ids: list[int]) -> dict[int, tuple[str, str]]:
        return {i: (row(i)[TITLE], row(i)[TEXT]) for i in ids}

    dated = [aid for aid, r in zip(arts.ids.tolist(), arts.rows) if dated_row(r)]
    dated += [aid for aid, r in other_rows.items() if dated_row(r)]
    judged = verify_candidates(codes, sketches, lambda ids: {i: other_sketch[i] for i in ids}, blobs, keyed,
                               np.array(sorted(dated), np.int64), known, texts)
    pairs = np.array([(a, b) for a, b, _ in judged.edges], np.int64).reshape(-1, 2)
    return (pairs, np.array([s for *_, s in judged.edges], np.float64).reshape(-1, SCORE_FIELDS), judged.notes,
            judged.apart)


def dated_row(row: ArticleRow) -> bool:
    """Whether an article has a full publication date (the story rules' rescues need two)."""
    return publication_times([row[PUBLISHED]])[0] > 0


# ---- connected components: large-star / small-star, edges partitioned by node -----------------

def both_ways(n_parts: int, pairs: np.ndarray) -> list[np.ndarray]:
    """Edges as (node, neighbour) entries both ways, cut by the node's partition."""
    entries = np.concatenate([pairs, pairs[:, ::-1]]) if pairs.size else np.zeros((0, 2), np.int64)
    return [e[0] for e in _split(components.node_partition(entries[:, 0], n_parts), n_parts, entries)]


def large_star_step(n_parts: int, starts: np.ndarray, bundles: list[list]) -> tuple[list, tuple[int, int], list]:
    """Large-star on one node partition: its new edges cut by the larger end's partition (for
    small-star), the digest of the edges it was given, and its nodes' labels so far cut by the
    article partition they belong to."""
    entries = np.concatenate(_flat(bundles))
    linked, labels = components.large_star(entries)
    out = [e[0] for e in _split(components.node_partition(linked[:, 0], n_parts), n_parts, linked)]
    return out, components.edge_digest(entries), _split(_owner_part(labels[:, 0], starts), starts.size, labels)


def small_star_step(n_parts: int, bundles: list[list]) -> list[np.ndarray]:
    """Small-star on one node partition: its new edges both ways, cut by node partition."""
    return both_ways(n_parts, components.small_star(np.concatenate(_flat(bundles))))


# ---- placement: components gathered by label, star clustering in each -------------------------

def placement_pieces(n_parts: int, arts: PartArticles, edges: tuple, label_bundles: list[list]) -> tuple[list, list]:
    """A partition's articles in components, with their label, cut by the label's partition (and
    its edges, by their smaller end's label); and the stories of its articles with no edge (one
    each: story rows and placements)."""
    label_pieces = _flat(label_bundles)
    labels = np.concatenate([p[0] for p in label_pieces]) if label_pieces else np.zeros((0, 2), np.int64)
    labels = labels[np.argsort(labels[:, 0])]
    at = (labels[:, 0] - arts.ids[0]) if arts.ids.size else labels[:, 0]
    label_of = np.full(arts.ids.size, -1, np.int64)
    label_of[at] = labels[:, 1]
    linked = np.flatnonzero(label_of >= 0)
    dest = components.node_partition(label_of[linked], n_parts)
    titles = arts.titles
    nodes = [(arts.ids[k], arts.n_words[k], arts.digests[k], arts.art_keys[k], [titles[i] for i in k.tolist()],
              arts.is_digest[k], arts.published[k], arts.captured[k])
             for (k,) in _split(dest, n_parts, linked)]
    pairs, scores, notes = edges[:3]
    edge_dest = components.node_partition(label_of[pairs[:, 0] - arts.ids[0]], n_parts) if pairs.size else \
        np.zeros(0, np.int64)
    numbers = np.arange(len(notes), dtype=np.int64)
    edge_parts = [(p, s, [notes[i] for i in k.tolist()])
                  for p, s, k in _split(edge_dest, n_parts, pairs, scores, numbers)]
    alone = np.flatnonzero(label_of < 0).tolist()
    sids = [story_id(f"{arts.digests[k, 0]:016x}") for k in alone]
    published = [time_iso(c) for c in arts.published[alone].tolist()]
    captured = [time_iso(c) for c in arts.captured[alone].tolist()]
    singles = ([(sid, int(arts.ids[k]), 1, titles[k], p, p, c, c)
                for sid, k, p, c in zip(sids, alone, published, captured)],
               [(int(arts.ids[k]), sid) for sid, k in zip(sids, alone)], [])
    return [(n, e) for n, e in zip(nodes, edge_parts)], singles


def place_components(bundles: list[list]) -> tuple[list, list, list]:
    """Star clustering of the components gathered here (`cluster.plan_placement`: components are
    independent, so this is the stories the whole graph gives them): story rows, placements and
    merge evidence."""
    pieces = _flat(bundles)
    nodes = [n for n, _ in pieces]
    edges = [e for _, e in pieces]
    ids = np.concatenate([n[0] for n in nodes])
    if not ids.size:
        return [], [], []
    titles = dict(zip(ids.tolist(), (t for n in nodes for t in n[4])))
    plan = plan_placement(
        Nodes(ids, np.concatenate([n[1] for n in nodes]), np.concatenate([n[2] for n in nodes]).reshape(-1, 2),
              np.concatenate([n[3] for n in nodes]), np.concatenate([n[5] for n in nodes]),
              np.concatenate([n[6] for n in nodes]), np.concatenate([n[7] for n in nodes]),
              lambda chosen: {i: titles[i] for i in chosen.tolist()}),
        np.concatenate([e[0] for e in edges]).reshape(-1, 2), np.concatenate([e[1] for e in edges]).reshape(-1, SCORE_FIELDS),
        [note for e in edges for note in e[2]])
    return list(plan.stories), list(plan.placements), plan.merges


def cut_rows(n_parts: int, starts: np.ndarray, rows: tuple[list, list, list]) -> list[tuple]:
    """Story rows cut by story id range, placements and merge evidence by the partition of their
    article: the store takes each table in key order, appending to its b-tree."""
    stories, placements, merges = rows
    at = [(int(row[0], 16) * n_parts) >> 64 for row in stories]
    story_parts: list[list] = [[] for _ in range(n_parts)]
    for j, row in zip(at, stories):
        story_parts[j].append(row)
    by_article = []
    for rows in (placements, merges):
        where = _owner_part(np.fromiter((r[0] for r in rows), np.int64, len(rows)), starts).tolist()
        parts: list[list] = [[] for _ in range(n_parts)]
        for j, row in zip(where, rows):
            parts[j].append(row)
        by_article.append(parts)
    return list(zip(story_parts, *by_article))


def sorted_rows(bundles: list[list]) -> tuple[list, list, list]:
    """One range's story rows in story id order (a story of several after a lone one with the
    same id, as `plan_placement` orders them), and placements and merges in article order."""
    pieces = _flat(bundles)
    stories = sorted((row for p in pieces for row in p[0]), key=lambda row: (row[0], row[2] > 1, row[1]))
    placements = sorted((row for p in pieces for row in p[1]), key=lambda row: row[0])
    merges = sorted((row for p in pieces for row in p[2]), key=lambda row: row[0])
    return stories, placements, merges
