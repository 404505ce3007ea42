"""The engine-neutral steps of an ingest: what any engine runs, in the order the README's diagram
draws, with the engine deciding only where data lives and how work is spread.

1. `process_chunk`: read rows, extract articles, fingerprint them (a worker's task);
2. `match_batch`: a batch's candidate pairs (its own, the band index's, exact copies), the
   prefilter, and verification on the sets: its verified edges;
3. placement: `cluster.plan_placement` over the articles and their edges.
The engine hands each step what it needs (the index, where sketches and sets are found) as
values and callables: no step reads the store itself.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple

import numpy as np
import xxhash

from .cluster import article_key
from .config import SETTINGS
from .extract import extract, segment_text
from .fingerprint import PackedPrints, fingerprint_packed
from .index import BandIndex
from .index.runs import sorted_run
from .match.candidates import candidate_pairs, decode_pairs, exact_copy_pairs, weighted_pairs
from .match.prefilter import Sketches, prefilter_rows
from .match.verify import pack_all_sets, verify
from .model import Article, Capture, PairScores, Problem
from .read import InputError, RawRow, RowBlock, RowSpan, resolve

# An article as the store takes it: (position, key, title, caption, credit, text, url, date)
ArticleRow = tuple[int, int, str, str, str, str, str, str]
TITLE, TEXT = 2, 5  # where the headline and the body text are in an ArticleRow
Edge = tuple[int, int, PairScores]


class Extracted(NamedTuple):
    """A worker's result for one capture: what the writer needs, not the raw content."""

    name: str
    kind: str
    content_hash: str
    size: int  # bytes read, for the progress bar
    n_articles: int = 0
    problem: Problem | None = None


class BatchPrints(NamedTuple):
    """What matching needs of some articles' fingerprints, in article order: body hash, word
    count, MinHash sketch (the low 8 bits of each bin: all the prefilter reads) and band keys,
    and the verification sets as one blob each (match/verify.py)."""

    body_hashes: list[str]
    n_words: np.ndarray
    sketches: np.ndarray  # uint8, n × bins
    keys: np.ndarray
    sets: list[bytes]

    @classmethod
    def of(cls, prints: PackedPrints) -> BatchPrints:
        return cls(prints.body_hashes, prints.n_words, prints.signatures.astype(np.uint8), prints.keys,
                   pack_all_sets(prints))

    @classmethod
    def concat(cls, parts: list[BatchPrints]) -> BatchPrints:
        return cls([h for p in parts for h in p.body_hashes], np.concatenate([p.n_words for p in parts]),
                   np.concatenate([p.sketches for p in parts]), np.concatenate([p.keys for p in parts]),
                   [b for p in parts for b in p.sets])


class ChunkResult(NamedTuple):
    """The result of a chunk of captures: their articles in order as store rows, and the
    articles' fingerprints (cheap to send between processes; nothing left for a writer to compute)."""

    captures: list[Extracted]
    rows: list[ArticleRow]
    prints: BatchPrints


def load_kernels() -> None:
    """Load (compiling on first use) the compiled loops of extraction and fingerprinting, so that
    worker processes forked afterwards share them instead of each loading them again."""
    segment_text("Load the kernels\n\nof extraction, and the \u2018non-ASCII\u2019 path", "", {"title": "Kernels"})
    BatchPrints.of(fingerprint_packed(["load the kernels", "and the \u2018non-ASCII\u2019 path"]))


def extract_capture(capture: Capture) -> tuple[str, tuple[Article, ...] | Problem]:
    """(the capture's content hash, its articles or why it has none). Never raises: untrusted
    input must never stop a run."""
    content_hash = xxhash.xxh3_128_hexdigest(capture.content.encode("utf-8", "surrogatepass"))
    try:
        articles = tuple(extract(capture))
    except Exception as err:
        return content_hash, Problem(capture.name, f"extraction failed ({type(err).__name__}: {err})")
    if not articles:
        return content_hash, Problem(capture.name, "no article found")
    return content_hash, articles


def _each(items: list[Capture | RawRow | RowBlock | RowSpan]) -> Iterator[Capture | RawRow | Problem]:
    for item in items:
        if isinstance(item, (RowBlock, RowSpan)):
            try:
                yield from item.rows()
            except InputError as err:  # a span's file changed under the ingest
                yield Problem(item.source, str(err), item.first_lineno)
        else:
            yield item


def process_chunk(items: list[Capture | RawRow | RowBlock | RowSpan]) -> ChunkResult:
    """Parse rows, extract, then fingerprint all bodies of the chunk at once (pure work: a worker's task)."""
    captures: list[Extracted] = []
    rows: list[ArticleRow] = []
    for item in _each(items):
        cap = resolve(item)
        # bytes read, for the progress bar (a row's line end included)
        size = len(item.data) + 1 if isinstance(item, RawRow) else len(cap.content) if isinstance(cap, Capture) else 0
        if isinstance(cap, Problem):
            captures.append(Extracted("", "", "", size, problem=cap))
            continue
        content_hash, arts = extract_capture(cap)
        if isinstance(arts, Problem):
            captures.append(Extracted(cap.name, cap.kind, content_hash, size, problem=arts))
        else:
            captures.append(Extracted(cap.name, cap.kind, content_hash, size, len(arts)))
            rows.extend((a.position, article_key(cap.name, content_hash, a.position), a.title, a.caption, a.credit,
                         a.text, a.url, a.date) for a in arts)
    return ChunkResult(captures, rows, BatchPrints.of(fingerprint_packed([r[TEXT] for r in rows])))


class Batch(NamedTuple):
    """Articles about to be stored together: their ids (ascending) and where their fingerprints
    are in `prints`."""

    ids: np.ndarray
    where: np.ndarray
    prints: BatchPrints


class MatchSources(NamedTuple):
    """Where matching finds what it needs of articles outside the batch (the engine's business)."""

    index: BandIndex  # band keys of the articles matched before
    sketches: Sketches  # sketches of this run's articles
    stored_sketches: Callable[[list[int]], dict[int, tuple[np.ndarray, int]]]  # id → (sketch, word count)
    set_blobs: Callable[[np.ndarray], dict[int, bytes]]  # id → verification-set blob
    earlier_copies: Callable[[list[str]], list[tuple[int, str]]]  # body hashes → (id, body hash) stored before


def match_batch(batch: Batch, sources: MatchSources) -> list[Edge]:
    """The verified edges of a batch (smaller id first): candidates from its own band keys, the
    index's and exact copies, prefiltered on sketches, verified on sets. The batch's keys and
    sketches join the index and the run's sketches."""
    ids, where, prints = batch
    keys = prints.keys[where]
    # sorted once (owners ascending within a key) for the batch's own pairs, the index lookup and the index
    run_keys, run_owners = sorted_run(keys.ravel(), np.repeat(ids, keys.shape[1]))
    found = [candidate_pairs(run_keys, run_owners, presorted=True),
             weighted_pairs(*sources.index.pairs(run_keys, run_owners, presorted=True)),
             exact_copy_pairs(ids.tolist(), map(prints.body_hashes.__getitem__, where.tolist()), sources.earlier_copies)]
    pairs = np.unique(np.concatenate(found))
    sources.index.add(run_keys, run_owners, presorted=True)
    sources.sketches.add(ids, prints.sketches[where], prints.n_words[where])
    return verify_candidates(pairs, sources.sketches, sources.stored_sketches, sources.set_blobs)


def verify_candidates(codes: np.ndarray, sketches: Sketches,
                      other_sketches: Callable[[list[int]], dict[int, tuple[np.ndarray, int]]],
                      set_blobs: Callable[[np.ndarray], dict[int, bytes]]) -> list[Edge]:
    """The verified edges among candidate pairs (sorted codes): those the prefilter lets through
    (on `sketches`, or `other_sketches` for articles they do not hold), checked on their sets."""
    codes = codes[_worth_checking(codes, sketches, other_sketches)]
    return verify(codes, set_blobs(np.unique(decode_pairs(codes))))


def _worth_checking(codes: np.ndarray, sketches: Sketches,
                    other_sketches: Callable[[list[int]], dict[int, tuple[np.ndarray, int]]]) -> np.ndarray:
    """Which candidate pairs (sorted codes) pass the prefilter (match/prefilter.py)."""
    if not codes.size:
        return np.zeros(0, bool)
    pairs = decode_pairs(codes)
    at = sketches.rows(pairs)
    unseen = np.unique(pairs[at < 0])  # not in `sketches` (stored before this run, or another partition's)
    other_sig, other_size = np.zeros((unseen.size, SETTINGS.bins), np.uint8), np.zeros(unseen.size, np.int64)
    if unseen.size:
        stored = other_sketches(unseen.tolist())
        for k, aid in enumerate(unseen.tolist()):
            other_sig[k], other_size[k] = stored[aid]
        at = np.where(at < 0, -np.searchsorted(unseen, pairs) - 1, at)
    return prefilter_rows(sketches, other_sig, other_size, at[:, 0], at[:, 1])
