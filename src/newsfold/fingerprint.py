"""Fingerprint stage: normalised words → word n-gram shingles → MinHash signature → LSH band keys.

Everything after tokenising is numpy: shingle hashes are combined from token hashes with
wrapping uint64 arithmetic, and the 128 MinHash permutations are one broadcast multiply-shift
over the shingle array (no Python loop per permutation or per shingle).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import xxhash

SHINGLE_WORDS = 3  # measured on the devset: 3-word containment separates rewrites from hard negatives best
NUM_PERM = 128
BANDS, ROWS = 42, 3  # threshold ≈ (1/42)^(1/3) ≈ 0.29 Jaccard: rewrites and updates are found
LEAD_WORDS = 60  # a brief repeats the article's lead: its own signature finds briefs of long articles
LEAD_CHECK_WORDS = 40  # the opening that a follow-up story rewrites and a copy keeps
LEAD_BANDS, LEAD_ROWS = 16, 4

_WORD = re.compile(r"\w+")
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)
_rng = np.random.default_rng(20250601)
_PERM_A = (_rng.integers(1, 2**63, NUM_PERM, dtype=np.uint64) << np.uint64(1)) | np.uint64(1)  # odd multipliers
_PERM_B = _rng.integers(0, 2**63, NUM_PERM, dtype=np.uint64)
_GRAM_MULT = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5,
                       0x85EBCA77C2B2AE63][:SHINGLE_WORDS], dtype=np.uint64)
_token_cache: dict[str, int] = {}


def normalise_words(text: str) -> list[str]:
    """Lower-cased NFKC word tokens: what two copies of one text have in common."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return _WORD.findall(text.lower())


def token_hashes(tokens: list[str]) -> np.ndarray:
    cache = _token_cache
    if len(cache) > 2_000_000:  # bound memory on huge vocabularies
        cache.clear()
    out = np.empty(len(tokens), dtype=np.uint64)
    for i, t in enumerate(tokens):
        h = cache.get(t)
        if h is None:
            h = cache[t] = xxhash.xxh3_64_intdigest(t.encode("utf-8", "surrogatepass"))
        out[i] = h
    return out


def shingle_hashes(tokens: np.ndarray, n: int = SHINGLE_WORDS) -> np.ndarray:
    """Hashes of every n-word window, in text order (one hash for a text shorter than n)."""
    if tokens.size == 0:
        return np.zeros(0, dtype=np.uint64)
    if tokens.size < n:
        return np.array([np.bitwise_xor.reduce(tokens * _GRAM_MULT[: tokens.size])], dtype=np.uint64)
    m = tokens.size - n + 1
    with np.errstate(over="ignore"):
        h = tokens[:m] * _GRAM_MULT[0]
        for k in range(1, n):  # n is 3: a loop over window offsets, not over shingles
            h = h ^ (tokens[k : k + m] * _GRAM_MULT[k])
        h ^= h >> np.uint64(31)
    return h


def minhash(shingles: np.ndarray) -> np.ndarray:
    """128 min-hash values (uint32) of a shingle set, by multiply-shift universal hashing."""
    if shingles.size == 0:
        return np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32)
    with np.errstate(over="ignore"):
        perm = (shingles[:, None] * _PERM_A[None, :] + _PERM_B[None, :]) >> np.uint64(32)
    return perm.min(axis=0).astype(np.uint32)


def band_keys(sig: np.ndarray, bands: int, rows: int, salt: int) -> np.ndarray:
    """One int64 key per band: equal keys mean equal rows in that band."""
    m = sig[: bands * rows].astype(np.uint64).reshape(bands, rows)
    with np.errstate(over="ignore"):
        h = np.full(bands, salt, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15) + np.arange(bands, dtype=np.uint64)
        for r in range(rows):
            h = (h ^ m[:, r]) * np.uint64(0xBF58476D1CE4E5B9)
            h ^= h >> np.uint64(29)
    return h.view(np.int64)


def sorted_unique(a: np.ndarray) -> np.ndarray:
    """np.unique without its slow path: sort, then keep each first of a run."""
    s = np.sort(a)
    if s.size < 2:
        return s
    return s[np.concatenate(([True], s[1:] != s[:-1]))]


def entities(text: str) -> frozenset[str]:
    """Names and figures (capitalised words, numbers): what formulaic look-alikes do not share."""
    return frozenset(w.lower() for w in _WORD.findall(text) if w[0].isupper() or w[0].isdigit())


@dataclass(frozen=True)
class Fingerprint:
    """What matching needs of one article body."""

    body_hash: str  # exact-duplicate key over normalised words
    n_words: int
    shingles: np.ndarray  # sorted unique uint64
    lead: np.ndarray  # sorted unique shingles of the first LEAD_CHECK_WORDS words
    entities: frozenset[str]
    signature: np.ndarray  # uint32[NUM_PERM]
    keys: np.ndarray  # int64 LSH band keys, full-text bands then lead bands


def fingerprint(text: str) -> Fingerprint:
    words = normalise_words(text)
    toks = token_hashes(words)
    grams = shingle_hashes(toks)
    sig = minhash(grams)
    lead = minhash(shingle_hashes(toks[:LEAD_WORDS]))
    keys = np.concatenate([band_keys(sig, BANDS, ROWS, 1), band_keys(lead, LEAD_BANDS, LEAD_ROWS, 2)])
    return Fingerprint(
        body_hash=xxhash.xxh3_128_hexdigest(" ".join(words).encode("utf-8", "surrogatepass")),
        n_words=len(words),
        shingles=sorted_unique(grams),
        lead=sorted_unique(grams[: max(1, LEAD_CHECK_WORDS - SHINGLE_WORDS + 1)]),
        entities=entities(text),
        signature=sig,
        keys=keys,
    )
