"""The LSH band index: sorted runs of (key, article) merged like an LSM tree, so adding a batch
and querying it are both compiled loops over arrays (kernels.py), never a dict of millions of
Python objects.

Runs are kept in the store, one per ingest, cut into chunks of CHUNK keys (one row each), with
the first key of every chunk (the fences) kept apart. An ingest into a big store does not load
them: each query reads only the chunks its keys fall in, so adding 1,000 articles to a store of a
million reads a few MB, not the whole index. (One blob per run was tried first: SQLite reaches a
byte of a big blob by walking its overflow pages, so a few reads cost a whole read.) A stored
run that ends up queried all over (a big ingest) is read once, whole. An ingest keeps its own
keys in memory and stores them at its end, as one run; the smallest stored runs are merged once
there are more than MAX_STORED_RUNS. The store says up to which article its runs hold the keys
(`covered_upto`): the articles a killed ingest committed before its end get theirs at the next
ingest (ingest.recover_band_keys), made again from their texts.
"""
from __future__ import annotations

import json

import numpy as np

from .match import MAX_BUCKET, bucket_limit, key_weights
from .store import Transaction

CHUNK = 256  # keys per stored chunk: 2 KB of keys and 1 KB of owners, one row in one SQLite page
CHUNK_BITS = 24  # a chunk's row id is its run's id << CHUNK_BITS | its number in the run
MERGE_FACTOR = 4  # in memory, a run is merged into the one before once it is a quarter of its size
MAX_STORED_RUNS = 16  # past this many stored runs, the smallest are merged into one
LOAD_SHARE = 0.25  # a stored run is read whole once a query reaches this share of its chunks
SAMPLE_EVERY = 64  # an in-memory run's sample (for two-level lookups) holds every 64th key ...
SAMPLED_RUN = 1 << 20  # ... of a run this big or bigger (a smaller one stays in the CPU cache), used
SAMPLED_GAP = 64  # by a query with fewer than one key per this many of the run's (a search that goes
# forward from the key before then skips hundreds of keys, missing the cache at each step)

Run = tuple[np.ndarray, np.ndarray]  # (int64 keys, sorted; int32 owners)


def _kernels():
    from . import kernels  # numba: loaded by the commands that match

    return kernels


def merge(a: Run, b: Run) -> Run:
    """Two sorted runs → one, in one compiled pass (numpy's version took an index array, a mask
    and four scattered copies of the whole)."""
    (ka, oa), (kb, ob) = a, b
    return _kernels().merge_runs(ka, oa.astype(np.int32, copy=False), kb, ob.astype(np.int32, copy=False))


def sorted_run(keys: np.ndarray, owners: np.ndarray) -> Run:
    """The keys sorted, owners in their order within a key (a stable sort)."""
    return _kernels().radix_sorted_run(np.ascontiguousarray(keys, dtype=np.int64), np.ascontiguousarray(owners, dtype=np.int64))


NO_SAMPLE = np.zeros(0, np.int64)


def _pairs_in_run(rk: np.ndarray, ro: np.ndarray, keys: np.ndarray, owners: np.ndarray,
                  weights: np.ndarray, limit: np.ndarray, sample: np.ndarray | None = None,
                  ) -> tuple[np.ndarray, np.ndarray] | None:
    """(owner of a query key, the run's owner) for every occurrence in the run of a query key
    whose bucket there is within its limit, and the key's weight (kernels.band_lookup)."""
    if rk.size == 0 or keys.size == 0:
        return None
    pairs, pair_weights = _kernels().band_lookup(rk, ro, NO_SAMPLE if sample is None else sample, SAMPLE_EVERY,
                                                 keys, owners, weights, limit)
    return (pairs, pair_weights) if pair_weights.size else None


class StoredRun:
    """A run in the store, read chunk by chunk: only the chunks a query's keys fall in."""

    def __init__(self, conn, rowid: int, size: int, fences: np.ndarray) -> None:
        self.conn, self.rowid, self.size, self.fences = conn, rowid, size, fences
        self.chunks_read = 0
        self.whole: Run | None = None

    def read(self) -> Run:
        if self.whole is None:
            lo = self.rowid << CHUNK_BITS
            self.whole = _join(self.conn.execute(
                "SELECT keys, owners FROM band_chunks WHERE id >= ? AND id < ? ORDER BY id", (lo, lo + self.fences.size)))
        return self.whole

    def covering(self, keys: np.ndarray) -> tuple[Run, np.ndarray]:
        """A sorted slice of the run, and which of `keys` it holds every occurrence of (the slice
        may hold part of another key's bucket; keys whose bucket is plainly larger than
        MAX_BUCKET are left out)."""
        everything = np.ones(keys.size, dtype=bool)
        if self.whole is not None:
            return self.whole, everything
        n_chunks = self.fences.size
        # an equal-key bucket may start in the chunk before the first fence equal to the key
        first = np.maximum(np.searchsorted(self.fences, keys, side="left") - 1, 0)
        last = np.searchsorted(self.fences, keys, side="right") - 1
        usable = (last >= 0) & ((last - first - 1) * CHUNK <= MAX_BUCKET)
        first, last = first[usable], last[usable]
        span = last - first + 1
        chunks = np.unique(np.repeat(first - np.concatenate(([0], np.cumsum(span)[:-1])), span) + np.arange(span.sum()))
        self.chunks_read += chunks.size
        if self.chunks_read >= LOAD_SHARE * n_chunks:  # queried all over: one sequential read is cheaper
            return self.read(), everything
        ids = ((self.rowid << CHUNK_BITS) + chunks).tolist()
        return _join(self.conn.execute(
            "SELECT keys, owners FROM band_chunks WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id",
            (json.dumps(ids),))), usable


def _join(rows) -> Run:
    key_parts, owner_parts = [], []
    for keys, owners in rows:
        key_parts.append(keys)
        owner_parts.append(owners)
    return np.frombuffer(b"".join(key_parts), dtype=np.int64), np.frombuffer(b"".join(owner_parts), dtype=np.int32)


def merge_with_room(a: Run, room: Run | None, b: Run) -> tuple[Run, Run]:
    """`merge(a, b)`, and the arrays it lies at the start of: a lies at the start of `room` (if not
    None), and the merge is made there, in place, if room has enough; else in new arrays with
    room for as much again (so a run that keeps growing is moved once per doubling)."""
    n = a[0].size + b[0].size
    if room is None or room[0].size < n:
        room = (np.empty(2 * n, np.int64), np.empty(2 * n, np.int32))
        room[0][: a[0].size], room[1][: a[0].size] = a
    size = _kernels().merge_into(room[0], room[1], a[0].size, b[0], b[1].astype(np.int32, copy=False))
    return (room[0][:size], room[1][:size]), room


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
        # O(n log n) merging (measured at 1M articles: adds + queries 15% cheaper than with a factor of 2)
        while len(self.runs) > 1 and self.runs[-1][0].size * MERGE_FACTOR >= self.runs[-2][0].size:
            newer = self.runs.pop()
            self.rooms.pop()
            merged, room = merge_with_room(self.runs.pop(), self.rooms.pop(), newer)
            self.runs.append(merged)
            self.rooms.append(room)
        self._forget_merged()
        return run

    def _forget_merged(self) -> None:
        """Drop the samples of runs merged away (a sample holds its run's keys: hundreds of MB at 1M)."""
        live = {id(rk) for rk, _ in self.runs}
        self.samples = {k: v for k, v in self.samples.items() if k in live}

    def pairs(self, keys: np.ndarray, owners: np.ndarray, presorted: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(m × 2) array of (owner of a query key, indexed article) sharing a key, and that key's
        weight. `presorted`: the keys are sorted already."""
        if not presorted:  # sorted needles: a repeated key is looked up once
            order = np.argsort(keys)
            keys, owners = keys[order], owners[order]
        keys, owners = keys.astype(np.int64, copy=False), owners.astype(np.int64, copy=False)
        weights = key_weights(keys).astype(np.int64, copy=False)
        limit = bucket_limit(keys).astype(np.int64, copy=False)
        found = [_pairs_in_run(rk, ro, keys, owners, weights, limit,
                               self._sample(rk) if rk.size > SAMPLED_GAP * keys.size else None) for rk, ro in self.runs]
        for run in self.stored:
            part, usable = run.covering(keys)
            found.append(_pairs_in_run(*part, keys[usable], owners[usable], weights[usable], limit[usable]))
        found = [f for f in found if f is not None]
        if not found:
            return np.zeros((0, 2), np.int64), np.zeros(0, np.int64)
        return np.concatenate([p for p, _ in found]), np.concatenate([w for _, w in found])

    def _sample(self, rk: np.ndarray) -> np.ndarray | None:
        """A big run's sample, made once per run: a merge, even one in place, gives the merged run
        a new keys array (a new view of its room), which misses this cache, by identity."""
        if rk.size < SAMPLED_RUN:
            return None
        known = self.samples.get(id(rk))
        if known is None or known[0] is not rk:
            known = self.samples[id(rk)] = (rk, rk[::SAMPLE_EVERY].copy())
        return known[1]


def load(conn) -> BandIndex:
    """The store's runs, as fences only (about 1 MB per million articles)."""
    _upgrade(conn)
    rows = conn.execute("SELECT id, size, fences FROM band_runs ORDER BY id").fetchall()
    return BandIndex([StoredRun(conn, rowid, size, np.frombuffer(fences, dtype=np.int64)) for rowid, size, fences in rows])


def save_run(conn, run: Run) -> int:
    keys, owners = run
    rowid = conn.execute("INSERT INTO band_runs (size, fences) VALUES (?, ?)",
                         (keys.size, np.ascontiguousarray(keys[::CHUNK]).tobytes())).lastrowid
    conn.executemany("INSERT INTO band_chunks (id, keys, owners) VALUES (?, ?, ?)",
                     (((rowid << CHUNK_BITS) + i, keys[s : s + CHUNK].tobytes(), owners[s : s + CHUNK].tobytes())
                      for i, s in enumerate(range(0, keys.size, CHUNK))))
    return rowid


def _delete_runs(conn, rowids: list[int]) -> None:
    for rowid in rowids:
        conn.execute("DELETE FROM band_chunks WHERE id >= ? AND id < ?", (rowid << CHUNK_BITS, (rowid + 1) << CHUNK_BITS))
        conn.execute("DELETE FROM band_runs WHERE id=?", (rowid,))


def covered_upto(conn) -> int | None:
    """The last article whose band keys the stored runs hold (None: a store from before this was
    kept, whose runs hold every article's keys)."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'band_upto'").fetchone()
    return None if row is None else row[0]


def set_covered(conn, upto: int) -> None:
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('band_upto', ?)", (upto,))


def save_ingest(conn, index: BandIndex, upto: int) -> None:
    """At the end of an ingest: its keys (the index's in-memory runs) become one stored run, which
    covers the articles up to `upto`; then, if the store holds too many runs, the smallest are
    merged into one."""
    index.samples = {}  # the runs are merged below: their samples would keep their keys alive
    if index.runs:
        # one run, not a few: a later query then reads each of its chunks from one place. The
        # smaller runs are merged first, then into the room after the oldest, biggest one (at 1M,
        # a merge into new arrays of its 40M keys took 1.2 s)
        merged = index.runs.pop()
        while len(index.runs) > 1:
            merged = merge(index.runs.pop(), merged)
        if index.runs:
            merged, _ = merge_with_room(index.runs.pop(), index.rooms[0], merged)
        index.runs, index.rooms = [merged], [None]
        if merged[0].size:
            save_run(conn, merged)
    set_covered(conn, upto)
    rows = conn.execute("SELECT id, size, fences FROM band_runs ORDER BY size, id").fetchall()
    if len(rows) <= MAX_STORED_RUNS:
        return
    smallest = rows[: len(rows) - MAX_STORED_RUNS // 2 + 1]
    merged: Run | None = None
    for rowid, size, fences in smallest:
        run = StoredRun(conn, rowid, size, np.frombuffer(fences, dtype=np.int64)).read()
        merged = run if merged is None else merge(merged, run)
    _delete_runs(conn, [rowid for rowid, _, _ in smallest])
    save_run(conn, merged)


def _upgrade(conn) -> None:
    """A store from before chunked runs kept each run as one blob: cut them into chunks, once."""
    if "keys" not in {row[1] for row in conn.execute("PRAGMA table_info(band_runs)")}:
        return
    with Transaction(conn):
        old = conn.execute("SELECT keys, owners FROM band_runs ORDER BY id").fetchall()
        conn.execute("DROP TABLE band_runs")
        conn.execute("CREATE TABLE band_runs (id INTEGER PRIMARY KEY, size INTEGER NOT NULL, fences BLOB NOT NULL)")
        for keys, owners in old:
            save_run(conn, (np.frombuffer(keys, dtype=np.int64), np.frombuffer(owners, dtype=np.int32)))
