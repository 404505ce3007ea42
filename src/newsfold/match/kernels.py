"""Compiled loops of the match stage (numba): bucket pairing, the sketch prefilter, the set
walks of verification, and packing verification sets into blobs. Loaded by the commands that
match, on first use; cached on disk beside this file.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .verify import DIGEST, HEADER_WORDS, N_LEAD, N_SHINGLES, N_WORDS, TAG

_U64 = np.uint64
LOW7, BYTE_ONES, SEVEN, S56 = _U64(0x7F7F7F7F7F7F7F7F), _U64(0x0101010101010101), _U64(7), _U64(56)


@njit(cache=True, nogil=True)
def bucket_pairs(keys, owners, weights, limits):
    """Every pair among the first limits[i] entries of each bucket (keys sorted; the first
    entry's limit counts), as (owner, owner) rows with the key's weight."""
    n = keys.size
    starts = np.empty(n, np.int64)  # the buckets worth pairing: [starts[t], ends[t])
    ends = np.empty(n, np.int64)
    n_buckets = total = 0
    i = 0
    while i < n:
        j = i + 1
        while j < n and keys[j] == keys[i]:
            j += 1
        end = min(j, i + limits[i])  # the bucket's first limits[i] entries pair, the rest do not
        if end - i >= 2:
            starts[n_buckets], ends[n_buckets] = i, end
            n_buckets += 1
            total += (end - i) * (end - i - 1) // 2
        i = j
    pairs = np.empty((total, 2), np.int64)
    pair_weights = np.empty(total, np.int64)
    k = 0
    for t in range(n_buckets):
        for a in range(starts[t], ends[t]):
            for b in range(a + 1, ends[t]):
                pairs[k, 0] = owners[a]
                pairs[k, 1] = owners[b]
                pair_weights[k] = weights[a]
                k += 1
    return pairs, pair_weights


@njit(cache=True, nogil=True)
def prefilter_pairs(run_sig, run_size, other_sig, other_size, at_a, at_b, min_containment, prefilter_containment,
                    sigmas):
    """The prefilter (prefilter.py) of pairs whose sketches (a byte a bin, rows viewed as uint64 words) are
    rows of two matrices, read in place: row i of this run's sketches where at ≥ 0, else row
    -at-1 of `other` (articles stored before the run).
    Read in place: copying every pair's two rows out first would take gigabytes at scale."""
    n, words = at_a.size, run_sig.shape[1]
    width = 8 * words  # bins: a byte each, read 8 at a time
    keep = np.zeros(n, np.bool_)
    for i in range(n):
        a, b = at_a[i], at_b[i]
        sa = run_sig[a] if a >= 0 else other_sig[-a - 1]
        sb = run_sig[b] if b >= 0 else other_sig[-b - 1]
        na = np.float64(run_size[a] if a >= 0 else other_size[-a - 1])
        nb = np.float64(run_size[b] if b >= 0 else other_size[-b - 1])
        equal = 0
        for k in range(words):  # equal bins are the zero bytes of a ^ b, counted 8 at a time
            x = sa[k] ^ sb[k]
            y = ~(((x & LOW7) + LOW7) | x | LOW7)  # a byte's top bit: set where the byte is zero
            equal += np.int64(((y >> SEVEN) * BYTE_ONES) >> S56)
        j = equal / width
        na, nb = max(na, 1.0), max(nb, 1.0)
        small = min(na, nb)
        estimate = j * (na + nb) / ((1 + j) * small)
        j_at = min(max(min_containment * small / (na + nb - min_containment * small), 0.0), 1.0)
        error = np.sqrt(j_at * (1 - j_at) / width)
        keep[i] = (estimate >= prefilter_containment) or (j >= j_at - sigmas * error)
    return keep


@njit(cache=True, nogil=True)
def count_in(part, whole):
    """How many values of `part` are in `whole` (both sorted, distinct): one merge walk, with no
    branch but the loop's (which side steps on is data: a branch on it was mispredicted at half
    the steps)."""
    i = j = found = _U64(0)
    na, nb = _U64(part.size), _U64(whole.size)
    while i < na and j < nb:
        a = part[i]
        b = whole[j]
        found += _U64(a == b)
        i += _U64(a <= b)
        j += _U64(a >= b)
    return np.int64(found)


@njit(cache=True, nogil=True)
def pair_overlaps(ia, ib, small_is_a, buf, sh_start, sh_end, lead_start, lead_end, ent_start, ent_end):
    """For each candidate pair (articles ia[k], ib[k], whose sets are slices of `buf`): shared
    shingles, a's lead shingles in b's body, b's lead in a's body, and the smaller body's
    names/figures in the larger's. All pairs of a batch in one call (a call per set pair cost
    more than its walk)."""
    n = ia.size
    out = np.empty((n, 4), np.int64)
    for k in range(n):
        a, b = ia[k], ib[k]
        sa, sb = buf[sh_start[a]:sh_end[a]], buf[sh_start[b]:sh_end[b]]
        out[k, 0] = count_in(sa, sb)
        out[k, 1] = count_in(buf[lead_start[a]:lead_end[a]], sb)
        out[k, 2] = count_in(buf[lead_start[b]:lead_end[b]], sa)
        small, large = (a, b) if small_is_a[k] else (b, a)
        out[k, 3] = count_in(buf[ent_start[small]:ent_end[small]], buf[ent_start[large]:ent_end[large]])
    return out


@njit(cache=True, nogil=True)
def pack_set_blobs(tag, n_words, digests, sh, sh_off, lead, lead_off, ent, ent_off):
    """Every article's verification-set blob (the layout in verify.py) in one uint32 buffer;
    article i's is buf[at[i]:at[i + 1]]."""
    n = n_words.size
    at = np.zeros(n + 1, np.int64)
    for i in range(n):
        at[i + 1] = at[i] + HEADER_WORDS + (sh_off[i + 1] - sh_off[i]) + (lead_off[i + 1] - lead_off[i]) + (ent_off[i + 1] - ent_off[i])
    buf = np.empty(at[n], np.uint32)
    for i in range(n):
        k = at[i]
        buf[k + TAG] = tag
        buf[k + N_WORDS] = n_words[i]
        for w in range(4):
            buf[k + DIGEST + w] = digests[i, w]
        buf[k + N_SHINGLES] = sh_off[i + 1] - sh_off[i]
        buf[k + N_LEAD] = lead_off[i + 1] - lead_off[i]
        k += HEADER_WORDS
        for values, off in ((sh, sh_off), (lead, lead_off), (ent, ent_off)):
            for j in range(off[i], off[i + 1]):
                buf[k] = values[j]
                k += 1
    return buf, at
