"""Compiled inner loops of the fingerprint and match stages (numba).

Fingerprinting walks every byte of every body and every shingle of it; verification walks two
sorted sets per candidate pair. In numpy those were a dozen full-array passes per step (0.21 ms
per 3,000-character body, the largest single cost of an ingest); as one loop each they are a
tenth of that. The arithmetic is exactly what `fingerprint.py` documents (the same token,
shingle, MinHash and band-key hashes), so stores written before stay comparable.

Compiled on first use and cached on disk next to this file (`cache=True`); numba is imported
only by the commands that fingerprint or verify.
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
S30, S27, S31, S32, S57 = _U64(30), _U64(27), _U64(31), _U64(32), _U64(57)
LOW7, BYTE_ONES, SEVEN, S56 = _U64(0x7F7F7F7F7F7F7F7F), _U64(0x0101010101010101), _U64(7), _U64(56)
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
def _oph(grams, n, sig):
    """One-permutation MinHash of grams[:n] into sig (uint32[bins]), then rotation densification:
    an empty bin takes the nearest filled bin to its right (circularly) plus distance ×
    DENSIFY_STEP. (Indices here and below are unsigned where they can be: numba checks a signed
    index for a negative value at every access.)"""
    bins = _U64(sig.size)
    for j in range(bins):
        sig[j] = EMPTY
    for i in range(_U64(n)):
        h = mix(grams[i] ^ OPH_SALT)
        b = h >> S57
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
    access (this loop took 12.4 µs per 3,000-byte body with signed indices and a running power,
    7.4 µs now)."""
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
def fingerprint_texts(low, orig, bounds, word_byte, entity_byte, n_perm, bands, rows, lead_bands, lead_rows,
                      lead_words, check_words, minhash=True):
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
            for k in range(_U64(n_g)):
                grams[k] = mix(tok[f + k] * G0 ^ tok[f + k + ONE] * G1 ^ tok[f + k + _U64(2)] * G2)
        elif m > 0:
            x = _U64(0)
            for k in range(_U64(m)):
                x ^= tok[f + k] * G0
            grams[0] = mix(x)
        if minhash:
            sig = sigs[t]
            _oph(grams, n_g, sig)
            _oph(grams, min(n_g, lead_words - 2), lead_sig)  # the shingles of the first lead_words words
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


@njit(cache=True, nogil=True)
def count_in(part, whole):
    """How many values of `part` are in `whole` (both sorted, distinct): one merge walk, with no
    branch but the loop's (which side steps on is data: a branch on it was mispredicted at half
    the steps; this took 2.1 µs for two sets of ~560, the branching walk 4.2)."""
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
def band_lookup(rk, ro, sample, sample_every, keys, owners, weights, limits):
    """The band index's query of one sorted run (keys rk, owners ro): for each of `keys` (sorted)
    found in the run at most limits[i] times, a pair (owners[i], the run's owner) per occurrence,
    with weights[i] (a repeated key reuses its first entry's bucket: limits and weights depend on
    the key alone). Each key is searched forward from where the one before it was found. With a
    `sample` (every sample_every-th key of a run far bigger than the query, small enough to stay
    in the CPU cache) the forward search runs in the sample and ends inside one block of the run."""
    m, n = keys.size, rk.size
    start = np.empty(m, np.int64)
    count = np.zeros(m, np.int64)
    total = 0
    lo = 0  # where the key before was found: in the sample if there is one, else in the run
    for i in range(m):
        key = keys[i]
        if i > 0 and key == keys[i - 1]:  # the same bucket as the key before
            start[i], count[i] = start[i - 1], count[i - 1]
            total += count[i]
            continue
        if sample.size:
            lo = _gallop(sample, key, lo, sample.size)
            block = max(lo - 1, 0) * sample_every
            at = _lower_bound(rk, key, block, min(block + sample_every, n))
        else:
            at = lo = _gallop(rk, key, lo, n)
        c = 0
        while at + c < n and rk[at + c] == key and c <= limits[i]:  # a bucket is short: step along it
            c += 1
        if c > limits[i]:  # boilerplate: too many articles share it
            c = 0
        start[i], count[i] = at, c
        total += c
    pairs = np.empty((total, 2), np.int64)
    pair_weights = np.empty(total, np.int64)
    k = 0
    for i in range(m):
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
    entries come first, as in merge_runs. Returns the merged run's size. No new arrays: at 100k
    articles, allocating (and faulting in) a fresh pair of arrays per merge cost 2-5 times the
    merge itself; and once the smaller run is used up, the rest is already in place."""
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
def pack_set_blobs(tag, n_words, digests, sh, sh_off, lead, lead_off, ent, ent_off):
    """Every article's verification-set blob (match.pack_sets' layout: tag, word count, body hash
    as 4 words, set sizes, shingles, lead, names/figures) in one uint32 buffer; article i's is
    buf[at[i]:at[i + 1]]."""
    n = n_words.size
    at = np.zeros(n + 1, np.int64)
    for i in range(n):
        at[i + 1] = at[i] + 8 + (sh_off[i + 1] - sh_off[i]) + (lead_off[i + 1] - lead_off[i]) + (ent_off[i + 1] - ent_off[i])
    buf = np.empty(at[n], np.uint32)
    for i in range(n):
        k = at[i]
        buf[k] = tag
        buf[k + 1] = n_words[i]
        for w in range(4):
            buf[k + 2 + w] = digests[i, w]
        buf[k + 6] = sh_off[i + 1] - sh_off[i]
        buf[k + 7] = lead_off[i + 1] - lead_off[i]
        k += 8
        for values, off in ((sh, sh_off), (lead, lead_off), (ent, ent_off)):
            for j in range(off[i], off[i + 1]):
                buf[k] = values[j]
                k += 1
    return buf, at


PREPARED, NOT_NFKC, BY_REGEX = 0, 1, 2  # what prepare_utf8 found


@njit(cache=True, nogil=True)
def prepare_utf8(orig, low, word_or_space, lower_bmp, inert_bmp, check_inert):
    """A non-ASCII text's UTF-8 `orig` made into what fingerprint._prepared returns: `low` (of the
    same length) gets its lower case, character by character (`lower_bmp`: each code point's lower
    case, -1 where that is not one character of the same UTF-8 length), and every non-ASCII
    character that `word_or_space` says is neither a word character nor white space becomes spaces
    in both. Instead of str.lower and a second encoding: ~10 µs of a 3 KB text with a few accents.
    With `check_inert`, first makes sure NFKC leaves the text as it is (`inert_bmp`: characters
    that normalisation leaves alone and that never combine with the one before), and returns
    NOT_NFKC otherwise. BY_REGEX: this cannot be done character for character (a character beyond
    U+FFFF, a lower case of another length); PREPARED: done."""
    n = orig.size
    i = 0
    while i < n:
        b = orig[i]
        if b < 0x80:
            low[i] = LOWER[b]
            i += 1
            continue
        if b >= 0xF0 or b < 0xC0:
            return BY_REGEX
        width = 2 if b < 0xE0 else 3
        if i + width > n:
            return BY_REGEX
        if width == 2:
            cp = ((np.int64(b) & 0x1F) << 6) | (np.int64(orig[i + 1]) & 0x3F)
        else:
            cp = ((np.int64(b) & 0x0F) << 12) | ((np.int64(orig[i + 1]) & 0x3F) << 6) | (np.int64(orig[i + 2]) & 0x3F)
        if check_inert and not inert_bmp[cp]:
            return NOT_NFKC
        lc = lower_bmp[cp]
        if lc < 0:
            return BY_REGEX
        if not word_or_space[cp]:
            for k in range(i, i + width):
                orig[k] = 32
                low[k] = 32
        elif width == 2:
            low[i] = 0xC0 | (lc >> 6)
            low[i + 1] = 0x80 | (lc & 0x3F)
        else:
            low[i] = 0xE0 | (lc >> 12)
            low[i + 1] = 0x80 | ((lc >> 6) & 0x3F)
            low[i + 2] = 0x80 | (lc & 0x3F)
        i += width
    return PREPARED


@njit(cache=True, nogil=True)
def bucket_pairs(keys, owners, weights, limits):
    """Every pair of entries sharing a key (keys sorted) whose bucket holds 2 to limits[i]
    entries, as (owner, owner) rows with the key's weight."""
    n = keys.size
    starts = np.empty(n, np.int64)  # the buckets worth pairing: [starts[t], ends[t])
    ends = np.empty(n, np.int64)
    n_buckets = total = 0
    i = 0
    while i < n:
        j = i + 1
        while j < n and keys[j] == keys[i]:
            j += 1
        if 2 <= j - i <= limits[i]:
            starts[n_buckets], ends[n_buckets] = i, j
            n_buckets += 1
            total += (j - i) * (j - i - 1) // 2
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
def star_members(order, indptr, neighbours):
    """Star clustering of nodes 0..n-1 (cluster.star_clusters): taken in `order`, each node not yet
    placed opens a story and takes its unplaced neighbours (neighbours[indptr[v]:indptr[v+1]], in
    `order`'s order). Returns the members story by story, each canonical first, and where each
    story starts (n_stories + 1 offsets)."""
    n = order.size
    placed = np.zeros(n, np.bool_)
    members = np.empty(n, np.int64)
    starts = np.empty(n + 1, np.int64)
    k = s = 0
    for r in range(n):
        v = order[r]
        if placed[v]:
            continue
        starts[s] = k
        s += 1
        placed[v] = True
        members[k] = v
        k += 1
        for e in range(indptr[v], indptr[v + 1]):
            u = neighbours[e]
            if not placed[u]:
                placed[u] = True
                members[k] = u
                k += 1
    starts[s] = k
    return members, starts[: s + 1]


SIGN = _U64(1 << 63)


@njit(cache=True, nogil=True)
def radix_sorted_run(keys, owners):
    """(keys sorted, their owners as int32), stable: an LSD radix sort, 8 passes of a byte, the
    sign bit flipped so that unsigned byte order is signed order. A batch's 80k keys: ~5 ms,
    half of numpy's stable argsort and the two gathers after it."""
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


@njit(cache=True, nogil=True)
def prefilter_pairs(run_sig, run_size, other_sig, other_size, at_a, at_b, min_containment, prefilter_containment,
                    sigmas):
    """`match.prefilter` of pairs whose sketches (a byte a bin, rows viewed as uint64 words) are
    rows of two matrices, read in place: row i of this run's sketches where at ≥ 0, else row
    -at-1 of `other` (articles stored before the run).
    The same arithmetic in the same order, so the same verdicts; where numpy first copied every
    pair's two rows out (at 1M, 13.5M pairs: 3.4 GB) and compared them in a second pass."""
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
