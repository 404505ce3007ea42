"""Sorted runs of (band key, article): made, merged and searched by compiled loops (`kernels.py`)."""
from __future__ import annotations

import numpy as np

Run = tuple[np.ndarray, np.ndarray]  # (int64 keys, sorted; int32 owners)
NO_SAMPLE = np.zeros(0, np.int64)


def _kernels():
    from . import kernels  # numba: loaded by the commands that match

    return kernels


def sorted_run(keys: np.ndarray, owners: np.ndarray) -> Run:
    """The keys sorted, owners in their order within a key (a stable sort)."""
    return _kernels().radix_sorted_run(np.ascontiguousarray(keys, dtype=np.int64), np.ascontiguousarray(owners, dtype=np.int64))


def merge(a: Run, b: Run) -> Run:
    """Two sorted runs → one, in one compiled pass (on equal keys, a's entries first)."""
    (ka, oa), (kb, ob) = a, b
    return _kernels().merge_runs(ka, oa.astype(np.int32, copy=False), kb, ob.astype(np.int32, copy=False))


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


def spans_in_run(rk: np.ndarray, keys: np.ndarray, limit: np.ndarray, sample: np.ndarray | None = None,
                 sample_every: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Where each query key (sorted) starts in the run and how many times it occurs there, counted
    up to its limit. `sample`: every sample_every-th key of the run, for a two-level search."""
    if rk.size == 0 or keys.size == 0:
        return np.zeros(keys.size, np.int64), np.zeros(keys.size, np.int64)
    return _kernels().band_spans(rk, NO_SAMPLE if sample is None else sample, sample_every, keys, limit)


def span_pairs(ro: np.ndarray, start: np.ndarray, count: np.ndarray, owners: np.ndarray,
               weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owners[i], the run's owner) for the count[i] entries of the run from start[i], with weights[i]."""
    return _kernels().span_pairs(ro, start, count, owners, weights)
