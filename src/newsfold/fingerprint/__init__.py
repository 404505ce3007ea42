"""Fingerprint stage: normalised words → word shingles → MinHash signature → LSH band keys.

The definition (the kernel in `kernels.py` computes exactly this, for a batch of bodies at once):

- Tokens are `\\w+` runs of the lower-cased NFKC text (`prepare.py`). A token's hash is a
  polynomial over its bytes, Σ (byte + 1)·P^k mod 2^64, plus its length, then mixed
  (splitmix64's finaliser).
- Shingles are `shingle_words`-token windows: mix(t0·G0 ^ t1·G1 ^ t2·G2); a body of one or two
  tokens gets one shingle, mix of its tokens times G0. The verification sets keep each shingle's
  top 32 bits, sorted and distinct: all shingles, those of the first `lead_check_words` words,
  and the tokens that open with a capital or a digit in the original text (names and figures).
- The signature is one-permutation MinHash (Li, Owen & Zhang 2012) with rotation densification
  (Shrivastava & Li 2014): each shingle is hashed once more and falls in one of `bins` bins by
  its top bits; a bin keeps its smallest low 32 bits; an empty bin takes the nearest filled bin
  to its right plus distance × a constant. Two signatures agree in a bin with probability ≈ the
  Jaccard similarity, at 1/bins of the hashing of `bins` separate permutations.
- LSH band keys hash groups of signature rows: `body_bands` × `body_rows` over the body, then
  `lead_bands` × `lead_rows` over a signature of the first `lead_words` words (a brief shares the
  lead, not the Jaccard). A key's lowest bit says whether it is a lead band.
- The body hash (the exact-copy key) is xxh3-128 of the token hashes.

numba is loaded by the first fingerprint, not by `import newsfold`: reading commands never pay for it.
"""
from __future__ import annotations

import numpy as np
import xxhash

from ..config import SETTINGS
from ..model import Fingerprint


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


def _kernel_prints(texts: list[str], minhash: bool = True) -> tuple:
    from . import kernels, prepare  # numba: loaded by the commands that fingerprint

    s = SETTINGS
    low, orig, bounds = prepare.prepared_batch(texts)
    return kernels.fingerprint_texts(low, orig, bounds, prepare.WORD_BYTE, prepare.ENTITY_BYTE, s.bins, s.bin_shift,
                                     s.body_bands, s.body_rows, s.lead_bands, s.lead_rows, s.lead_words,
                                     s.lead_check_words, minhash)


def fingerprint_packed(texts: list[str], minhash: bool = True) -> PackedPrints:
    """The fingerprints of a batch of texts, computed by one compiled pass per text. Without
    `minhash`: the body hashes, word counts and sets alone (signatures and band keys of no rows)."""
    tok, tok_off, sig, keys, sh, sh_off, lead, lead_off, ent, ent_off = _kernel_prints(texts, minhash)
    bounds = tok_off.tolist()  # each text's tokens hashed where they lie (a numpy slice is a buffer)
    hashes = [xxhash.xxh3_128_hexdigest(tok[a:b]) for a, b in zip(bounds, bounds[1:])]
    return PackedPrints(hashes, np.diff(tok_off), sig, keys,
                        {"shingles": (sh, sh_off), "lead": (lead, lead_off), "entities": (ent, ent_off)})


def fingerprint_batch(texts: list[str]) -> list[Fingerprint]:
    """One Fingerprint per text, each with arrays of its own (safe to keep without pinning the
    batch): for the API and the tests; an ingest works on the packed arrays."""
    return [Fingerprint(fp.body_hash, fp.n_words, fp.shingles.copy(), fp.lead.copy(), fp.entities.copy(),
                        fp.signature.copy(), fp.keys.copy()) for fp in fingerprint_packed(texts)]


def fingerprint(text: str) -> Fingerprint:
    return fingerprint_batch([text])[0]


def token_hashes(text: str) -> np.ndarray:
    """The hashes of a text's tokens, in text order."""
    return _kernel_prints([text])[0]


def normalise_words(text: str) -> list[str]:
    """Lower-cased NFKC word tokens (the tokens the fingerprints are built from)."""
    from .prepare import normalise_words

    return normalise_words(text)


def shingle_sequence(text: str) -> tuple[list[str], np.ndarray]:
    """The words of a text and its 32-bit shingle hashes in text order (for locating shared passages)."""
    from .kernels import window_hashes

    tok = token_hashes(text)
    words = normalise_words(text)
    if len(words) != tok.size:  # tokenisers disagree on an odd character: stay consistent with the hashes
        words = [f"w{i}" for i in range(tok.size)]
    return words, (window_hashes(tok) >> np.uint64(32)).astype(np.uint32)
