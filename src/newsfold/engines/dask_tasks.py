"""The Dask engine's tasks: pure functions of a partition's data, run on the workers (`dask.py`
lays them out and moves their results). Each calls the engine-neutral steps (`pipeline`,
`match.candidates`, `cluster.plan_placement`); what they add is how data is cut and routed.

A task that feeds a shuffle returns its output already cut into one piece per receiving
partition (a list), and the engine hands piece j to receiver j: Dask's task shuffle.
"""
from __future__ import annotations

import zlib
from typing import NamedTuple

import numpy as np

from ..cluster import digest_halves
from ..config import SETTINGS
from ..match.candidates import bucket_weights, pair_codes, sum_by_code
from ..match.facts import Traits
from ..match.judge import Known
from ..match.prefilter import Sketches
from ..model import PairScores, Problem
from ..pipeline import (CAPTURED, PUBLISHED, TEXT, TITLE, TRAITS, ArticleRow, BatchPrints, Extracted,
                        article_fact_keys, known_of, process_chunk, publication_times, verify_candidates)
from ..published import time_code
from ..read import RowBlock
from .dask_inputs import FileGroup, LineRange, read_part
from .dask_shuffle import flat, owner_part, split_by

SCORE_FIELDS = len(PairScores._fields)


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

    for item in read_part(part):
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
    rules and placement read: their rows (title, text compressed, publication time, traits), publication and
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
    mine = [_text_packed(rows[i]) for i in at]
    ingested = 2 * int(now) + 1
    return PartArticles(ids, prints.keys[taken], prints.sketches[taken], prints.n_words[taken].astype(np.int64),
                        digest_halves([prints.body_hashes[i] for i in at]),
                        art_keys[taken], [r[TITLE] for r in mine],
                        [prints.sets[i] for i in at], mine,
                        np.fromiter((time_code(r[PUBLISHED]) for r in mine), np.int64, len(mine)),
                        np.fromiter((time_code(r[CAPTURED]) if r[CAPTURED] else ingested for r in mine),
                                    np.int64, len(mine)),
                        np.array([bool(r[TRAITS]) and Traits.decode(r[TRAITS]).digest for r in mine], bool))


def _text_packed(row: ArticleRow) -> tuple:
    """A row as a partition keeps it until verification: its text compressed (a story rule reads
    the text of few articles, and the text is half of what a worker holds an article)."""
    return row[:TEXT] + (zlib.compress(row[TEXT].encode("utf-8", "surrogatepass"), 1),) + row[TEXT + 1:]


def text_of(row: tuple) -> str:
    """The text of a row `_text_packed` made."""
    return zlib.decompress(row[TEXT]).decode("utf-8", "surrogatepass")


def part_fact_keys(arts: PartArticles) -> list[tuple[int, int, float]]:
    """(key, id, publication time) of a partition's dated articles' fact keys."""
    return article_fact_keys(arts.ids, publication_times([r[PUBLISHED] for r in arts.rows]),
                             [r[TRAITS] for r in arts.rows])


def keyed_cut(starts: np.ndarray, codes: np.ndarray) -> list[np.ndarray]:
    """The fact keys' pairs (sorted codes) cut by the partition of their smaller id."""
    return [c for (c,) in split_by(owner_part(codes >> 32, starts), starts.size, codes)]


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
    copies = split_by((arts.digests[:, 0] % np.uint64(n_parts)).astype(np.int64), n_parts, arts.digests, arts.ids)
    return [((keys[edges[j]:edges[j + 1]], owners[edges[j]:edges[j + 1]]), copies[j]) for j in range(n_parts)]


def range_candidates(starts: np.ndarray, bundles: list[list]) -> tuple[tuple[np.ndarray, np.ndarray], list]:
    """One key range's buckets and one share of the body hashes (`bucket_candidates`,
    `copy_candidates`): the range's sorted run, and the candidates cut by partition."""
    pieces = flat(bundles)
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
    return (keys, owners.astype(np.int32, copy=False)), split_by(owner_part(codes >> 32, starts), starts.size, codes, weights)


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
    return split_by(owner_part(codes >> 32, starts), starts.size, codes, weights)


def partition_candidates(r: int, starts: np.ndarray, bundles: list[list],
                         keyed: np.ndarray) -> tuple[np.ndarray, list, list, np.ndarray]:
    """Partition r's candidate pairs (sorted codes, the smaller id in r): the pieces of every
    bucket range and copy group summed per pair, those of enough weight kept; the partners it
    needs from each other partition (ids), and how many from each; and its fact keys' pairs
    `keyed` (checked without the prefilter)."""
    pieces = flat(bundles)
    codes, weights = sum_by_code(np.concatenate([c for c, _ in pieces]), np.concatenate([w for _, w in pieces]))
    codes = codes[weights >= SETTINGS.min_key_weight]
    partners = np.unique(np.concatenate([codes & 0xFFFFFFFF, keyed & 0xFFFFFFFF]))
    where = owner_part(partners, starts)
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
        return {i: (row(i)[TITLE], text_of(row(i))) for i in ids}

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
