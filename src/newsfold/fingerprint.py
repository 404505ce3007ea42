"""Fingerprint stage: normalised words → word n-gram shingles → MinHash signature → LSH band keys.

Fingerprints are computed for a batch of bodies at once, with numpy over the concatenated
bytes: no Python loop per token, per shingle or per permutation.

- Tokens are `\\w+` runs of the lower-cased (NFKC) text. Each token's hash is a polynomial over
  its bytes, read off a prefix sum of byte·P^i (mod 2^64) and divided out with P's inverse, so
  every token of the batch is hashed by a handful of vector operations.
- Shingles are 3-token windows; their hashes combine the token hashes.
- The signature is one-permutation MinHash (Li, Owen & Zhang 2012) with rotation densification
  (Shrivastava & Li 2014): each shingle is hashed once and falls in one of 128 bins; a bin keeps
  its minimum. Two signatures agree in a bin with probability ≈ the Jaccard similarity, as with
  128 separate permutations, at 1/128 of the hashing cost.
- LSH band keys hash groups of signature rows: 28 bands × 3 rows over the body (≈ 0.33 Jaccard
  threshold), plus 12 × 3 over the first 60 words (a brief shares the lead, not the Jaccard).
  40 keys per article: on the devset, 58 keys found no more stories and 30 lost 1% pair recall.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import xxhash

SHINGLE_WORDS = 3  # measured on the devset: 3-word containment separates rewrites from hard negatives best
NUM_PERM = 128
BANDS, ROWS = 28, 3
LEAD_WORDS = 60
LEAD_BANDS, LEAD_ROWS = 12, 3
LEAD_CHECK_WORDS = 40  # the opening that a follow-up story rewrites and a copy keeps
EMPTY = np.uint32(0xFFFFFFFF)

_U64 = np.uint64
_P = _U64(0x100000001B3)  # odd, so invertible mod 2^64
_P_INV = _U64(pow(0x100000001B3, -1, 2**64))
_GRAM = (_U64(0x9E3779B97F4A7C15), _U64(0xC2B2AE3D27D4EB4F), _U64(0x165667B19E3779F9))
_MIX1, _MIX2 = _U64(0xBF58476D1CE4E5B9), _U64(0x94D049BB133111EB)

_WORD_BYTE = np.zeros(256, dtype=bool)
for _c in b"abcdefghijklmnopqrstuvwxyz0123456789_":
    _WORD_BYTE[_c] = True
_WORD_BYTE[128:] = True  # non-ASCII bytes: the text was reduced to word characters and spaces first
_ENTITY_BYTE = np.zeros(256, dtype=bool)
for _c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789":
    _ENTITY_BYTE[_c] = True
_NON_WORD = re.compile(r"[^\w\s]+")
_WORD = re.compile(r"\w+")


class _Powers:
    """P^i and P^-i mod 2^64, grown on demand."""

    def __init__(self) -> None:
        self.pow = np.ones(1, dtype=np.uint64)
        self.inv = np.ones(1, dtype=np.uint64)

    def upto(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        if self.pow.size < n:
            size = max(n, 2 * self.pow.size, 1 << 16)
            self.pow = np.cumprod(np.full(size, _P, dtype=np.uint64)) * _P_INV
            self.inv = np.cumprod(np.full(size, _P_INV, dtype=np.uint64)) * _P
        return self.pow[:n], self.inv[:n]


_POWERS = _Powers()


def _mix(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> _U64(30))
    h = h * _MIX1
    h ^= h >> _U64(27)
    h *= _MIX2
    return h ^ (h >> _U64(31))


def normalise_words(text: str) -> list[str]:
    """Lower-cased NFKC word tokens (the same tokens the fingerprints are built from)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return _WORD.findall(text.lower())


def _prepared(text: str) -> tuple[bytes, bytes]:
    """(lower-cased bytes, original-case bytes) of the same length, punctuation as spaces."""
    if text.isascii():
        return text.lower().encode("ascii"), text.encode("ascii")
    t = _NON_WORD.sub(" ", unicodedata.normalize("NFKC", text))
    low, orig = t.lower().encode("utf-8", "surrogatepass"), t.encode("utf-8", "surrogatepass")
    if len(low) != len(orig):  # a case mapping that changes length (rare): no entity flags
        orig = low
    return low, orig


@dataclass(frozen=True)
class Fingerprint:
    """What matching needs of one article body."""

    body_hash: str  # exact-duplicate key over the normalised words
    n_words: int
    shingles: np.ndarray  # sorted unique 32-bit shingle hashes
    lead: np.ndarray  # sorted unique shingles of the first LEAD_CHECK_WORDS words
    entities: np.ndarray  # sorted unique 32-bit hashes of capitalised words and numbers
    signature: np.ndarray  # uint32[NUM_PERM]
    keys: np.ndarray  # int64 LSH band keys, body bands then lead bands


def tokens_of(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Token hashes of all texts, each token's text index, and whether it is a name/figure."""
    parts = [_prepared(t) for t in texts]
    low = b" ".join(p[0] for p in parts) + b" "
    orig = b" ".join(p[1] for p in parts) + b" "
    starts_of_text = np.cumsum([0] + [len(p[0]) + 1 for p in parts[:-1]])
    arr = np.frombuffer(low, dtype=np.uint8)
    word = _WORD_BYTE[arr]
    edge = np.diff(np.concatenate(([False], word, [False])).astype(np.int8))
    starts = np.flatnonzero(edge == 1)
    ends = np.flatnonzero(edge == -1)
    pw, inv = _POWERS.upto(arr.size + 1)
    with np.errstate(over="ignore"):
        prefix = np.concatenate((np.zeros(1, np.uint64), np.cumsum((arr.astype(np.uint64) + _U64(1)) * pw[: arr.size], dtype=np.uint64)))
        raw = (prefix[ends] - prefix[starts]) * inv[starts]
        hashes = _mix(raw + (ends - starts).astype(np.uint64))
    text_of = np.searchsorted(starts_of_text, starts, side="right") - 1
    first_orig = np.frombuffer(orig, dtype=np.uint8)[starts]
    entity = _ENTITY_BYTE[first_orig] | (first_orig != arr[starts])  # capital, digit, or non-ASCII capital
    return hashes, text_of, entity


def _grams(tok: np.ndarray, doc: np.ndarray, n_docs: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """3-token shingle hashes, their text index and their token position inside the text."""
    first = np.searchsorted(doc, np.arange(n_docs))
    counts = np.bincount(doc, minlength=n_docs)
    pos = np.arange(tok.size) - first[doc] if tok.size else np.zeros(0, np.int64)
    with np.errstate(over="ignore"):
        if tok.size >= SHINGLE_WORDS:
            g = tok[:-2] * _GRAM[0] ^ tok[1:-1] * _GRAM[1] ^ tok[2:] * _GRAM[2]
            ok = doc[:-2] == doc[2:]
            g, gdoc, gpos = _mix(g[ok]), doc[:-2][ok], pos[:-2][ok]
        else:
            g, gdoc, gpos = np.zeros(0, np.uint64), np.zeros(0, np.int64), np.zeros(0, np.int64)
        short = np.flatnonzero((counts > 0) & (counts < SHINGLE_WORDS))
        if short.size:  # a one- or two-word body still gets one shingle
            extra = [np.bitwise_xor.reduce(tok[first[d] : first[d] + counts[d]] * _GRAM[0]) for d in short]
            g = np.concatenate([g, _mix(np.array(extra, dtype=np.uint64))])
            gdoc = np.concatenate([gdoc, short])
            gpos = np.concatenate([gpos, np.zeros(short.size, np.int64)])
    return g, gdoc, gpos


def _one_permutation_minhash(g: np.ndarray, gdoc: np.ndarray, n_docs: int) -> np.ndarray:
    """OPH signatures (n_docs × NUM_PERM, uint32) with rotation densification of empty bins."""
    sig = np.full((n_docs, NUM_PERM), EMPTY, dtype=np.uint32)
    if g.size:
        with np.errstate(over="ignore"):
            h = _mix(g ^ _U64(0x5851F42D4C957F2D))
        # bin: the hash's top 7 bits; value: its low 32. One unbuffered minimum per (text, bin)
        # cell (measured: 4.7× faster than sorting (cell, value) keys and keeping the first of each)
        cell = gdoc.astype(np.intp) * NUM_PERM + (h >> _U64(57)).astype(np.intp)
        np.minimum.at(sig.reshape(-1), cell, (h & _U64(0xFFFFFFFF)).astype(np.uint32))
    empty = sig == EMPTY
    nonempty_doc = ~empty.all(axis=1)
    for step in range(1, NUM_PERM):  # borrow from the next filled bin to the right, offset by distance
        todo = empty & nonempty_doc[:, None]
        if not todo.any():
            break
        rolled = np.roll(sig, -step, axis=1)
        take = todo & (rolled != EMPTY) & (np.roll(empty, -step, axis=1) == False)  # noqa: E712
        with np.errstate(over="ignore"):
            sig[take] = rolled[take] + np.uint32(step * 0x9E3779B1 & 0xFFFFFFFF)
        empty &= ~take
    return sig


def band_keys(sig: np.ndarray, bands: int, rows: int, salt: int, lead: bool) -> np.ndarray:
    """(n × bands) int64 keys: equal keys mean equal signature rows in that band. The lowest bit
    says which signature the band is from (1: the lead), so a key alone tells its weight."""
    m = sig[:, : bands * rows].astype(np.uint64).reshape(sig.shape[0], bands, rows)
    with np.errstate(over="ignore"):
        h = np.full((sig.shape[0], bands), _U64(salt) * _U64(0x9E3779B97F4A7C15), dtype=np.uint64)
        h += np.arange(bands, dtype=np.uint64)[None, :]
        for r in range(rows):
            h = _mix(h ^ m[:, :, r])
    h = (h & ~_U64(1)) | _U64(int(lead))
    return h.view(np.int64)


def _split_sorted_unique(values: np.ndarray, doc: np.ndarray, n_docs: int) -> list[np.ndarray]:
    """Per-text sorted unique values, kept to their top 32 bits (uint32: half the memory, and two
    sets of a few thousand share a false value with odds ~1e-4): one sort of (text << 32 | value)
    instead of a two-key lexsort."""
    if values.size == 0:
        return [np.zeros(0, np.uint32) for _ in range(n_docs)]
    key = (doc.astype(np.uint64) << _U64(32)) | (values >> _U64(32))
    key.sort()
    key = key[np.concatenate(([True], key[1:] != key[:-1]))]
    bounds = np.searchsorted(key >> _U64(32), np.arange(n_docs + 1, dtype=np.uint64))
    vals = (key & _U64(0xFFFFFFFF)).astype(np.uint32)
    return [vals[bounds[i] : bounds[i + 1]] for i in range(n_docs)]


SLICE = 64  # texts per vector pass: big enough to amortise numpy's per-call cost, small enough for the CPU cache


class PackedPrints:
    """The fingerprints of a batch of texts as a few flat arrays: what a worker sends to the writer
    (pickling six small arrays per article cost more than computing them). `packed[i]` is the
    i-th Fingerprint, as views into these arrays."""

    def __init__(self, body_hashes: list[str], n_words: np.ndarray, signatures: np.ndarray, keys: np.ndarray,
                 sets: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
        self.body_hashes, self.n_words, self.signatures, self.keys = body_hashes, n_words, signatures, keys
        self.sets = sets  # name → (values of every text, one after another; offsets, n + 1)

    def __len__(self) -> int:
        return len(self.body_hashes)

    def _set(self, name: str, i: int) -> np.ndarray:
        values, offsets = self.sets[name]
        return values[offsets[i] : offsets[i + 1]]

    def __getitem__(self, i: int) -> Fingerprint:
        return Fingerprint(self.body_hashes[i], int(self.n_words[i]), self._set("shingles", i), self._set("lead", i),
                           self._set("entities", i), self.signatures[i], self.keys[i])

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    @classmethod
    def concat(cls, parts: list[PackedPrints]) -> PackedPrints:
        if len(parts) == 1:
            return parts[0]
        sets = {}
        for name in ("shingles", "lead", "entities"):
            values = np.concatenate([p.sets[name][0] for p in parts])
            ends = np.cumsum([0] + [p.sets[name][0].size for p in parts])
            offsets = np.concatenate([[0]] + [p.sets[name][1][1:] + base for p, base in zip(parts, ends)])
            sets[name] = values, offsets
        return cls([h for p in parts for h in p.body_hashes], np.concatenate([p.n_words for p in parts]),
                   np.concatenate([p.signatures for p in parts]), np.concatenate([p.keys for p in parts]), sets)


def _sorted_unique_sets(values: np.ndarray, doc: np.ndarray, n_docs: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-text sorted unique values, kept to their top 32 bits (uint32: half the memory, and two
    sets of a few thousand share a false value with odds ~1e-4), as (values, offsets): one sort
    of (text << 32 | value) instead of a two-key lexsort."""
    if values.size == 0:
        return np.zeros(0, np.uint32), np.zeros(n_docs + 1, np.int64)
    key = (doc.astype(np.uint64) << _U64(32)) | (values >> _U64(32))
    key.sort()
    key = key[np.concatenate(([True], key[1:] != key[:-1]))]
    offsets = np.searchsorted(key >> _U64(32), np.arange(n_docs + 1, dtype=np.uint64))
    return (key & _U64(0xFFFFFFFF)).astype(np.uint32), offsets


def fingerprint_packed(texts: list[str]) -> PackedPrints:
    n = len(texts)
    if n > SLICE:  # measured: 4× slower per text when one pass spans thousands of texts (cache misses)
        return PackedPrints.concat([fingerprint_packed(texts[i : i + SLICE]) for i in range(0, n, SLICE)])
    tok, tdoc, entity = tokens_of(texts) if n else (np.zeros(0, np.uint64), np.zeros(0, np.int64), np.zeros(0, bool))
    g, gdoc, gpos = _grams(tok, tdoc, n)
    sig = _one_permutation_minhash(g, gdoc, n)
    in_lead = gpos <= LEAD_WORDS - SHINGLE_WORDS
    lead_sig = _one_permutation_minhash(g[in_lead], gdoc[in_lead], n)
    keys = np.concatenate([band_keys(sig, BANDS, ROWS, 1, False), band_keys(lead_sig, LEAD_BANDS, LEAD_ROWS, 2, True)],
                          axis=1)
    check = gpos <= LEAD_CHECK_WORDS - SHINGLE_WORDS
    bounds = np.searchsorted(tdoc, np.arange(n + 1))
    hashes = [xxhash.xxh3_128_hexdigest(tok[bounds[i] : bounds[i + 1]].tobytes()) for i in range(n)]
    return PackedPrints(hashes, np.diff(bounds), sig, keys, {
        "shingles": _sorted_unique_sets(g, gdoc, n),
        "lead": _sorted_unique_sets(g[check], gdoc[check], n),
        "entities": _sorted_unique_sets(tok[entity], tdoc[entity], n),
    })


def own_arrays(fp: Fingerprint) -> Fingerprint:
    """The same fingerprint with arrays of its own (views would keep their whole batch in memory)."""
    return Fingerprint(fp.body_hash, fp.n_words, fp.shingles.copy(), fp.lead.copy(), fp.entities.copy(),
                       fp.signature.copy(), fp.keys.copy())


def fingerprint_batch(texts: list[str]) -> list[Fingerprint]:
    """One Fingerprint per text, each with arrays of its own (safe to keep without pinning the batch)."""
    return [own_arrays(fp) for fp in fingerprint_packed(texts)]


def fingerprint(text: str) -> Fingerprint:
    return fingerprint_batch([text])[0]


def shingle_sequence(text: str) -> tuple[list[str], np.ndarray]:
    """The words of a text and its shingle hashes in text order (for locating shared passages)."""
    tok, _, _ = tokens_of([text])
    words = normalise_words(text)
    if len(words) != tok.size:  # tokenisers disagree on an odd character: stay consistent with the hashes
        words = [f"w{i}" for i in range(tok.size)]
    with np.errstate(over="ignore"):
        grams = _mix(tok[:-2] * _GRAM[0] ^ tok[1:-1] * _GRAM[1] ^ tok[2:] * _GRAM[2]) if tok.size >= 3 else tok[:0]
    return words, (grams >> _U64(32)).astype(np.uint32)
