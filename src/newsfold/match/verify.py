"""Verification: a candidate pair's scores on the real sets, and whether it is one story.

What an exact check needs of an article (its shingles, lead shingles and names/figures, word
count and body hash) travels from the worker that fingerprinted it as one blob of uint32 words
(layout below): an engine keeps blobs of recent articles at hand, spills or ships older ones,
and makes a stored article's blob again from its text. Verification reads a batch's blobs
joined into one buffer (`PackedSets`), all pairs' set walks in one compiled call.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..fingerprint import PackedPrints
from ..model import Fingerprint, PairScores
from . import same_story
from .candidates import decode_pairs


def _kernels():
    from . import kernels  # numba: loaded by the commands that match

    return kernels


# The layout of a set blob, in uint32 words: a header, then the shingles, lead and names/figures.
TAG, N_WORDS, DIGEST, N_SHINGLES, N_LEAD, HEADER_WORDS = 0, 1, 2, 6, 7, 8  # DIGEST: 4 words, big-endian bytes
SETS_TAG = 0xFFFFFFFF  # what every blob opens with: anything else is not a blob


def pack_all_sets(prints: PackedPrints) -> list[bytes]:
    """The set blob of every article of a PackedPrints, from its flat arrays in one compiled pass
    (an object and five small arrays per article would cost more than the fingerprint)."""
    digests = b"".join(bytes.fromhex(h) for h in prints.body_hashes)
    if len(digests) != 16 * len(prints.body_hashes):
        raise ValueError("a body hash that is not 128 bits")
    (sh, sh_off), (lead, lead_off), (ent, ent_off) = (prints.sets[name] for name in ("shingles", "lead", "entities"))
    buf, at = _kernels().pack_set_blobs(np.uint32(SETS_TAG), prints.n_words.astype(np.uint32),
                                        np.frombuffer(digests, np.uint32).reshape(-1, 4), sh, sh_off, lead, lead_off,
                                        ent, ent_off)
    raw = buf.tobytes()
    return [raw[4 * a : 4 * b] for a, b in zip(at[:-1].tolist(), at[1:].tolist())]


class PackedSets(NamedTuple):
    """Verification sets of n articles in one uint32 buffer: article i's shingles are
    buf[sh_start[i]:sh_end[i]], its lead and names/figures likewise; digests[i] its body hash as
    two big-endian halves (uint64: the order of the hex strings)."""

    buf: np.ndarray
    sh_start: np.ndarray
    sh_end: np.ndarray
    lead_start: np.ndarray
    lead_end: np.ndarray
    ent_start: np.ndarray
    ent_end: np.ndarray
    digests: np.ndarray

    @classmethod
    def of_prints(cls, fps: list[Fingerprint]) -> PackedSets:
        parts = [x for f in fps for x in (f.shingles, f.lead, f.entities)]
        sizes = np.array([x.size for x in parts], np.int64).reshape(-1, 3)
        ends = np.cumsum(sizes.ravel()).reshape(-1, 3)
        starts = ends - sizes
        buf = np.concatenate(parts).astype(np.uint32, copy=False) if parts else np.zeros(0, np.uint32)
        digests = np.frombuffer(bytes.fromhex("".join(f.body_hash for f in fps)), ">u8").reshape(-1, 2)
        return cls(buf, starts[:, 0], ends[:, 0], starts[:, 1], ends[:, 1], starts[:, 2], ends[:, 2], digests)

    @classmethod
    def of_blobs(cls, blobs: list[bytes]) -> PackedSets:
        """From set blobs, without unpacking each."""
        lengths = np.array([len(b) for b in blobs], np.int64) // 4
        ends = np.cumsum(lengths)
        at = ends - lengths
        joined = b"".join(blobs)
        buf = np.frombuffer(joined, np.uint32)
        if not np.all(buf[at + TAG] == SETS_TAG):  # anything else would be read as garbage
            raise ValueError("not a verification-set blob")
        n_sh, n_lead = buf[at + N_SHINGLES].astype(np.int64), buf[at + N_LEAD].astype(np.int64)
        sh_start = at + HEADER_WORDS
        digest_bytes = np.frombuffer(joined, np.uint8)[(4 * (at + DIGEST))[:, None] + np.arange(16)]
        return cls(buf, sh_start, sh_start + n_sh, sh_start + n_sh, sh_start + n_sh + n_lead, sh_start + n_sh + n_lead,
                   ends, np.ascontiguousarray(digest_bytes).view(">u8").reshape(-1, 2))


def _share(count: np.ndarray, size: np.ndarray, empty: float) -> np.ndarray:
    return np.where(size > 0, count / np.maximum(size, 1), empty)


def pair_scores(fps: list[Fingerprint], ia: np.ndarray, ib: np.ndarray) -> list[PairScores]:
    """Scores of the pairs (fps[ia[k]], fps[ib[k]]) (see `score_pairs`)."""
    return [PairScores(*row) for row in zip(*(a.tolist() for a in score_pairs(PackedSets.of_prints(fps), ia, ib)))]


def score_pairs(sets: PackedSets, ia: np.ndarray, ib: np.ndarray) -> tuple[np.ndarray, ...]:
    """(jaccard, containment, entity overlap, lead overlap) arrays of the pairs (ia[k], ib[k]) of
    `sets`, checked on the real shingle sets, all pairs' set walks in one compiled call: the
    share of the smaller body's shingles in the other (containment), their Jaccard, the smaller
    body's names/figures found in the larger one (ties in size broken by body hash), and how much
    of either opening is in the other body. Two copies of one body score 1 on everything."""
    ia, ib = np.asarray(ia, np.int64), np.asarray(ib, np.int64)
    size = sets.sh_end - sets.sh_start
    na, nb = size[ia], size[ib]
    (hi_a, lo_a), (hi_b, lo_b) = sets.digests[ia].T, sets.digests[ib].T
    same = (hi_a == hi_b) & (lo_a == lo_b)
    # the smaller body (in shingles; ties: the smaller body hash) is a
    small_is_a = (na < nb) | ((na == nb) & ((hi_a < hi_b) | ((hi_a == hi_b) & (lo_a <= lo_b))))
    counts = _kernels().pair_overlaps(ia, ib, small_is_a, *sets[:7])
    inter = counts[:, 0]
    union = na + nb - inter
    jaccard = np.where(union > 0, inter / np.maximum(union, 1), 1.0)
    containment = _share(inter, np.minimum(na, nb), 0.0)
    lead_size, ent_size = sets.lead_end - sets.lead_start, sets.ent_end - sets.ent_start
    lead_overlap = np.maximum(_share(counts[:, 1], lead_size[ia], 0.0), _share(counts[:, 2], lead_size[ib], 0.0))
    small = np.where(small_is_a, ia, ib)
    entity_overlap = _share(counts[:, 3], ent_size[small], 1.0)
    for arr in (jaccard, containment, entity_overlap, lead_overlap):
        arr[same] = 1.0
    return jaccard, containment, entity_overlap, lead_overlap


def verify(codes: np.ndarray, blobs: dict[int, bytes]) -> list[tuple[int, int, PairScores]]:
    """The pairs (sorted codes, `candidates.pair_codes`) that are one story, with their scores,
    in code order (smaller id first), from the articles' set blobs (id → blob)."""
    return checked_pairs(codes, blobs)[0]


def checked_pairs(codes: np.ndarray, blobs: dict[int, bytes], misses: np.ndarray | None = None
                  ) -> tuple[list[tuple[int, int, PairScores]], list[tuple[int, int, PairScores]]]:
    """The pairs (sorted codes) checked on their sets: (those that are one story, the misses a rule
    may still fold), both as (a, b, scores) in code order. `misses`: which misses to give (a
    boolean per code, or None: none), so an undated batch builds no row for them."""
    if not codes.size:
        return [], []
    pairs = decode_pairs(codes)
    ids = np.unique(pairs)
    sets = PackedSets.of_blobs([blobs[aid] for aid in ids.tolist()])
    scores = score_pairs(sets, np.searchsorted(ids, pairs[:, 0]), np.searchsorted(ids, pairs[:, 1]))
    same = same_story(*scores)

    def rows(keep):  # a PairScores only for the rows given
        keep = np.flatnonzero(keep)
        return [(a, b, PairScores(*row)) for (a, b), row in zip(pairs[keep].tolist(),
                                                                zip(*(x[keep].tolist() for x in scores)))]
    return rows(same), rows(~same & misses) if misses is not None else []
