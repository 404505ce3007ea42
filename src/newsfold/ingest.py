"""Ingest: read → extract + fingerprint (worker processes) → store (one writer) → match → cluster.

Captures are committed in batches: a batch's captures, articles, band keys and verified edges
land in one transaction or not at all. Each batch is matched as it is written, against this
run's earlier articles (an in-memory band index) and, if the store already held articles,
against the store's band table, so memory stays bounded by the batch. Articles whose story is
not yet decided (the `pending` table) are clustered at the end of every run, so a run killed
part-way is finished by the next one. A capture already stored (same name, same content hash)
is skipped: running the same ingest twice changes nothing.
"""
from __future__ import annotations

import ctypes
import fcntl
import functools
import gc
import itertools
import os
import queue
import sys
import tempfile
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import xxhash
from tqdm import tqdm

from . import band_index
from . import store as db
from .cluster import star_arrays, star_clusters
from .extract import extract, segment_text
from .fingerprint import NUM_PERM, PackedPrints, fingerprint_packed
from .match import (PairScores, Sketches, candidate_pairs, decode_pairs, pack_all_sets, pair_codes, prefilter_rows,
                    verify_packed, weighty_pairs)
from .model import Article, Capture, Problem
from .read import InputError, RawRow, RowBlock, RowSpan, discover, read_path, resolve
from .serve import safe
from .workers import ordered_map

# JSONL/Parquet rows per task sent to a worker (a capture file counts as two: bigger, slower to
# extract), 128 files: each task costs the writer's process a pickle, a pipe message and a thread
# hand-off both ways (100k: 26.3-26.6 s with 64, 23.0-25.6 with 128, no better with 256, in runs
# alternated on one machine; once the writer's own costs were cut, 256 rows took 13.3 CPU-s
# where 128 took 13.9, medians of 4)
CHUNK_ROWS = 256
FILE_ROWS = 2  # what a capture file counts for in a chunk
BATCH_ARTICLES = 2048  # articles per write transaction
# worker results allowed to wait: a whole next batch, so the workers compute it while the writer
# writes this one (with 8, they stalled a few chunks in and the two took turns)
AHEAD_CHUNKS = 2 * BATCH_ARTICLES // CHUNK_ROWS
# the single writer is the bottleneck of a big ingest: workers yield it the CPU (with as many
# workers as cores, they took a third of its core at 1M and its work took 1.7× as long)
WORKER_NICE = 10
# recent articles whose fingerprints are kept for verification (~4 KB each); older ones' sets are
# read back from the spill file (~4 µs). 20,000 before the spill: at 100k the tree's peak RSS
# 590 MB, 550 with 8192, no slower
CACHE_ARTICLES = 8192
# partners stored by an earlier ingest (or not spilled) whose sets were made again and are kept
# (~2.7 KB each), once they are needed a second time (when every partner came this way, at 1M:
# 892k partner sets needed, of 370k articles; this kept 22% of them from being made again)
PARTNER_CACHE = 20_000
SPILL_PENDING = 64 << 20  # bytes of spilled sets waiting for the disk, at most (see _SetSpill)
SPILL_MIN_FREE = 2 << 30  # free disk space the spill never takes
GC_YOUNG = 10_000  # allocations between collections of the youngest generation (see _few_collections)
PARALLEL_MIN_BYTES = 2 * 1024 * 1024  # below this, worker start-up costs more than it saves


@dataclass
class IngestReport:
    files: int = 0
    captures: int = 0
    skipped: int = 0  # captures already in the store
    articles: int = 0
    problems: list[Problem] = field(default_factory=list)
    stories: int = 0  # stories in the store after the run
    new_stories: int = 0
    folded: int = 0  # new articles placed in a story with another version

    @property
    def rejected(self) -> int:
        return len(self.problems)

    def summary(self) -> str:
        return (f"files read: {self.files}, captures: {self.captures} new, {self.skipped} already stored, "
                f"rejected: {self.rejected}, articles: {self.articles}, stories: {self.stories} "
                f"({self.new_stories} new), occurrences folded: {self.folded}")


class Extracted(NamedTuple):
    """A worker's result for one capture: what the writer needs, not the raw content."""

    name: str
    kind: str
    content_hash: str
    size: int  # bytes read, for the progress bar
    n_articles: int = 0
    problem: Problem | None = None


class BatchPrints(NamedTuple):
    """What the writer needs of some articles' fingerprints, in article order: body hash, word
    count, MinHash sketch (the low 8 bits of each bin: all the prefilter reads, a quarter of the
    signature's bytes) and band keys, and the verification sets as one blob each
    (match.pack_sets), which verification reads as they are."""

    body_hashes: list[str]
    n_words: np.ndarray
    sketches: np.ndarray  # uint8, n × NUM_PERM
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
    """A worker's result for a chunk of captures: their articles in order as store rows, and the
    articles' fingerprints (all cheap to send between processes, and nothing left for the single
    writer to compute)."""

    captures: list[Extracted]
    rows: list[tuple]  # per article: (position, title, caption, credit, text, url, date)
    prints: BatchPrints


def load_kernels() -> None:
    """Load (compiling on first use) the compiled loops a worker runs, so that the workers forked
    afterwards share them instead of each importing numba and loading them again."""
    segment_text("Load the kernels\n\nof extraction, and the \u2018non-ASCII\u2019 path", "", {"title": "Kernels"})
    BatchPrints.of(fingerprint_packed(["load the kernels", "and the \u2018non-ASCII\u2019 path"]))


def _keep_heap() -> None:
    """In a worker: glibc's malloc keeps freed memory up to 64 MB for reuse, where by default a
    block over ~128 KB is mapped afresh for each use and unmapped after (a JSONL block read, a
    chunk's arrays): the kernel then zeroes new pages on every chunk, ~7 µs of system time a
    document (a tenth of a worker's time). No-op where the C library has no mallopt."""
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD: its largest value; setting it fixes it there
        libc.mallopt(-1, 64 << 20)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):
        pass


def _extract_one(capture: Capture) -> tuple[str, tuple[Article, ...] | Problem]:
    content_hash = xxhash.xxh3_128_hexdigest(capture.content.encode("utf-8", "surrogatepass"))
    try:
        articles = tuple(extract(capture))
    except Exception as err:  # untrusted input must never stop the run
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
    """Pure work for a chunk of inputs (runs in a worker): parse rows, extract, then fingerprint all
    bodies of the chunk at once."""
    captures: list[Extracted] = []
    rows: list[tuple] = []
    for item in _each(items):
        cap = resolve(item)
        # bytes read, for the progress bar (a row's line end included)
        size = len(item.data) + 1 if isinstance(item, RawRow) else len(cap.content) if isinstance(cap, Capture) else 0
        if isinstance(cap, Problem):
            captures.append(Extracted("", "", "", size, problem=cap))
            continue
        content_hash, arts = _extract_one(cap)
        if isinstance(arts, Problem):
            captures.append(Extracted(cap.name, cap.kind, content_hash, size, problem=arts))
        else:
            captures.append(Extracted(cap.name, cap.kind, content_hash, size, len(arts)))
            rows.extend((a.position, a.title, a.caption, a.credit, a.text, a.url, a.date) for a in arts)
    return ChunkResult(captures, rows, BatchPrints.of(fingerprint_packed([r[4] for r in rows])))


def _inputs(paths: Iterable[str], text_field: str | None, report: IngestReport, problems: queue.SimpleQueue,
            spans: bool = False) -> Iterator[Capture | RowBlock | RowSpan]:
    """The captures and rows to ingest. Runs on the pool's feeding threads (one at a time):
    unreadable files go to `problems`, for the main thread to report. `spans`: a block of a plain
    JSONL file goes as where it lies, for the worker to read."""
    for item in discover(paths):
        if isinstance(item, Problem):
            problems.put(item)
            continue
        report.files += 1
        for cap in read_path(item, text_field, blocks=True):
            if isinstance(cap, Problem):
                problems.put(cap)
            elif spans and isinstance(cap, RowBlock) and cap.offset >= 0:
                yield cap.span()
            else:
                yield cap


def _report_problems(problems: queue.SimpleQueue, report: IngestReport, on_problem: Callable[[Problem], None]) -> None:
    while not problems.empty():
        problem = problems.get()
        report.problems.append(problem)
        on_problem(problem)


def _chunks(items: Iterable, n: int) -> Iterator[list]:
    """Lists of items holding about n rows each (a RowBlock or RowSpan counts its lines, a capture
    file FILE_ROWS)."""
    chunk = []
    size = 0
    for x in items:
        chunk.append(x)
        size += x.n_lines if isinstance(x, (RowBlock, RowSpan)) else FILE_ROWS
        if size >= n:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _total_bytes(paths: Iterable[str]) -> int:
    total = 0
    for item in discover(paths):
        if not isinstance(item, Problem):
            try:
                total += item.stat().st_size
            except OSError:
                pass
    return total


def print_problem(p: Problem) -> None:
    # file names and record ids are untrusted too: one line, no escape sequences
    tqdm.write(f"newsfold: {safe(str(p))}", file=sys.stderr)


class _Written(NamedTuple):
    """Articles a batch stored: their ids (ascending), where their fingerprints are in `prints`,
    their captures' ingest time, and (for a run into an empty store) their titles, in id order."""

    ids: np.ndarray
    at: np.ndarray
    prints: BatchPrints
    seen_at: float = 0.0
    titles: list[str] | None = None


class _RunArticles:
    """What placing this run's articles in stories needs, kept as they are stored when the store
    held no article before the run: then the end of the run clusters from these arrays, not from
    SQL reads of the articles and edges it just wrote (at 1M, those reads were most of a 36 s
    step). ~40 bytes an article and ~50 an edge."""

    def __init__(self) -> None:
        self.ids: list[np.ndarray] = []
        self.n_words: list[np.ndarray] = []
        self.digests: list[np.ndarray] = []  # body hashes as two big-endian halves (uint64 pairs)
        self.times: list[np.ndarray] = []
        self.pairs: list[np.ndarray] = []  # verified edges (a < b) and their PairScores fields
        self.scores: list[np.ndarray] = []
        # titles (a story row carries its canonical's), a batch's as one UTF-8 blob and where each
        # ends: ~65 bytes an article, where a str each cost ~110 (and a join with the stored
        # articles, 1.8 s for a 1M run's 700k stories)
        self.title_blobs: list[bytes] = []
        self.title_ends: list[np.ndarray] = []

    def add(self, batch: _Written, edges: list[tuple[int, int, PairScores]]) -> None:
        ids, at, prints, seen_at, titles = batch
        encoded = [t.encode("utf-8", "surrogatepass") for t in titles]
        self.title_blobs.append(b"".join(encoded))
        self.title_ends.append(np.cumsum(np.fromiter(map(len, encoded), np.int64, len(encoded))))
        self.ids.append(ids)
        self.n_words.append(prints.n_words[at].astype(np.int32))
        hashes = bytes.fromhex("".join(map(prints.body_hashes.__getitem__, at.tolist())))
        self.digests.append(np.frombuffer(hashes, ">u8").astype(np.uint64).reshape(-1, 2))
        self.times.append(np.full(ids.size, seen_at))
        self.pairs.append(np.array([(a, b) for a, b, _ in edges], np.int64).reshape(-1, 2))
        self.scores.append(np.array([s for *_, s in edges], np.float64).reshape(-1, len(PairScores._fields)))

    def arrays(self) -> tuple[np.ndarray, ...]:
        """ids, word counts, digests, times, edge pairs and scores, each concatenated."""
        return tuple(np.concatenate(parts) for parts in (self.ids, self.n_words, self.digests, self.times,
                                                          self.pairs, self.scores))

    def titles(self, ids: np.ndarray) -> dict[int, str]:
        """id → title of some of this run's articles."""
        firsts = np.array([b[0] for b in self.ids], np.int64)  # a batch's ids run on from its first
        batch = np.searchsorted(firsts, ids, side="right") - 1
        out: dict[int, str] = {}
        for k in np.unique(batch).tolist():
            chosen = ids[batch == k]
            blob, ends = self.title_blobs[k], self.title_ends[k]
            at = chosen - firsts[k]
            starts = np.where(at > 0, ends[np.maximum(at - 1, 0)], 0)
            for aid, a, b in zip(chosen.tolist(), starts.tolist(), ends[at].tolist()):
                out[aid] = blob[a:b].decode("utf-8", "surrogatepass")
        return out


class _PartnerCache:
    """Set blobs of older partners made again from their texts, least recently used first out,
    kept only for an article needed a second time (most are needed once)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.blobs: OrderedDict[int, bytes] = OrderedDict()
        self.seen = np.zeros(0, bool)  # by article id: needed before

    def take(self, ids: list[int]) -> tuple[dict[int, bytes], list[int]]:
        """(the blobs held of `ids`, the ids not held)."""
        held, missing = {}, []
        for aid in ids:
            blob = self.blobs.get(aid)
            if blob is None:
                missing.append(aid)
            else:
                held[aid] = blob
                self.blobs.move_to_end(aid)
        return held, missing

    def offer(self, made: dict[int, bytes]) -> None:
        """Blobs just made: kept if their article was needed before, else remembered as needed."""
        if not made:
            return
        ids = np.fromiter(made, np.int64, len(made))
        if ids.max() >= self.seen.size:
            self.seen = np.concatenate([self.seen, np.zeros(max(int(ids.max()) + 1 - self.seen.size, self.seen.size), bool)])
        for aid in ids[self.seen[ids]].tolist():
            self.blobs[aid] = made[aid]
        self.seen[ids] = True
        while len(self.blobs) > self.capacity:
            self.blobs.popitem(last=False)


class _SetSpill:
    """This ingest's verification sets once they leave the recent batches: appended to an
    anonymous file next to the store (no name, so gone when the ingest ends or is killed), and
    read back when an older article of the same ingest is a partner. Made again from its text, a
    set blob cost ~30 µs (at 1M, 892k remakes: ~26 CPU-s of the writer); read back, ~4 µs. The
    file is a cache, ~2.5 KB an article, held by the page cache, not the process: it takes disk
    space while the ingest runs (2.5 GB at 1M, half the store's size again), never the last
    SPILL_MIN_FREE bytes of the disk, which are the store's. Writes go in order on a thread of
    their own (at 1M, 6.6 s of the writer's thread when made there, mostly the kernel holding
    back a writer of that many dirty pages), at most SPILL_PENDING bytes waiting; a blob not
    written yet is read from the write's bytes. Sets not spilled (no room, a failed write, an
    in-memory store: no disk of its own) are made again from the texts, as before."""

    def __init__(self, directory: str | None) -> None:
        self.directory = directory  # None: nothing is spilled
        self.file = None  # opened at the first spill (after the workers are forked)
        self.thread: ThreadPoolExecutor | None = None
        self.base = -1  # the first spilled article id: the rest run on from it
        self.starts = np.zeros(0, np.int64)  # by article id - base: where its blob starts (-1: not here)
        self.ends = np.zeros(0, np.int64)
        self.size = 0  # bytes handed to the writing thread
        self.written = 0  # bytes on file, from the start: a failed write stops it growing
        self.stopped = directory is None  # nothing more is spilled
        self.failed = False  # a write failed: none after it is made
        self.writes: deque[tuple[int, bytes, Future]] = deque()  # (offset, bytes, write) not known done, oldest first

    def add(self, ids: np.ndarray, blobs: list[bytes]) -> None:
        """Append the blobs of articles `ids` (ascending, after any added before)."""
        if self.stopped or not ids.size or not self._room(sum(map(len, blobs))):
            return
        if self.base < 0:
            self.base = int(ids[0])
        at = ids - self.base
        if at[-1] >= self.starts.size:
            grown = max(int(at[-1]) + 1, 2 * self.starts.size)
            self.starts = np.concatenate([self.starts, np.full(grown - self.starts.size, -1, np.int64)])
            self.ends = np.concatenate([self.ends, np.full(grown - self.ends.size, -1, np.int64)])
        lengths = np.fromiter(map(len, blobs), np.int64, len(blobs))
        ends = self.size + np.cumsum(lengths)
        self.starts[at], self.ends[at] = ends - lengths, ends
        data = b"".join(blobs)
        self.writes.append((self.size, data, self.thread.submit(self._write, data, self.size)))
        self.size = int(ends[-1])
        while self.writes and (self.writes[0][2].done() or self.size - self.writes[0][0] > SPILL_PENDING):
            self.writes.popleft()[2].result()  # done, or waited for: memory stays bounded on a slow disk

    def _room(self, n: int) -> bool:
        """Whether n more bytes may be spilled (opening the file the first time)."""
        try:
            if self.file is None:
                self.file = tempfile.TemporaryFile(dir=self.directory, prefix=".newsfold-sets-")
                self.thread = ThreadPoolExecutor(1, thread_name_prefix="newsfold-spill")
            disk = os.statvfs(self.directory)
            if disk.f_bavail * disk.f_frsize - (self.size - self.written) - n >= SPILL_MIN_FREE:
                return True
        except OSError:
            pass
        self.stopped = True
        return False

    def _write(self, data: bytes, offset: int) -> None:
        if self.failed:
            return
        try:
            if os.pwrite(self.file.fileno(), data, offset) == len(data):
                self.written = offset + len(data)
                return
        except OSError:
            pass
        self.failed = self.stopped = True

    def take(self, ids: list[int]) -> tuple[dict[int, bytes], list[int]]:
        """(the blobs spilled of `ids`, the ids not spilled)."""
        if self.base < 0:
            return {}, ids
        at = np.array(ids, np.int64) - self.base
        inside = (at >= 0) & (at < self.starts.size)
        starts, ends = np.full(at.size, -1, np.int64), np.full(at.size, -1, np.int64)
        starts[inside], ends[inside] = self.starts[at[inside]], self.ends[at[inside]]
        found, missing = {}, []
        fd = self.file.fileno()
        pending = list(self.writes)
        for aid, start, end in zip(ids, starts.tolist(), ends.tolist()):
            blob = b""
            if 0 <= start and end <= self.written:
                try:
                    blob = os.pread(fd, end - start, start)
                except OSError:
                    pass
            elif 0 <= start:  # not on file (yet): in the bytes of a write not known done
                for offset, data, _ in pending:
                    if offset <= start < offset + len(data):
                        blob = data[start - offset : end - offset]
                        break
            if blob and len(blob) == end - start:
                found[aid] = blob
            else:
                missing.append(aid)
        return found, missing

    def close(self) -> None:
        self.stopped = True
        if self.thread is not None:
            self.thread.shutdown(wait=True, cancel_futures=True)
            self.thread = None
        if self.file is not None:
            self.file.close()
            self.file = None
        self.writes.clear()


class _Matcher:
    """Finds and verifies each batch's same-story pairs as the batch is written."""

    def __init__(self, conn) -> None:
        self.conn = conn
        self.store_had_articles = conn.execute("SELECT 1 FROM articles LIMIT 1").fetchone() is not None
        self.index = band_index.load(conn)  # fences only; also upgrades a store from before chunked runs
        self.body_owner: dict[int, int] = {}  # this run's first article per body hash (64-bit prefix)
        # the last batches' fingerprints, newest first, for verifying against recent articles
        # without a store read; kept as the batches' packed arrays, not an object per article
        self.recent: deque[_Written] = deque()
        self.sketches = Sketches(NUM_PERM)  # what the prefilter needs of this run's articles
        self.run = None if self.store_had_articles else _RunArticles()
        self.partners = _PartnerCache(PARTNER_CACHE)
        path = db.file_path(conn)
        self.spill = _SetSpill(os.path.dirname(os.path.abspath(path)) if path else None)

    def release(self) -> None:
        """Let go of the index, the caches and the sketches (hundreds of MB at 1M), and delete the
        spilled sets: matching is over."""
        self.index, self.recent, self.sketches, self.body_owner, self.run = None, deque(), None, {}, None
        self.partners = _PartnerCache(0)
        self.spill.close()

    def _partner_sets(self, ids: list[int]) -> dict[int, bytes]:
        """The set blobs of stored articles, made again from their texts (without signature and
        band keys: verification needs the sets alone)."""
        if not ids:
            return {}
        texts = db.article_texts(self.conn, ids)
        return dict(zip(texts, pack_all_sets(fingerprint_packed(list(texts.values()), minhash=False))))

    def _remember(self, batch: _Written) -> None:
        self.recent.appendleft(batch)
        while sum(b.ids.size for b in self.recent) - self.recent[-1].ids.size >= CACHE_ARTICLES:
            old = self.recent.pop()
            self.spill.add(old.ids, [old.prints.sets[i] for i in old.at.tolist()])

    def _recent(self, ids: np.ndarray) -> dict[int, bytes]:
        """The verification-set blobs of those of `ids` that are in one of the recent batches."""
        found: dict[int, bytes] = {}
        for batch in self.recent:
            if not batch.ids.size:
                continue
            here = ids[(ids >= batch.ids[0]) & (ids <= batch.ids[-1])]
            at = np.searchsorted(batch.ids, here)
            for aid, i in zip(here.tolist(), at.tolist()):
                if batch.ids[i] == aid:
                    found[aid] = batch.prints.sets[int(batch.at[i])]
        return found

    def _prefiltered(self, codes: np.ndarray) -> np.ndarray:
        """Those of the candidate pairs (sorted pair codes) worth an exact check (see match.prefilter)."""
        if not codes.size:
            return codes
        arr = decode_pairs(codes)
        at = self.sketches.rows(arr)
        unseen = np.unique(arr[at < 0])  # stored before this run: their sketches come from the store
        other_sig, other_size = np.zeros((unseen.size, NUM_PERM), np.uint8), np.zeros(unseen.size, np.int64)
        if unseen.size:
            stored = {aid: (s, n) for aid, s, n in db.sketches(self.conn, unseen.tolist())}
            for k, aid in enumerate(unseen.tolist()):
                other_sig[k], other_size[k] = stored[aid]
            at = np.where(at < 0, -np.searchsorted(unseen, arr) - 1, at)
        return codes[prefilter_rows(self.sketches, other_sig, other_size, at[:, 0], at[:, 1])]

    def edges_for(self, batch: _Written) -> list[tuple[int, int, PairScores]]:
        """Verified edges of a batch, before its articles are stored (they are in the same
        transaction, after); its band keys join the index. The matcher's state takes the batch in
        here: a batch whose transaction fails ends the ingest (its ids would be handed out again)."""
        ids, at, packed = batch.ids, batch.at, batch.prints
        keys = packed.keys[at]
        # sorted once (owners ascending within a key) for the batch's own pairs, the index lookup and the index
        run_keys, run_owners = band_index.sorted_run(keys.ravel(), np.repeat(ids, keys.shape[1]))
        found = [candidate_pairs(run_keys, run_owners, presorted=True),
                 weighty_pairs(*self.index.pairs(run_keys, run_owners, presorted=True))]
        copies: set[tuple[int, int]] = set()
        if self.store_had_articles:  # exact copies of articles stored before, and within the batch
            by_hash: dict[str, list[int]] = {}
            for aid, i in zip(ids.tolist(), at.tolist()):
                by_hash.setdefault(packed.body_hashes[i], []).append(aid)
            for old, body_hash in db.with_body_hashes(self.conn, by_hash):
                copies.update((old, aid) for aid in by_hash[body_hash])
            for group in by_hash.values():
                copies.update(itertools.combinations(group, 2))
        for aid, i in zip(ids.tolist(), at.tolist()):
            first = self.body_owner.setdefault(int(packed.body_hashes[i][:16], 16), aid)
            if first != aid:
                copies.add((first, aid))
        if copies:
            a, b = np.array(sorted(copies), dtype=np.int64).T
            found.append(pair_codes(a, b))
        pairs = np.unique(np.concatenate(found))
        self.index.add(run_keys, run_owners, presorted=True)  # stored at the end of the ingest
        self.sketches.add(ids, packed.sketches[at], packed.n_words[at])
        self._remember(batch)
        pairs = self._prefiltered(pairs)
        needed = np.unique(decode_pairs(pairs))
        blobs = self._recent(needed)
        missing = [aid for aid in needed.tolist() if aid not in blobs]  # older partners: stored before this batch
        if missing:
            spilled, missing = self.spill.take(missing)
            blobs.update(spilled)
        if missing:
            held, missing = self.partners.take(missing)
            made = self._partner_sets(missing)
            self.partners.offer(made)
            blobs.update(held)
            blobs.update(made)
        edges = verify_packed(pairs, blobs)
        if self.run is not None:
            self.run.add(batch, edges)
        return edges


@contextmanager
def ingest_lock(conn):
    """Hold the store's ingest lock (`<db>-lock`) while the block runs; wait, saying so, if another
    process holds it. Two ingests at once would each match only against what the store held when
    it started, and miss each other's copies. A POSIX lock dies with its process, even on SIGKILL,
    and is not inherited by forked workers, so it never outlives the ingest that took it."""
    path = db.file_path(conn)
    if not path:  # in-memory store: no other process can see it
        yield
        return
    with open(path + "-lock", "ab") as fh:
        try:
            fcntl.lockf(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            tqdm.write(f"newsfold: another ingest is writing to {path}; waiting for it to finish", file=sys.stderr)
            fcntl.lockf(fh, fcntl.LOCK_EX)
        yield


def _one_at_a_time(run: Callable[..., IngestReport]) -> Callable[..., IngestReport]:
    @functools.wraps(run)
    def locked(conn, *args, **kwargs) -> IngestReport:
        with ingest_lock(conn):
            return run(conn, *args, **kwargs)
    return locked


@_one_at_a_time
def ingest(conn, paths: list[str], text_field: str | None = None, workers: int | None = None,
           progress: bool | None = None, on_problem: Callable[[Problem], None] = print_problem) -> IngestReport:
    report = IngestReport()
    total = _total_bytes(paths)
    if workers is None:
        workers = (os.cpu_count() or 1) if total >= PARALLEL_MIN_BYTES else 1
    bar = tqdm(total=total or None, unit="B", unit_scale=True, desc="ingest", file=sys.stderr,
               disable=True if progress is False else None, mininterval=0.5)
    load_kernels()  # before the workers are forked: they inherit the compiled code
    with _few_collections():
        _run(conn, paths, text_field, workers, report, bar, on_problem)
    report.stories = conn.execute("SELECT count(*) FROM stories").fetchone()[0]
    return report


_gc_lock = threading.Lock()
_gc_users = 0  # ingests running in this process (in threads, on different stores)
_gc_threshold: tuple[int, ...] = ()
_gc_was_frozen = False  # the host program froze objects of its own: they stay frozen after


@contextmanager
def _few_collections():
    """The garbage collector's settings for an ingest, restored after it. What is alive now
    (modules, numba's compiled code: 100k objects) is frozen out of collections, before workers
    are forked, so their collections neither walk it nor copy its pages; and the youngest
    generation is collected every GC_YOUNG allocations, not 700: an ingest allocates rows by the
    million, and few of them form cycles (at 100k, ~1-2 CPU s of the writer went to collections).
    Ingests running at once in one process share one setting: the first sets it, the last restores it."""
    global _gc_users, _gc_threshold, _gc_was_frozen
    with _gc_lock:
        if _gc_users == 0:
            _gc_threshold, _gc_was_frozen = gc.get_threshold(), gc.get_freeze_count() > 0
            gc.freeze()
            gc.set_threshold(GC_YOUNG, *_gc_threshold[1:])
        _gc_users += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_users -= 1
            if _gc_users == 0:
                gc.set_threshold(*_gc_threshold)
                if not _gc_was_frozen:
                    gc.unfreeze()


def _run(conn, paths: list[str], text_field: str | None, workers: int, report: IngestReport, bar: tqdm,
         on_problem: Callable[[Problem], None]) -> None:
    recover_band_keys(conn)
    matcher = _Matcher(conn)
    with db.Transaction(conn):
        db.drop_verify_sets(conn)
        if matcher.store_had_articles:
            db.create_bulk_indexes(conn)  # rebuilds what a killed bulk ingest dropped; else nothing
        else:
            db.drop_bulk_indexes(conn)  # built at the end, in one sort each
    problems: queue.SimpleQueue = queue.SimpleQueue()
    chunks = _chunks(_inputs(paths, text_field, report, problems, spans=workers > 1), CHUNK_ROWS)
    results = ordered_map(process_chunk, chunks, workers, ahead=AHEAD_CHUNKS, nice=WORKER_NICE, init=_keep_heap)
    # fsyncs off the writer's path, to the end of the ingest: with the writer's own checkpoints
    # back, the commit after the last batch copied the WAL and waited for the disk on its thread
    checkpoints = db.Checkpointer(conn)
    try:
        try:
            batch: list[ChunkResult] = []
            n_articles = 0
            for chunk in results:
                _report_problems(problems, report, on_problem)
                bar.update(sum(res.size for res in chunk.captures))
                batch.append(chunk)
                n_articles += len(chunk.rows)
                if n_articles >= BATCH_ARTICLES:
                    _write_batch(conn, batch, report, matcher, on_problem)
                    checkpoints.nudge()
                    batch, n_articles = [], 0
            _write_batch(conn, batch, report, matcher, on_problem)
        finally:
            try:
                results.close()  # stops the workers, also on Ctrl-C
            finally:
                bar.close()
        _report_problems(problems, report, on_problem)
        with db.Transaction(conn):
            band_index.save_ingest(conn, matcher.index, db.last_article(conn))
        checkpoints.nudge()
        run = matcher.run
        matcher.release()  # its index and cache are not needed to cluster (and held 500 MB at 1M)
        if run is not None:
            with ThreadPoolExecutor(1, thread_name_prefix="newsfold-plan") as planner:
                # a run into an empty store: its stories are planned (arrays, no store access) on a
                # thread of its own while this one builds the body-hash index, in SQLite, which lets
                # go of the GIL (at 1M, 3.3 s of planning beside 2 s of index)
                plan = planner.submit(_plan_placement, run, run.titles) if run.ids else None
                with db.Transaction(conn):
                    db.create_bulk_indexes(conn, [db.BODY_HASH_INDEX])
                _place_run(conn, report, plan.result() if plan is not None else None)
        else:
            _cluster_pending(conn, report)
        checkpoints.nudge()
        with db.Transaction(conn):
            db.create_bulk_indexes(conn)
    finally:
        try:
            matcher.release()  # also closes (and so deletes) the spilled sets
        finally:
            checkpoints.close()  # the writer's own checkpoints back, whatever happened


# articles whose keys a recovery stores as one run, committed: one cut short goes on from there
RECOVER_RUN = 131_072


def recover_band_keys(conn, batch: int = 4096) -> None:
    """Give the articles a killed ingest committed the band keys it meant to store at its end (an
    ingest stores its keys once, not per batch): made again from their texts, a run (and a
    transaction) per RECOVER_RUN articles. Their edges and pending marks were committed with them."""
    while True:
        with db.Transaction(conn):
            top = db.last_article(conn)
            upto = band_index.covered_upto(conn)
            if upto is None or top <= upto:  # None: a store from before this was kept: its runs hold every key
                band_index.set_covered(conn, top)
                return
            keys, owners, last = [], [], upto
            for ids, texts in db.texts_after(conn, upto, batch):
                prints = fingerprint_packed(texts)
                keys.append(prints.keys.ravel())
                owners.append(np.repeat(np.array(ids, np.int64), prints.keys.shape[1]))
                last = ids[-1]
                if last - upto >= RECOVER_RUN:
                    break
            band_index.save_run(conn, band_index.sorted_run(np.concatenate(keys), np.concatenate(owners)))
            band_index.set_covered(conn, last)


def _write_batch(conn, chunks: list[ChunkResult], report: IngestReport, matcher: _Matcher,
                 on_problem: Callable[[Problem], None]) -> None:
    if not chunks:
        return
    prints = BatchPrints.concat([c.prints for c in chunks])
    rows = [r for c in chunks for r in c.rows]
    batch = []  # (capture, index of its first article in rows/prints)
    at = 0
    for chunk in chunks:
        for res in chunk.captures:
            batch.append((res, at))
            at += res.n_articles
    with db.Transaction(conn):
        stored = db.stored_captures(conn, [(r.name, r.content_hash) for r, _ in batch if r.content_hash])
        fresh = []
        for res, first in batch:
            key = (res.name, res.content_hash)
            if res.content_hash and key in stored:
                report.skipped += 1
            elif res.problem:
                report.problems.append(res.problem)
                on_problem(res.problem)
            else:
                stored.add(key)  # the same capture twice in one run is stored once
                fresh.append((res.name, res.content_hash, res.kind, first, res.n_articles))
        now = time.time()
        given = db.new_ids(conn, fresh)
        edges = []
        if given.ids.size:  # matched before its rows are inserted, in the same transaction
            titles = [rows[i][1] for i in given.taken.tolist()] if matcher.run is not None else None
            edges = matcher.edges_for(_Written(given.ids, given.taken, prints, now, titles))
        db.insert_captures(conn, fresh, rows, prints, given, now)
        db.insert_edges(conn, edges)
        report.captures += len(fresh)
        report.articles += given.ids.size


def _cluster_pending(conn, report: IngestReport) -> None:
    """Decide the story of every pending article; re-cluster only the components they touch."""
    with db.Transaction(conn):
        report.new_stories += db.make_singleton_stories(conn)
        affected, pending = db.pending_components(conn)
        conn.execute("DELETE FROM pending")  # all placed by the end of this transaction
        if not affected:
            return
        pending = set(pending)
        old = db.component_stories(conn)
        db.drop_stories(conn, old)
        scores = {(a, b): (j, c, e, lead) for a, b, j, c, e, lead in db.component_edges(conn)}
        node_rows = db.component_nodes(conn)
        clusters = star_clusters(node_rows, scores)  # rows start (id, n_words, body_hash), as a Node
        hashes = {r[0]: r[2] for r in node_rows}
        details = {r[0]: (r[3], r[4]) for r in node_rows}
        del node_rows
        stories = sorted((hashes[c][:16], c, members) for c, members in clusters.items())
        db.write_stories(conn, stories, details)
        merges = [(m, sid, c, PairScores(*scores[(min(m, c), max(m, c))]))
                  for sid, c, members in stories for m in members[1:]]
        db.write_merges(conn, merges)
        report.new_stories += sum(sid not in old for sid, _, _ in stories)
        report.folded += sum(m in pending for m, *_ in merges)


class _Placement(NamedTuple):
    """Where a run into an empty store puts its articles (see _plan_placement)."""

    stories: Iterable[tuple[str, int, int, str, float, float]]  # stories rows, in story id order
    placements: Iterable[tuple[int, str]]  # (article id, story id), in article id order
    merges: list[tuple[int, str, int, PairScores]]  # (member, story id, canonical, scores)


def _plan_placement(run: _RunArticles, titles: Callable[[np.ndarray], dict[int, str]]) -> _Placement:
    """`_cluster_pending` for a run into a store that held no article before it: every pending
    article is this run's, and every edge too, so the stories come from the run's arrays (the
    same stories, story ids and merge evidence). `titles`: id → title of stored articles."""
    ids, n_words, digests, times, pairs, scores = run.arrays()
    members, starts = star_arrays(ids, n_words.astype(np.int64), [digests[:, 0], digests[:, 1]], pairs)
    sizes = np.diff(starts)
    by_id = np.argsort(ids)
    where = by_id[np.searchsorted(ids[by_id], members)]  # each member's index in the run's arrays
    canonical, story_hash = members[starts[:-1]], digests[where[starts[:-1]], 0]
    # in story id order (the canonical's body hash, 64 bits), a story of several after a lone one
    # with the same id: as the SQL path writes them, so the same row wins
    order = np.lexsort((canonical, sizes > 1, story_hash))
    story_ids = [f"{x:016x}" for x in story_hash.tolist()]
    title = titles(canonical)
    seen = times[where]
    stories = zip(map(story_ids.__getitem__, order.tolist()), canonical[order].tolist(), sizes[order].tolist(),
                  map(title.__getitem__, canonical[order].tolist()),
                  np.minimum.reduceat(seen, starts[:-1])[order].tolist(),
                  np.maximum.reduceat(seen, starts[:-1])[order].tolist())
    story_of = np.repeat(np.arange(sizes.size), sizes)  # each member's story
    placed = np.argsort(members, kind="stable")  # placements in article order: appended, not inserted
    placements = zip(members[placed].tolist(), map(story_ids.__getitem__, story_of[placed].tolist()))
    # merge evidence: each member but the canonical, with its edge to the canonical
    folded = np.ones(members.size, bool)
    folded[starts[:-1]] = False
    m, story = members[folded], story_of[folded]
    c = canonical[story]
    base = int(ids.max()) + 1
    edge_codes = pairs[:, 0] * base + pairs[:, 1]
    edge_order = np.argsort(edge_codes)
    edge = edge_order[np.searchsorted(edge_codes[edge_order], np.minimum(m, c) * base + np.maximum(m, c))]
    merges = [(aid, story_ids[k], cid, PairScores(*row)) for aid, k, cid, row in
              zip(m.tolist(), story.tolist(), c.tolist(), scores[edge].tolist())]
    return _Placement(stories, placements, merges)


def _place_run(conn, report: IngestReport, plan: _Placement | None) -> None:
    """Place every article of a run into an empty store as planned (_plan_placement; None: the
    run stored no article)."""
    with db.Transaction(conn):
        conn.execute("DELETE FROM pending")  # all placed by the end of this transaction
        if plan is None:
            return
        report.new_stories += db.write_story_rows(conn, plan.stories)
        db.write_placements(conn, plan.placements)
        db.write_merges(conn, plan.merges)
        report.folded += len(plan.merges)
