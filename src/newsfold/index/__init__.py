"""The LSH band index: sorted runs of (key, article) merged like an LSM tree, so adding a batch
and querying it are both compiled loops over arrays (`kernels.py`), never a dict of millions of
Python objects.

An ingest keeps its own keys in memory (`BandIndex.runs`) and stores them at its end as one run.
Stored runs are cut into chunks of CHUNK keys, with the first key of every chunk (the fences)
kept apart, and are read through a `ChunkReader` the store provides: a query reads only the
chunks its keys fall in, so adding 1,000 articles to a store of a million reads a few MB, not
the whole index; a stored run that ends up queried all over (a big ingest) is read once, whole.
Past MAX_STORED_RUNS stored runs, the smallest are merged (`runs_to_compact`).
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

import numpy as np

from ..config import SETTINGS
from ..match.candidates import bucket_limit, key_weights
from .runs import Run, merge, merge_with_room, sorted_run, span_pairs, spans_in_run

CHUNK = 256  # keys per stored chunk: 2 KB of keys and 1 KB of owners, one row in one SQLite page
MERGE_FACTOR = 4  # in memory, a run is merged into the one before once it is a quarter of its size
MAX_STORED_RUNS = 16  # past this many stored runs, the smallest are merged into one
LOAD_SHARE = 0.25  # a stored run is read whole once a query reaches this share of its chunks
SAMPLE_EVERY = 64  # an in-memory run's sample (for two-level lookups) holds every 64th key ...
SAMPLED_RUN = 1 << 20  # ... of a run this big or bigger (a smaller one stays in the CPU cache), used
SAMPLED_GAP = 64  # by a query with fewer than one key per this many of the run's (a search that goes
# forward from the key before then skips hundreds of keys, missing the cache at each step)


class ChunkReader(Protocol):
    """Where stored runs are read from (the store's band tables)."""

    def runs(self) -> list[tuple[int, int, np.ndarray]]:
        """(run id, size, fences) of every stored run."""

    def read_chunks(self, run_id: int, chunks: list[int] | None, n_chunks: int) -> Run:
        """The keys and owners of chunks `chunks` of run `run_id` (None: all n_chunks), joined in order."""


class StoredRun:
    """A run in the store, read chunk by chunk: only the chunks a query's keys fall in."""

    def __init__(self, reader: ChunkReader, run_id: int, size: int, fences: np.ndarray) -> None:
        self.reader, self.run_id, self.size, self.fences = reader, run_id, size, fences
        self.chunks_read = 0
        self.whole: Run | None = None

    def read(self) -> Run:
        if self.whole is None:
            self.whole = self.reader.read_chunks(self.run_id, None, self.fences.size)
        return self.whole

    def covering(self, keys: np.ndarray) -> tuple[Run, np.ndarray]:
        """A sorted slice of the run that holds every occurrence of each of `keys` (and maybe part
        of other keys' buckets), and which of `keys` have a bucket plainly bigger than any limit
        (left out of the slice: they fill whole chunks)."""
        if self.whole is not None:
            return self.whole, np.zeros(keys.size, dtype=bool)
        n_chunks = self.fences.size
        # an equal-key bucket may start in the chunk before the first fence equal to the key
        first = np.maximum(np.searchsorted(self.fences, keys, side="left") - 1, 0)
        last = np.searchsorted(self.fences, keys, side="right") - 1
        present = last >= 0  # else the key is smaller than the run's first
        oversized = present & ((last - first - 1) * CHUNK > max(SETTINGS.max_bucket, SETTINGS.max_lead_bucket))
        wanted = present & ~oversized
        first, last = first[wanted], last[wanted]
        span = last - first + 1
        chunks = np.unique(np.repeat(first - np.concatenate(([0], np.cumsum(span)[:-1])), span) + np.arange(span.sum()))
        self.chunks_read += chunks.size
        if self.chunks_read >= LOAD_SHARE * n_chunks:  # queried all over: one sequential read is cheaper
            return self.read(), np.zeros(keys.size, dtype=bool)
        return self.reader.read_chunks(self.run_id, chunks.tolist(), n_chunks), oversized


class BandIndex:
    """This ingest's runs in memory, merged LSM-style, plus the store's older runs, read lazily."""

    def __init__(self, stored: list[StoredRun] | None = None) -> None:
        self.stored = stored or []
        self.runs: list[Run] = []
        self.rooms: list[Run | None] = []  # the arrays each run lies at the start of, with room to grow
        self.samples: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # id(keys) → (keys, their sample)

    def __len__(self) -> int:
        return sum(k.size for k, _ in self.runs) + sum(r.size for r in self.stored)

    def add(self, keys: np.ndarray, owners: np.ndarray, presorted: bool = False) -> Run:
        """Index a batch; returns it as a sorted run. `presorted`: the keys are sorted already, as
        `sorted_run` sorts them (owners in order within a key)."""
        run = (keys, owners.astype(np.int32, copy=False)) if presorted else sorted_run(keys, owners)
        self.runs.append(run)
        self.rooms.append(None)
        # merge while the newest run is over a quarter of the one before: O(log n) runs, amortised
        # O(n log n) merging
        while len(self.runs) > 1 and self.runs[-1][0].size * MERGE_FACTOR >= self.runs[-2][0].size:
            newer = self.runs.pop()
            self.rooms.pop()
            merged, room = merge_with_room(self.runs.pop(), self.rooms.pop(), newer)
            self.runs.append(merged)
            self.rooms.append(room)
        live = {id(rk) for rk, _ in self.runs}  # the samples of runs merged away would keep their keys alive
        self.samples = {k: v for k, v in self.samples.items() if k in live}
        return run

    def pairs(self, keys: np.ndarray, owners: np.ndarray,
              presorted: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The bucket limit across runs: a bucket pairs its first `limit` members (by article id,
        and every indexed article comes before the query's), and none after. Returns the (m × 2)
        array of (owner of a query key, indexed article) sharing a key, that key's weight, and for
        each query key (in sorted order) how many indexed articles its bucket holds, counted up to
        its limit (the query's own pairs among themselves take the room left). Within the query,
        owners in their order within a key rank one after the other. `presorted`: the keys are
        sorted already, owners ascending within a key."""
        if not presorted:
            order = np.lexsort((owners, keys))
            keys, owners = keys[order], owners[order]
        keys, owners = keys.astype(np.int64, copy=False), owners.astype(np.int64, copy=False)
        limit = bucket_limit(keys).astype(np.int64, copy=False)
        runs, spans = [], []
        for rk, ro in self.runs:
            runs.append(ro)
            spans.append(spans_in_run(rk, keys, limit, self._sample(rk) if rk.size > SAMPLED_GAP * keys.size else None,
                                      SAMPLE_EVERY))
        for run in self.stored:
            (rk, ro), oversized = run.covering(keys)
            start, count = spans_in_run(rk, keys, limit)
            runs.append(ro)
            spans.append((start, np.where(oversized, limit, count)))
        earlier = np.minimum(sum((count for _, count in spans), np.zeros(keys.size, np.int64)), limit)
        rank = np.arange(keys.size) - np.maximum.accumulate(np.where(_starts(keys), np.arange(keys.size), 0))
        paired = earlier + rank < limit  # within the bucket's first `limit`: pairs with every one before
        weights = key_weights(keys).astype(np.int64, copy=False)
        found = [span_pairs(ro, start, np.where(paired, count, 0), owners, weights)
                 for ro, (start, count) in zip(runs, spans)]
        if not found:
            return np.zeros((0, 2), np.int64), np.zeros(0, np.int64), earlier
        return np.concatenate([p for p, _ in found]), np.concatenate([w for _, w in found]), earlier

    def _sample(self, rk: np.ndarray) -> np.ndarray | None:
        """A big run's sample, made once per run: a merge, even one in place, gives the merged run
        a new keys array (a new view of its room), which misses this cache, by identity."""
        if rk.size < SAMPLED_RUN:
            return None
        known = self.samples.get(id(rk))
        if known is None or known[0] is not rk:
            known = self.samples[id(rk)] = (rk, rk[::SAMPLE_EVERY].copy())
        return known[1]

    def one_run(self) -> Run | None:
        """This ingest's keys as one run (None: it added none): the smaller runs merged first,
        then into the room after the oldest, biggest one. Its samples are dropped."""
        self.samples = {}
        if not self.runs:
            return None
        merged = self.runs.pop()
        while len(self.runs) > 1:
            merged = merge(self.runs.pop(), merged)
        if self.runs:
            merged, _ = merge_with_room(self.runs.pop(), self.rooms[0], merged)
        self.runs, self.rooms = [merged], [None]
        return merged if merged[0].size else None


def _starts(keys: np.ndarray) -> np.ndarray:
    """Whether each of the sorted keys is the first of its bucket."""
    return np.concatenate(([True], keys[1:] != keys[:-1])) if keys.size else np.zeros(0, dtype=bool)


def load(reader: ChunkReader) -> BandIndex:
    """An index of the stored runs (their fences only: about 1 MB per million articles)."""
    return BandIndex([StoredRun(reader, *run) for run in reader.runs()])


def stored_form(run: Run) -> tuple[int, np.ndarray, Iterator[tuple[int, bytes, bytes]]]:
    """A run as it is stored: its size, the first key of each chunk, and its (chunk number,
    keys, owners) chunks."""
    keys, owners = run
    chunks = ((i, keys[s : s + CHUNK].tobytes(), owners[s : s + CHUNK].tobytes())
              for i, s in enumerate(range(0, keys.size, CHUNK)))
    return keys.size, np.ascontiguousarray(keys[::CHUNK]), chunks


def chunks_of_parts(parts: Iterable[Run]) -> Iterator[tuple[int, bytes, bytes]]:
    """The numbered chunks (of CHUNK keys) of one run given as consecutive sorted parts, each
    part read once: what `stored_form` gives of the run they make together."""
    held_keys, held_owners, number = np.zeros(0, np.int64), np.zeros(0, np.int32), 0
    for keys, owners in parts:
        keys = np.concatenate([held_keys, keys])
        owners = np.concatenate([held_owners, owners.astype(np.int32, copy=False)])
        whole = keys.size - keys.size % CHUNK
        for s in range(0, whole, CHUNK):
            yield number, keys[s : s + CHUNK].tobytes(), owners[s : s + CHUNK].tobytes()
            number += 1
        held_keys, held_owners = keys[whole:], owners[whole:]
    if held_keys.size:
        yield number, held_keys.tobytes(), held_owners.tobytes()


def runs_to_compact(sizes: list[tuple[int, int]]) -> list[int]:
    """Of the stored runs (run id, size), those to merge into one: the smallest, once there are
    more than MAX_STORED_RUNS (none otherwise)."""
    if len(sizes) <= MAX_STORED_RUNS:
        return []
    smallest = sorted(sizes, key=lambda r: (r[1], r[0]))[: len(sizes) - MAX_STORED_RUNS // 2 + 1]
    return [run_id for run_id, _ in smallest]
