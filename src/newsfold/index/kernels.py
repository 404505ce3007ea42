"""Compiled loops of the band index (numba): sorting a batch's keys into a run, merging runs,
and looking keys up in a run. Loaded by the commands that match, on first use; cached on disk
beside this file.
"""
from __future__ import annotations

import numpy as np
from numba import njit

_U64 = np.uint64


@njit(cache=True, nogil=True)
def _lower_bound(values, key, lo, hi):
    """First index in values[lo:hi] (sorted) whose value is ≥ key (hi if none)."""
    while lo < hi:
        mid = (lo + hi) >> 1
        if values[mid] < key:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, nogil=True)
def _gallop(values, key, lo, n):
    """`_lower_bound(values, key, lo, n)` for a key no smaller than the one found at lo before:
    searched forward from lo in steps that double (sorted needles are a few entries apart, and
    this stays in the cache lines the last search touched, where a search over the whole run
    misses the cache at every step)."""
    step = 1
    hi = lo
    while hi < n and values[hi] < key:
        lo = hi + 1
        hi = lo + step
        step <<= 1
    return _lower_bound(values, key, lo, min(hi, n))


@njit(cache=True, nogil=True)
def band_spans(rk, sample, sample_every, keys, limits):
    """Where each of `keys` (sorted) starts in one sorted run `rk`, and how many times it occurs
    there, counted up to limits[i] (a bucket that reaches its limit is full: the rest of it does
    not matter). Each key is searched forward from where the one before it was found. With a
    `sample` (every sample_every-th key of a run far bigger than the query, small enough to stay
    in the CPU cache) the forward search runs in the sample and ends inside one block of the run."""
    m, n = keys.size, rk.size
    start = np.zeros(m, np.int64)
    count = np.zeros(m, np.int64)
    lo = 0  # where the key before was found: in the sample if there is one, else in the run
    for i in range(m):
        key = keys[i]
        if i > 0 and key == keys[i - 1]:  # the same bucket as the key before
            start[i], count[i] = start[i - 1], count[i - 1]
            continue
        if sample.size:
            lo = _gallop(sample, key, lo, sample.size)
            block = max(lo - 1, 0) * sample_every
            at = _lower_bound(rk, key, block, min(block + sample_every, n))
        else:
            at = lo = _gallop(rk, key, lo, n)
        c = 0
        while at + c < n and rk[at + c] == key and c < limits[i]:  # a bucket is short: step along it
            c += 1
        start[i], count[i] = at, c
    return start, count


@njit(cache=True, nogil=True)
def span_pairs(ro, start, count, owners, weights):
    """A pair (owners[i], the run's owner) for each of the count[i] entries from start[i] of a
    run's owners `ro`, with weights[i]."""
    total = 0
    for i in range(count.size):
        total += count[i]
    pairs = np.empty((total, 2), np.int64)
    pair_weights = np.empty(total, np.int64)
    k = 0
    for i in range(count.size):
        for t in range(count[i]):
            pairs[k, 0] = owners[i]
            pairs[k, 1] = ro[start[i] + t]
            pair_weights[k] = weights[i]
            k += 1
    return pairs, pair_weights


@njit(cache=True, nogil=True)
def merge_runs(ka, oa, kb, ob):
    """Two sorted runs (keys, owners) → one, in one pass; on equal keys a's entries come first."""
    na, nb = ka.size, kb.size
    keys = np.empty(na + nb, np.int64)
    owners = np.empty(na + nb, np.int32)
    i = j = k = 0
    while i < na and j < nb:
        if kb[j] < ka[i]:
            keys[k], owners[k] = kb[j], ob[j]
            j += 1
        else:
            keys[k], owners[k] = ka[i], oa[i]
            i += 1
        k += 1
    while i < na:
        keys[k], owners[k] = ka[i], oa[i]
        i += 1
        k += 1
    while j < nb:
        keys[k], owners[k] = kb[j], ob[j]
        j += 1
        k += 1
    return keys, owners


@njit(cache=True, nogil=True)
def merge_into(keys, owners, n, kb, ob):
    """Merge the sorted run (kb, ob) into the sorted run held by keys[:n], owners[:n], in place:
    from the back, into the room after it (len(keys) ≥ n + kb.size). On equal keys the held run's
    entries come first, as in merge_runs. Returns the merged run's size. No new arrays: allocating
    (and faulting in) a fresh pair per merge costs more than the merge; and once the smaller run
    is used up, the rest is already in place."""
    i, j, k = n - 1, kb.size - 1, n + kb.size - 1
    while j >= 0:
        if i >= 0 and keys[i] > kb[j]:
            keys[k], owners[k] = keys[i], owners[i]
            i -= 1
        else:
            keys[k], owners[k] = kb[j], ob[j]
            j -= 1
        k -= 1
    return n + kb.size


@njit(cache=True, nogil=True)
def _byte_starts(values, n, shift, mask, counts):
    """The counting half of a radix pass: counts[d] becomes where the values of values[:n] whose
    byte at `shift` is d start in the pass's output (`shift` and `mask` of the values' type)."""
    counts[:] = 0
    for i in range(n):
        counts[(values[i] >> shift) & mask] += 1
    total = 0
    for d in range(256):
        c = counts[d]
        counts[d] = total
        total += c


SIGN = _U64(1 << 63)


@njit(cache=True, nogil=True)
def radix_sorted_run(keys, owners):
    """(keys sorted, their owners as int32), stable: an LSD radix sort, 8 passes of a byte, the
    sign bit flipped so that unsigned byte order is signed order (for a batch's keys, about half
    the time of numpy's stable argsort and the two gathers after it)."""
    n = keys.size
    ka = keys.view(np.uint64) ^ SIGN
    kb = np.empty(n, np.uint64)
    oa = owners.astype(np.int32)
    ob = np.empty(n, np.int32)
    counts = np.empty(256, np.int64)
    for shift in range(0, 64, 8):
        s = _U64(shift)
        _byte_starts(ka, n, s, _U64(0xFF), counts)
        for i in range(n):
            d = (ka[i] >> s) & _U64(0xFF)
            kb[counts[d]] = ka[i]
            ob[counts[d]] = oa[i]
            counts[d] += 1
        ka, kb = kb, ka
        oa, ob = ob, oa
    return (ka ^ SIGN).view(np.int64), oa  # eight passes: the result is back in the first buffers
