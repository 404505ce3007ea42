"""The compiled fingerprint of a batch of bodies (numba): the definition in `fingerprint/__init__.py`,
made by one loop per body over its bytes, with no Python step per token, shingle or bin.

The constants below are part of that definition: stored signatures and band keys are made of
them, so changing one makes every stored store incomparable (`tests/test_fingerprint.py` holds
this code to a plain-Python reading of the definition). Compiled on first use and cached on disk
beside this file.
"""
from __future__ import annotations

import numpy as np
from numba import njit

_U64 = np.uint64
P = _U64(0x100000001B3)
G0, G1, G2 = _U64(0x9E3779B97F4A7C15), _U64(0xC2B2AE3D27D4EB4F), _U64(0x165667B19E3779F9)
MIX1, MIX2 = _U64(0xBF58476D1CE4E5B9), _U64(0x94D049BB133111EB)
OPH_SALT = _U64(0x5851F42D4C957F2D)
SALT_MUL = _U64(0x9E3779B97F4A7C15)
EMPTY = np.uint32(0xFFFFFFFF)
DENSIFY_STEP = np.uint32(0x9E3779B1)
LOW32 = _U64(0xFFFFFFFF)
S30, S27, S31, S32 = _U64(30), _U64(27), _U64(31), _U64(32)
ONE = _U64(1)


LOWER = np.arange(256, dtype=np.uint8)  # byte → its ASCII lower case (other bytes unchanged)
LOWER[65:91] += 32
HASH_BYTE = LOWER.astype(np.uint64) + ONE  # what a byte adds to its token's hash, times P^k


@njit(cache=True, nogil=True)
def mix(h):
    """splitmix64's finaliser (uint64 → uint64)."""
    h = h ^ (h >> S30)
    h = h * MIX1
    h = h ^ (h >> S27)
    h = h * MIX2
    return h ^ (h >> S31)


@njit(cache=True, nogil=True)
def _oph(grams, n, sig, shift):
    """One-permutation MinHash of grams[:n] into sig (uint32[bins]), then rotation densification:
    an empty bin takes the nearest filled bin to its right (circularly) plus distance ×
    DENSIFY_STEP. A shingle's bin is its hash's top bits (`shift`: 64 - log2(bins)). (Indices here and below are unsigned where they can be: numba checks a signed
    index for a negative value at every access.)"""
    bins = _U64(sig.size)
    for j in range(bins):
        sig[j] = EMPTY
    for i in range(_U64(n)):
        h = mix(grams[i] ^ OPH_SALT)
        b = h >> shift
        sig[b] = min(sig[b], np.uint32(h & LOW32))  # no branch: a new minimum comes at random
    filled = bins  # any filled bin (a bin holding EMPTY's own value, odds 2^-32, counts as empty)
    for j in range(bins):
        if sig[j] != EMPTY:
            filled = j
            break
    if filled == bins:
        return
    # walk left from a filled bin, all the way round: the last filled bin seen is the nearest
    # one to the right of each empty bin (no copy of the signature needed)
    last = sig[filled]
    dist = 0
    for s in range(ONE, bins):
        j = (filled + bins - s) % bins
        if sig[j] != EMPTY:
            last = sig[j]
            dist = 0
        else:
            dist += 1
            sig[j] = last + np.uint32(dist) * DENSIFY_STEP


@njit(cache=True, nogil=True)
def _band_keys(sig, bands, rows, salt, lead, out, at):
    """Band keys of one signature into out[at:at+bands]: equal keys ⇔ equal rows in that band;
    the lowest bit says whether it is a lead band."""
    base = _U64(salt) * SALT_MUL
    for b in range(bands):
        h = base + _U64(b)
        for r in range(rows):
            h = mix(h ^ _U64(sig[b * rows + r]))
        h = (h & ~ONE) | _U64(lead)
        out[at + b] = np.int64(h)


@njit(cache=True, nogil=True)
def _sorted_unique_top32(values, n, scratch, out, at):
    """The distinct top 32 bits of values[:n], sorted, written at out[at:]; returns the new end.
    A 4-pass byte radix sort (a few hundred values: several times faster than a comparison sort),
    the four passes' counts made in one walk."""
    if n == 0:
        return at
    n = _U64(n)
    a = scratch[0, :n]
    b = scratch[1, :n]
    counts = np.zeros((4, 256), np.uint64)
    for i in range(n):
        x = np.uint32(values[i] >> S32)
        a[i] = x
        counts[0, x & np.uint32(0xFF)] += ONE
        counts[1, (x >> np.uint32(8)) & np.uint32(0xFF)] += ONE
        counts[2, (x >> np.uint32(16)) & np.uint32(0xFF)] += ONE
        counts[3, x >> np.uint32(24)] += ONE
    for p in range(4):  # counts → where each byte value's run starts in that pass's output
        total = _U64(0)
        for d in range(256):
            c = counts[p, d]
            counts[p, d] = total
            total += c
    for p in range(4):
        shift = np.uint32(8 * p)
        for i in range(n):
            d = (a[i] >> shift) & np.uint32(0xFF)
            b[counts[p, d]] = a[i]
            counts[p, d] += ONE
        a, b = b, a
    out[at] = a[0]  # four passes: the sorted values are back in scratch[0]
    at = _U64(at) + ONE
    for i in range(ONE, n):  # each value written, the end moved on by a new one's only
        out[at] = a[i]
        at += _U64(a[i] != a[i - ONE])
    return np.int64(at)


# P^k for a byte k bytes into its token, for tokens of up to POWERS bytes (a table lookup per byte
# instead of a running power: a multiplication fewer on the chain from one byte to the next)
POWERS = 256
POW = np.ones(POWERS, np.uint64)
for _k in range(1, POWERS):
    POW[_k] = np.uint64((int(POW[_k - 1]) * int(P)) % (1 << 64))


@njit(cache=True, nogil=True)
def _tokens(low, lo, hi, word_byte, tok, starts, nt):
    """The tokens of low[lo:hi]: runs of word bytes, hashed as Σ (byte + 1)·P^k (the byte
    lower-cased) plus the token's length (mixed by the caller), written from tok[nt] on with
    where each starts. Returns the new nt, and whether a token ran past POWERS bytes (its hash is
    wrong: redo the text by `_tokens_by_running_power`).

    One pass with no branch per byte: every byte updates the running token (a non-word byte
    resets it, through a mask), and a token is counted where a word byte is followed by any other
    byte (a loop that branched at each word's start and end lost most of its time to mispredicted
    branches). Indices are unsigned: numba checks a signed index for a negative value at every
    access."""
    h = length = prev = seen = _U64(0)
    nt = _U64(nt)
    for i in range(_U64(lo), _U64(hi)):
        b = low[i]
        w = word_byte[b]
        tok[nt] = h + length  # the token that ends here, if one does
        starts[nt] = i - length
        nt += prev & (w ^ ONE)
        keep = _U64(0) - w  # all ones after a word byte, else none: a non-word byte resets the token
        h = (h + HASH_BYTE[b] * POW[length & _U64(POWERS - 1)]) & keep
        length = (length + ONE) & keep
        seen |= length
        prev = w
    tok[nt] = h + length
    starts[nt] = _U64(hi) - length
    nt += prev
    return np.int64(nt), seen > _U64(POWERS)


@njit(cache=True, nogil=True)
def _tokens_by_running_power(low, lo, hi, word_byte, tok, starts, nt):
    """`_tokens` for a text with a token of any length: P^k kept as a running product."""
    h = length = prev = _U64(0)
    pw = ONE
    nt = _U64(nt)
    for i in range(_U64(lo), _U64(hi)):
        b = low[i]
        w = word_byte[b]
        tok[nt] = h + length
        starts[nt] = i - length
        nt += prev & (w ^ ONE)
        h = w * (h + HASH_BYTE[b] * pw)
        pw = w * (pw * P) + (ONE - w)
        length = w * (length + ONE)
        prev = w
    tok[nt] = h + length
    starts[nt] = _U64(hi) - length
    nt += prev
    return np.int64(nt)


@njit(cache=True, nogil=True)
def _windows(tok, first, n, grams):
    """The hashes of the n 3-token windows of the tokens from tok[first] on, into grams[:n]."""
    for k in range(_U64(n)):
        grams[k] = mix(tok[first + k] * G0 ^ tok[first + k + ONE] * G1 ^ tok[first + k + _U64(2)] * G2)


@njit(cache=True, nogil=True)
def window_hashes(tok):
    """The 64-bit hashes of a text's 3-token windows, in text order (none under 3 tokens): what
    its shingles are made of, for locating the passages two texts share."""
    n = max(tok.size - 2, 0)
    grams = np.empty(n, np.uint64)
    _windows(tok, _U64(0), n, grams)
    return grams


@njit(cache=True, nogil=True)
def fingerprint_texts(low, orig, bounds, word_byte, entity_byte, n_perm, bin_shift, bands, rows, lead_bands,
                      lead_rows, lead_words, check_words, minhash=True):
    """Everything a batch of bodies needs, in one pass per body. `low`/`orig`: the bodies' lower-cased
    and original-case bytes (same length), body i at [bounds[i], bounds[i+1]); `low` may leave
    ASCII letters in upper case (an ASCII body is passed as it is, twice): the kernel lower-cases
    them. `word_byte`/`entity_byte`: 0/1 per byte value (uint64), after that lower-casing.

    Returns (token hashes, token offsets per body, signatures, band keys, then values and offsets
    of the shingle, lead-shingle and name/figure sets). Without `minhash`, no signatures and band
    keys: arrays of no rows (verification needs the sets alone: a fifth of the work spared)."""
    n_texts = bounds.size - 1
    cap = low.size // 2 + 2  # a token is at least one byte and a separator
    tok = np.empty(cap, np.uint64)
    starts = np.empty(cap, np.uint64)  # where each token starts
    ent = np.empty(cap, np.bool_)
    tok_off = np.zeros(n_texts + 1, np.int64)
    sigs = np.empty((n_texts if minhash else 0, n_perm), np.uint32)
    keys = np.empty((n_texts if minhash else 0, bands + lead_bands), np.int64)
    shingles = np.empty(cap, np.uint32)
    sh_off = np.zeros(n_texts + 1, np.int64)
    lead = np.empty(n_texts * check_words + 1, np.uint32)
    lead_off = np.zeros(n_texts + 1, np.int64)
    ents = np.empty(cap, np.uint32)
    ent_off = np.zeros(n_texts + 1, np.int64)
    lead_sig = np.empty(n_perm, np.uint32)
    longest = 1  # per-body scratch, allocated once: at most one token per two bytes of the longest body
    for t in range(n_texts):
        longest = max(longest, (bounds[t + 1] - bounds[t]) // 2 + 2)
    grams = np.empty(longest, np.uint64)
    names = np.empty(longest, np.uint64)
    scratch = np.empty((2, longest), np.uint32)
    nt = 0
    n_sh = n_lead = n_ent = 0
    for t in range(n_texts):
        first = nt
        nt, long_token = _tokens(low, bounds[t], bounds[t + 1], word_byte, tok, starts, nt)
        if long_token:
            nt = _tokens_by_running_power(low, bounds[t], bounds[t + 1], word_byte, tok, starts, first)
        for k in range(_U64(first), _U64(nt)):
            start = starts[k]
            o = orig[start]  # a name or figure opens with a capital or a digit
            ent[k] = (entity_byte[o] == ONE) | (o != LOWER[low[start]])  # `or` would branch, on data
            tok[k] = mix(tok[k])
        m = nt - first
        tok_off[t + 1] = nt
        # shingles: 3-token windows; a one- or two-word body still gets one
        n_g = m - 2 if m >= 3 else (1 if m > 0 else 0)
        f = _U64(first)
        if m >= 3:
            _windows(tok, f, n_g, grams)
        elif m > 0:
            x = _U64(0)
            for k in range(_U64(m)):
                x ^= tok[f + k] * G0
            grams[0] = mix(x)
        if minhash:
            sig = sigs[t]
            _oph(grams, n_g, sig, bin_shift)
            _oph(grams, min(n_g, lead_words - 2), lead_sig, bin_shift)  # the shingles of the first lead_words words
            _band_keys(sig, bands, rows, 1, 0, keys[t], 0)
            _band_keys(lead_sig, lead_bands, lead_rows, 2, 1, keys[t], bands)
        n_sh = _sorted_unique_top32(grams, n_g, scratch, shingles, n_sh)
        sh_off[t + 1] = n_sh
        n_lead = _sorted_unique_top32(grams, min(n_g, check_words - 2), scratch, lead, n_lead)
        lead_off[t + 1] = n_lead
        n_names = _U64(0)
        for k in range(f, _U64(nt)):  # every token written, the count moved on by a name's only
            names[n_names] = tok[k]
            n_names += _U64(ent[k])
        n_ent = _sorted_unique_top32(names, n_names, scratch, ents, n_ent)
        ent_off[t + 1] = n_ent
    return (tok[:nt].copy(), tok_off, sigs, keys, shingles[:n_sh].copy(), sh_off, lead[:n_lead].copy(), lead_off,
            ents[:n_ent].copy(), ent_off)


