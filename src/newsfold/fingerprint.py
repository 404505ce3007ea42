"""Fingerprint stage: normalised words → word n-gram shingles → MinHash signature → LSH band keys.

Fingerprints are computed for a batch of bodies at once, by one compiled loop per body
(`kernels.py`): no Python loop per token, per shingle or per permutation.

- Tokens are `\\w+` runs of the lower-cased (NFKC) text. Each token's hash is a polynomial over
  its bytes, Σ (byte + 1)·P^i mod 2^64, mixed with the token's length.
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

import functools
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

_U64 = np.uint64
_GRAM = (_U64(0x9E3779B97F4A7C15), _U64(0xC2B2AE3D27D4EB4F), _U64(0x165667B19E3779F9))
_MIX1, _MIX2 = _U64(0xBF58476D1CE4E5B9), _U64(0x94D049BB133111EB)

# per byte value, 0/1 (uint64: the kernel computes with them instead of branching on them)
_WORD_BYTE = np.zeros(256, dtype=np.uint64)
for _c in b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_":  # capitals: an ASCII body
    _WORD_BYTE[_c] = 1  # comes as it is, lower-cased by the kernel
_WORD_BYTE[128:] = 1  # non-ASCII bytes: the text was reduced to word characters and spaces first
_ENTITY_BYTE = np.zeros(256, dtype=np.uint64)
for _c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789":
    _ENTITY_BYTE[_c] = 1
_NON_WORD = re.compile(r"[^\w\s]+")
_WORD = re.compile(r"\w+")


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, vectorised (the same as kernels.mix)."""
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
    """(lower-cased bytes, original-case bytes) of the same length, punctuation as spaces. An ASCII
    text's bytes are both: the kernel lower-cases ASCII letters itself (as str.lower does them)."""
    if text.isascii():
        raw = text.encode("ascii")
        return raw, raw
    from . import kernels

    # a compiled walk over the UTF-8 (the regex below scans a text a character at a time, and
    # str.lower of a text with accents took ~9 µs): it lower-cases, blanks punctuation, and says
    # whether NFKC would change the text at all (it mostly would not: normalising took ~4 µs)
    for normal in (False, True):  # the text as it is, then (if NFKC would change it) normalised
        if "\u03a3" in text:  # capital sigma lower-cases by its neighbours (σ/ς), which blanking changes
            break
        orig = bytearray(text.encode("utf-8", "surrogatepass"))
        low = bytearray(len(orig))
        done = kernels.prepare_utf8(np.frombuffer(orig, np.uint8), np.frombuffer(low, np.uint8), *_bmp_tables(),
                                    not normal)
        if done == kernels.PREPARED:
            return bytes(low), bytes(orig)
        if done == kernels.BY_REGEX:
            break
        text = unicodedata.normalize("NFKC", text)  # NOT_NFKC, from the first walk only
    return _prepared_by_regex(text if normal else unicodedata.normalize("NFKC", text))


@functools.cache
def _bmp_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per BMP code point: (is it a word character or white space, i.e. not matched by _NON_WORD,
    made with the regex itself so the two never disagree; its lower case if that is one character
    of the same UTF-8 length, else -1; does NFKC leave it alone wherever it stands: it is unchanged
    alone, combines with nothing before it (no combining mark, no second half of a composition,
    no Hangul vowel or final jamo), and is no surrogate). ~40 ms, once."""
    chars = "".join(map(chr, range(0x10000)))
    word_or_space = np.ones(0x10000, dtype=bool)
    for m in _NON_WORD.finditer(chars):
        word_or_space[m.start() : m.end()] = False
    lower = np.full(0x10000, -1, np.int32)
    seconds = set()
    for cp, ch in enumerate(chars):
        lo = ch.lower()
        if len(lo) == 1 and (ord(lo) < 0x80) == (cp < 0x80) and (ord(lo) < 0x800) == (cp < 0x800):
            lower[cp] = ord(lo)
        parts = unicodedata.decomposition(ch).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            seconds.add(int(parts[1], 16))
    inert = np.array([unicodedata.combining(ch) == 0 and unicodedata.normalize("NFKC", ch) == ch for ch in chars])
    inert[sorted(c for c in seconds if c < 0x10000)] = False
    inert[0x1160:0x11FF + 1] = False  # Hangul jamo (vowels and finals join a syllable before them)
    inert[0xD800:0xE000] = False
    return word_or_space, lower, inert


def _prepared_by_regex(text: str) -> tuple[bytes, bytes]:
    """`_prepared` of an NFKC-normalised non-ASCII text, by the definition."""
    t = _NON_WORD.sub(" ", text)
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


class PackedPrints:
    """The fingerprints of a batch of texts as the few flat arrays the kernel makes (not six small
    arrays per article). `packed[i]` is the i-th Fingerprint, as views into these arrays."""

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


def _prepared_batch(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The texts' lower-cased and original-case bytes, one space apart, and where each starts
    (n + 1 bounds)."""
    parts = [_prepared(t) for t in texts]
    orig = b" ".join(p[1] for p in parts)
    low = orig if all(a is b for a, b in parts) else b" ".join(p[0] for p in parts)  # all ASCII: one buffer
    bounds = np.zeros(len(parts) + 1, np.int64)
    if parts:
        bounds[1:] = np.cumsum([len(p[0]) + 1 for p in parts])
        bounds[-1] -= 1
    return np.frombuffer(low, np.uint8), np.frombuffer(orig, np.uint8), bounds


def _kernel_prints(texts: list[str], minhash: bool = True) -> tuple:
    from . import kernels  # numba: imported only by the commands that fingerprint

    low, orig, bounds = _prepared_batch(texts)
    return kernels.fingerprint_texts(low, orig, bounds, _WORD_BYTE, _ENTITY_BYTE, NUM_PERM, BANDS, ROWS,
                                     LEAD_BANDS, LEAD_ROWS, LEAD_WORDS, LEAD_CHECK_WORDS, minhash)


def fingerprint_packed(texts: list[str], minhash: bool = True) -> PackedPrints:
    """The fingerprints of a batch of texts, computed by one compiled pass per text. Without
    `minhash`: the body hashes, word counts and sets alone (signatures and band keys of no rows)."""
    tok, tok_off, sig, keys, sh, sh_off, lead, lead_off, ent, ent_off = _kernel_prints(texts, minhash)
    hashes = [xxhash.xxh3_128_hexdigest(tok[tok_off[i] : tok_off[i + 1]].tobytes()) for i in range(len(texts))]
    return PackedPrints(hashes, np.diff(tok_off), sig, keys,
                        {"shingles": (sh, sh_off), "lead": (lead, lead_off), "entities": (ent, ent_off)})


def token_hashes(text: str) -> np.ndarray:
    """The hashes of a text's tokens, in text order."""
    return _kernel_prints([text])[0]


def own_arrays(fp: Fingerprint) -> Fingerprint:
    """The same fingerprint with arrays of its own (views would keep their whole batch in memory)."""
    return Fingerprint(fp.body_hash, fp.n_words, fp.shingles.copy(), fp.lead.copy(), fp.entities.copy(),
                       fp.signature.copy(), fp.keys.copy())


def fingerprint_batch(texts: list[str]) -> list[Fingerprint]:
    """One Fingerprint per text, each with arrays of its own (safe to keep without pinning the batch):
    for the API and the tests; an ingest works on the packed arrays (`fingerprint_packed`)."""
    return [own_arrays(fp) for fp in fingerprint_packed(texts)]


def fingerprint(text: str) -> Fingerprint:
    return fingerprint_batch([text])[0]


def shingle_sequence(text: str) -> tuple[list[str], np.ndarray]:
    """The words of a text and its shingle hashes in text order (for locating shared passages)."""
    tok = token_hashes(text)
    words = normalise_words(text)
    if len(words) != tok.size:  # tokenisers disagree on an odd character: stay consistent with the hashes
        words = [f"w{i}" for i in range(tok.size)]
    with np.errstate(over="ignore"):
        grams = _mix(tok[:-2] * _GRAM[0] ^ tok[1:-1] * _GRAM[1] ^ tok[2:] * _GRAM[2]) if tok.size >= 3 else tok[:0]
    return words, (grams >> _U64(32)).astype(np.uint32)
