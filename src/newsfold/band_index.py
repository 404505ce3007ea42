"""An in-memory LSH band index for one ingest run: sorted runs of (key, article) merged like an
LSM tree, so adding a batch and querying it are both vectorised (searchsorted), never a dict
of millions of Python objects."""
from __future__ import annotations

import numpy as np

from .match import MAX_BUCKET


class BandIndex:
    def __init__(self) -> None:
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []

    def __len__(self) -> int:
        return sum(k.size for k, _ in self.runs)

    def add(self, keys: np.ndarray, owners: np.ndarray) -> None:
        order = np.argsort(keys, kind="stable")
        self.runs.append((keys[order], owners[order]))
        # merge while the newest run is as large as the one before: O(log n) runs, amortised O(n log n)
        while len(self.runs) > 1 and self.runs[-1][0].size * 2 >= self.runs[-2][0].size:
            (k2, o2), (k1, o1) = self.runs.pop(), self.runs.pop()
            k, o = np.concatenate([k1, k2]), np.concatenate([o1, o2])
            order = np.argsort(k, kind="stable")
            self.runs.append((k[order], o[order]))

    def pairs(self, keys: np.ndarray, owners: np.ndarray) -> np.ndarray:
        """(m × 2) array of (owner of a query key, indexed article) sharing a key."""
        out = []
        for rk, ro in self.runs:
            lo = np.searchsorted(rk, keys, side="left")
            hi = np.searchsorted(rk, keys, side="right")
            n = hi - lo
            hit = (n > 0) & (n <= MAX_BUCKET)
            if not hit.any():
                continue
            lo, n, q = lo[hit], n[hit], owners[hit]
            idx = np.repeat(lo - np.concatenate(([0], np.cumsum(n)[:-1])), n) + np.arange(n.sum())
            out.append(np.stack([np.repeat(q, n), ro[idx]], axis=1))
        return np.concatenate(out) if out else np.zeros((0, 2), np.int64)
