"""A body's text made into the bytes the fingerprint kernel reads: lower-cased, punctuation
blanked, NFKC-normalised where that changes anything, with an original-case copy of the same
length (a name or figure is a token that opens with a capital or a digit there).

An ASCII body goes as it is (the kernel lower-cases ASCII letters). A non-ASCII one is prepared
by a compiled walk over its UTF-8 with per-code-point tables made from the tokenising regex
itself, so the two never disagree; the few texts it cannot map character for character go
through the regex, which is the definition.
"""
from __future__ import annotations

import functools
import re
import unicodedata

import numpy as np
from numba import njit

from .kernels import LOWER

# per byte value, 0/1 (uint64: the kernel computes with them instead of branching on them)
WORD_BYTE = np.zeros(256, dtype=np.uint64)
for _c in b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_":  # capitals: an ASCII body
    WORD_BYTE[_c] = 1  # comes as it is, lower-cased by the kernel
WORD_BYTE[128:] = 1  # non-ASCII bytes: the text was reduced to word characters and spaces first
ENTITY_BYTE = np.zeros(256, dtype=np.uint64)
for _c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789":
    ENTITY_BYTE[_c] = 1
_NON_WORD = re.compile(r"[^\w\s]+")
_WORD = re.compile(r"\w+")


def normalise_words(text: str) -> list[str]:
    """Lower-cased NFKC word tokens (the same tokens the fingerprints are built from)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return _WORD.findall(text.lower())


def prepared(text: str) -> tuple[bytes, bytes]:
    """(lower-cased bytes, original-case bytes) of the same length, punctuation as spaces. An ASCII
    text's bytes are both: the kernel lower-cases ASCII letters itself (as str.lower does them)."""
    if text.isascii():
        raw = text.encode("ascii")
        return raw, raw
    # a compiled walk over the UTF-8 (the regex scans a text a character at a time): it
    # lower-cases, blanks punctuation, and says whether NFKC would change the text at all (it
    # mostly would not, and normalising costs as much as the walk)
    for normal in (False, True):  # the text as it is, then (if NFKC would change it) normalised
        if "\u03a3" in text:  # capital sigma lower-cases by its neighbours (σ/ς), which blanking changes
            break
        orig = bytearray(text.encode("utf-8", "surrogatepass"))
        low = bytearray(len(orig))
        done = prepare_utf8(np.frombuffer(orig, np.uint8), np.frombuffer(low, np.uint8), *_bmp_tables(), not normal)
        if done == PREPARED:
            return bytes(low), bytes(orig)
        if done == BY_REGEX:
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
    """`prepared` of an NFKC-normalised non-ASCII text, by the definition."""
    t = _NON_WORD.sub(" ", text)
    low, orig = t.lower().encode("utf-8", "surrogatepass"), t.encode("utf-8", "surrogatepass")
    if len(low) != len(orig):  # a case mapping that changes length (rare): no entity flags
        orig = low
    return low, orig


def prepared_batch(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The texts' lower-cased and original-case bytes, one space apart, and where each starts
    (n + 1 bounds)."""
    parts = [prepared(t) for t in texts]
    orig = b" ".join(p[1] for p in parts)
    low = orig if all(a is b for a, b in parts) else b" ".join(p[0] for p in parts)  # all ASCII: one buffer
    bounds = np.zeros(len(parts) + 1, np.int64)
    if parts:
        bounds[1:] = np.cumsum([len(p[0]) + 1 for p in parts])
        bounds[-1] -= 1
    return np.frombuffer(low, np.uint8), np.frombuffer(orig, np.uint8), bounds


PREPARED, NOT_NFKC, BY_REGEX = 0, 1, 2  # what prepare_utf8 found


@njit(cache=True, nogil=True)
def prepare_utf8(orig, low, word_or_space, lower_bmp, inert_bmp, check_inert):
    """A non-ASCII text's UTF-8 `orig` made into what `prepared` returns: `low` (of the
    same length) gets its lower case, character by character (`lower_bmp`: each code point's lower
    case, -1 where that is not one character of the same UTF-8 length), and every non-ASCII
    character that `word_or_space` says is neither a word character nor white space becomes spaces
    in both, instead of str.lower and a second encoding.
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
