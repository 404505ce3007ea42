"""The LSH band index: sorted runs of (key, article) merged like an LSM tree, so adding a batch
and querying it are both vectorised (searchsorted), never a dict of millions of Python objects.
The runs are kept in the store as blobs, one per write batch, and compacted at the end of a run."""
from __future__ import annotations

import numpy as np

from .match import bucket_limit, key_weights

MAX_STORED_RUNS = 16  # past this many stored runs, an ingest rewrites them as one


class BandIndex:
    def __init__(self) -> None:
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []  # (int64 keys sorted, int32 owners)

    def __len__(self) -> int:
        return sum(k.size for k, _ in self.runs)

    def add(self, keys: np.ndarray, owners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Index a batch; returns it as a sorted run (what the store keeps)."""
        order = np.argsort(keys, kind="stable")
        run = keys[order], owners[order].astype(np.int32)
        self.runs.append(run)
        # merge while the newest run is as large as the one before: O(log n) runs, amortised O(n log n)
        while len(self.runs) > 1 and self.runs[-1][0].size * 2 >= self.runs[-2][0].size:
            (k2, o2), (k1, o1) = self.runs.pop(), self.runs.pop()
            k, o = np.concatenate([k1, k2]), np.concatenate([o1, o2])
            order = np.argsort(k, kind="stable")
            self.runs.append((k[order], o[order]))
        return run

    def pairs(self, keys: np.ndarray, owners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(m × 2) array of (owner of a query key, indexed article) sharing a key, and that key's weight."""
        weights = key_weights(keys)
        limit = bucket_limit(keys)
        out, out_w = [], []
        for rk, ro in self.runs:
            lo = np.searchsorted(rk, keys, side="left")
            hi = np.searchsorted(rk, keys, side="right")
            n = hi - lo
            hit = (n > 0) & (n <= limit)
            if not hit.any():
                continue
            lo, n, q, qw = lo[hit], n[hit], owners[hit], weights[hit]
            idx = np.repeat(lo - np.concatenate(([0], np.cumsum(n)[:-1])), n) + np.arange(n.sum())
            out.append(np.stack([np.repeat(q, n), ro[idx].astype(np.int64)], axis=1))
            out_w.append(np.repeat(qw, n))
        if not out:
            return np.zeros((0, 2), np.int64), np.zeros(0, np.int64)
        return np.concatenate(out), np.concatenate(out_w)


def load(conn) -> BandIndex:
    """The stored runs, as they are (each is sorted already; no copy is made of the blobs)."""
    index = BandIndex()
    for keys, owners in conn.execute("SELECT keys, owners FROM band_runs ORDER BY id"):
        index.runs.append((np.frombuffer(keys, dtype=np.int64), np.frombuffer(owners, dtype=np.int32)))
    return index


def save_run(conn, run: tuple[np.ndarray, np.ndarray]) -> None:
    conn.execute("INSERT INTO band_runs (keys, owners) VALUES (?, ?)", (run[0].tobytes(), run[1].tobytes()))


def compact(conn, index: BandIndex) -> None:
    """Replace many stored runs by the index's own (few, merged) runs."""
    if conn.execute("SELECT count(*) FROM band_runs").fetchone()[0] > MAX_STORED_RUNS:
        conn.execute("DELETE FROM band_runs")
        for run in index.runs:
            save_run(conn, run)
