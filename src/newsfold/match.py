"""Match stage: candidate pairs from shared LSH band keys, each verified on the real shingle sets.

A pair becomes an edge only if the shorter body is largely contained in the longer one
(3-word shingles) AND the names and figures of the shorter one are mostly found in the longer one.
Containment finds briefs (the first paragraphs of an article) and updates; the name/figure
check keeps apart formulaic notices (same template, other company, other figures) and a
follow-up that quotes one paragraph of an earlier story. Below HIGH_CONTAINMENT the opening
must match too: a follow-up that reuses an earlier story's background paragraphs has a new
lead, while copies, rewrites and updates keep theirs (measured on the devset and the BBC pool).
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import NamedTuple

import numpy as np

from .fingerprint import Fingerprint, PackedPrints, shingle_sequence

MIN_CONTAINMENT = 0.6  # share of the shorter body's shingles found in the longer one
MIN_SCORE = 0.72  # mean of containment and name/figure overlap
PREFILTER_CONTAINMENT = 0.35  # estimated containment from which a pair is checked exactly (see prefilter) ...
PREFILTER_SIGMAS = 3.0  # ... or from this many standard errors under the same-story threshold
HIGH_CONTAINMENT = 0.85  # above this the bodies are near-identical whatever their openings
MIN_LEAD = 0.5  # share of one opening's shingles found in the other body
MAX_BUCKET = 200  # a body band key shared by more articles is boilerplate, not a duplicate signal
# Many texts opening with one paragraph (a site's standard intro, a wire lead reused by several
# stories) make huge lead-band buckets: on the 100k benchmark corpus they implied 2.4M candidate
# pairs against 0.9M from body bands. Briefs of one story rarely number more than a handful.
MAX_LEAD_BUCKET = 20
# A pair must share one body band or two lead bands: a single shared lead band is mostly two texts
# that open with the same paragraph (on the 20k benchmark corpus 63,813 of 65,673 false candidates
# were lead-band ones), while a brief shares all its lead bands and a rewrite some body band.
BODY_KEY_WEIGHT, LEAD_KEY_WEIGHT, MIN_KEY_WEIGHT = 2, 1, 2
WEIGHT_BITS = 2  # a key weight fits in them (weighty_pairs sorts it along with its pair)


class PairScores(NamedTuple):  # a tuple: a big ingest makes one per edge (a frozen dataclass cost 1.5 µs each)
    jaccard: float
    containment: float
    entity_overlap: float
    lead_overlap: float = 1.0

    @property
    def score(self) -> float:
        return (self.containment + self.entity_overlap) / 2

    @property
    def same_story(self) -> bool:
        return (self.containment >= MIN_CONTAINMENT and self.score >= MIN_SCORE
                and (self.containment >= HIGH_CONTAINMENT or self.lead_overlap >= MIN_LEAD))


def compare(a: Fingerprint, b: Fingerprint) -> PairScores:
    """The scores of one pair (see `pair_scores`)."""
    return pair_scores([a, b], np.array([0]), np.array([1]))[0]


@functools.cache
def _kernels():
    from . import kernels  # numba: imported only by the commands that verify

    return kernels


def bucket_limit(keys: np.ndarray) -> np.ndarray:
    """Largest bucket worth pairing up, per key (lead bands: MAX_LEAD_BUCKET)."""
    return np.where(keys & 1, MAX_LEAD_BUCKET, MAX_BUCKET)


def key_weights(keys: np.ndarray) -> np.ndarray:
    """Weight of each band key: its lowest bit marks a lead band."""
    return np.where(keys & 1, LEAD_KEY_WEIGHT, BODY_KEY_WEIGHT)


def pair_codes(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairs of article ids as int64 codes min << 32 | max: sets of pairs are sorted arrays of
    codes, not Python sets of tuples (building those was a tenth of a 1M ingest's writer time)."""
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    return (np.minimum(a, b) << 32) | np.maximum(a, b)


def decode_pairs(codes: np.ndarray) -> np.ndarray:
    """(n × 2) array of (smaller id, larger id)."""
    return np.stack([codes >> 32, codes & 0xFFFFFFFF], axis=1)


def candidate_pairs(keys: np.ndarray, owners: np.ndarray, presorted: bool = False) -> np.ndarray:
    """Sorted codes of the owner pairs whose shared band keys weigh enough. `presorted`: the keys
    are sorted already (a batch's keys are sorted once for this, the index lookup and the index)."""
    if not presorted:
        order = np.argsort(keys, kind="stable")
        keys, owners = keys[order], owners[order]
    k, o = keys.astype(np.int64, copy=False), owners.astype(np.int64, copy=False)
    pairs, weights = _kernels().bucket_pairs(k, o, key_weights(k).astype(np.int64), bucket_limit(k).astype(np.int64))
    return weighty_pairs(pairs, weights)


def weighty_pairs(pairs: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(m × 2) owner pairs, one row per shared key with that key's weight → sorted codes of the
    distinct pairs whose summed weight reaches MIN_KEY_WEIGHT."""
    keep = pairs[:, 0] != pairs[:, 1]
    code, weights = pair_codes(pairs[keep, 0], pairs[keep, 1]), weights[keep]
    if code.size == 0:
        return code
    if code.max() < 1 << (63 - WEIGHT_BITS) and 0 <= weights.min() and weights.max() < 1 << WEIGHT_BITS:
        # each pair's code with its key's weight in the low bits, sorted as one array: a plain sort
        # of 8-byte values (SIMD in numpy) instead of an argsort and two gathers (at 1M, 66M rows:
        # 6 s of the writer's thread). Ids under 2^29 (the code's top bits free) and weights under 4.
        tagged = np.sort((code << WEIGHT_BITS) | weights)
        code, weights = tagged >> WEIGHT_BITS, tagged & ((1 << WEIGHT_BITS) - 1)
    else:
        order = np.argsort(code)  # sort and cut, not np.unique(return_inverse): several times faster here
        code, weights = code[order], weights[order]
    starts = np.flatnonzero(np.concatenate(([True], code[1:] != code[:-1])))
    total = np.add.reduceat(weights, starts)
    return code[starts][total >= MIN_KEY_WEIGHT]


def shared_passages(a_text: str, b_text: str, limit: int = 3, min_words: int = 8) -> list[str]:
    """The longest word runs of `a_text` whose 3-word shingles all occur in `b_text`: merge evidence."""
    words, a_grams = shingle_sequence(a_text)
    if len(words) < 3:
        return []
    hit = np.isin(a_grams, shingle_sequence(b_text)[1])
    runs: list[tuple[int, int]] = []
    start = None
    for i, h in enumerate(hit.tolist() + [False]):
        if h and start is None:
            start = i
        elif not h and start is not None:
            runs.append((start, i + 2))  # a run of shingles covers two more words
            start = None
    runs = [r for r in runs if r[1] - r[0] >= min_words]
    runs.sort(key=lambda r: r[0] - r[1])
    return [" ".join(words[s:e]) for s, e in runs[:limit]]



class Sketches:
    """Each article's MinHash signature cut to the low 8 bits of each bin (128 bytes) and its
    word count, for every article this run has seen (ids from `base` on, one row each): the
    prefilter's input without a store read (fetching signatures of old partners from the store
    was 10% of a 1M run). Two different bin values agree in their low 8 bits with odds 1/256,
    which raises an estimate by under 1%: the prefilter only gets a little more lenient."""

    def __init__(self, width: int) -> None:
        self.base = -1
        self.sig = np.zeros((0, width), np.uint8)
        self.size = np.zeros(0, np.int32)  # word counts; -1: a row not filled

    def add(self, ids: np.ndarray, sketches: np.ndarray, n_words: np.ndarray) -> None:
        """Remember articles' sketches (uint8 rows, or whole signatures: their low 8 bits are kept);
        ids ascending, none before the first ever added."""
        if not ids.size:
            return
        if self.base < 0:
            self.base = int(ids[0])
        at = ids - self.base
        if at[0] < 0:
            raise ValueError("sketches of ids before the first added")
        if at[-1] >= self.size.size:  # room for as many again: a copy per doubling
            grown = max(int(at[-1]) + 1, 2 * self.size.size, 1024)
            sig = np.zeros((grown, self.sig.shape[1]), np.uint8)
            sig[: self.size.size] = self.sig
            self.sig = sig
            self.size = np.concatenate([self.size, np.full(grown - self.size.size, -1, np.int32)])
        self.sig[at] = sketches.astype(np.uint8, copy=False)
        self.size[at] = n_words

    def rows(self, ids: np.ndarray) -> np.ndarray:
        """Each id's row, -1 for one this run has not seen."""
        at = ids - self.base
        seen = (self.base >= 0) & (at >= 0) & (at < self.size.size)
        seen[seen] = self.size[at[seen]] >= 0
        return np.where(seen, at, -1)


def prefilter_rows(run: Sketches, other_sig: np.ndarray, other_size: np.ndarray, at_a: np.ndarray,
                   at_b: np.ndarray) -> np.ndarray:
    """`prefilter` of pairs given by rows: of the run's sketches where at ≥ 0, else row -at-1 of
    other_sig/other_size (one compiled pass, reading the rows where they lie)."""
    if run.sig.shape[1] % 8:
        raise ValueError("sketch widths are read 8 bins at a time")
    return _kernels().prefilter_pairs(run.sig.view(np.uint64), run.size,
                                      np.ascontiguousarray(other_sig, np.uint8).reshape(-1, run.sig.shape[1]).view(np.uint64),
                                      np.ascontiguousarray(other_size, np.int64), at_a.astype(np.int64),
                                      at_b.astype(np.int64), MIN_CONTAINMENT, PREFILTER_CONTAINMENT, PREFILTER_SIGMAS)


def prefilter(sig_a: np.ndarray, sig_b: np.ndarray, n_a: np.ndarray, n_b: np.ndarray) -> np.ndarray:
    """Which pairs are worth an exact check, from their signatures (rows: pairs) and word counts,
    all pairs at once. Two tests, and a pair passing either is checked:
    - the estimated containment of the shorter text in the longer (J ≈ share of equal bins,
      C = J·(a+b) / ((1+J)·a)) is at least PREFILTER_CONTAINMENT, some 5 standard errors under
      MIN_CONTAINMENT for two articles of similar length;
    - or its share of equal bins is within PREFILTER_SIGMAS binomial standard errors of the
      Jaccard it would have at MIN_CONTAINMENT (J = C·a / (a + b − C·a)): a brief inside a long
      article has a far noisier estimate, and is let through on this test.
    The first test alone is kept for all pairs because word counts overstate the distinct
    shingles of a repetitive text, and a short text fills fewer than NUM_PERM independent bins:
    judged on the second test alone, such pairs at the threshold were rejected up to 91% of the
    time (a review's simulation). Needs only what the store keeps per article (sketch, word count)."""
    j = (sig_a == sig_b).mean(axis=1)
    n_a, n_b = np.maximum(n_a.astype(np.float64), 1), np.maximum(n_b.astype(np.float64), 1)
    small = np.minimum(n_a, n_b)
    estimate = j * (n_a + n_b) / ((1 + j) * small)
    j_at_threshold = np.clip(MIN_CONTAINMENT * small / (n_a + n_b - MIN_CONTAINMENT * small), 0, 1)
    error = np.sqrt(j_at_threshold * (1 - j_at_threshold) / sig_a.shape[1])
    return (estimate >= PREFILTER_CONTAINMENT) | (j >= j_at_threshold - PREFILTER_SIGMAS * error)


# What an exact check needs of an article travels from the worker that fingerprinted it to the
# writer as one blob of uint32s: [SETS_TAG, n_words, body hash (4), n_shingles, n_lead, shingles,
# lead, names/figures]. The writer keeps the blobs of its recent articles in memory and spills
# older ones of the same ingest to a temporary file; a partner stored by an earlier ingest has
# its blob made again from its stored text (they were a third of the store's bytes when stored).
SETS_TAG = 0xFFFFFFFF


def pack_sets(body_hash: str, n_words: int, shingles: np.ndarray, lead: np.ndarray, entities: np.ndarray) -> bytes:
    digest = bytes.fromhex(body_hash)
    if len(digest) != 16:  # the layout has room for a 128-bit hash, no more, no less
        raise ValueError(f"body hash of {len(digest)} bytes, expected 16")
    head = np.array([SETS_TAG, n_words], np.uint32).tobytes() + digest
    return head + np.concatenate([np.array([shingles.size, lead.size], np.uint32), shingles, lead, entities]).tobytes()


def pack_all_sets(prints: PackedPrints) -> list[bytes]:
    """`pack_sets` of every article of a PackedPrints, from its flat arrays in one compiled pass
    (an object and five small arrays per article cost more than the fingerprint)."""
    digests = b"".join(bytes.fromhex(h) for h in prints.body_hashes)
    if len(digests) != 16 * len(prints.body_hashes):
        raise ValueError("a body hash that is not 128 bits")
    (sh, sh_off), (lead, lead_off), (ent, ent_off) = (prints.sets[name] for name in ("shingles", "lead", "entities"))
    buf, at = _kernels().pack_set_blobs(np.uint32(SETS_TAG), prints.n_words.astype(np.uint32),
                                        np.frombuffer(digests, np.uint32).reshape(-1, 4), sh, sh_off, lead, lead_off,
                                        ent, ent_off)
    raw = buf.tobytes()
    return [raw[4 * a : 4 * b] for a, b in zip(at[:-1].tolist(), at[1:].tolist())]


def unpack_sets(blob: bytes) -> tuple[str, int, np.ndarray, np.ndarray, np.ndarray]:
    """(body hash, word count, shingles, lead, names/figures) of a `pack_sets` blob (what the
    tests read blobs back with; verification reads them packed, `PackedSets.of_blobs`)."""
    arr = np.frombuffer(blob, dtype=np.uint32)
    if not arr.size or arr[0] != SETS_TAG:
        raise ValueError("not a verification-set blob")
    n_words, n_shingles, n_lead, arr = int(arr[1]), int(arr[6]), int(arr[7]), arr[8:]
    return blob[8:24].hex(), n_words, arr[:n_shingles], arr[n_shingles : n_shingles + n_lead], arr[n_shingles + n_lead :]


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
        """From set blobs (`pack_sets`: [SETS_TAG, n_words, body hash (4 words), n_shingles, n_lead,
        shingles, lead, entities]), without unpacking each."""
        lengths = np.array([len(b) for b in blobs], np.int64) // 4
        ends = np.cumsum(lengths)
        at = ends - lengths
        joined = b"".join(blobs)
        buf = np.frombuffer(joined, np.uint32)
        if not np.all(buf[at] == SETS_TAG):  # anything else would be read as garbage
            raise ValueError("not a verification-set blob")
        n_sh, n_lead = buf[at + 6].astype(np.int64), buf[at + 7].astype(np.int64)
        sh_start = at + 8
        digest_bytes = np.frombuffer(joined, np.uint8)[(4 * at + 8)[:, None] + np.arange(16)]  # words 2-5
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


def same_story(jaccard: np.ndarray, containment: np.ndarray, entity_overlap: np.ndarray,
               lead_overlap: np.ndarray) -> np.ndarray:
    """`PairScores.same_story` of many pairs at once (the same float operations)."""
    score = (containment + entity_overlap) / 2
    return ((containment >= MIN_CONTAINMENT) & (score >= MIN_SCORE)
            & ((containment >= HIGH_CONTAINMENT) | (lead_overlap >= MIN_LEAD)))


def verify(pairs: Iterable[tuple[int, int]], prints: dict[int, Fingerprint]) -> list[tuple[int, int, PairScores]]:
    """The pairs that are the same story, with their scores (`score_pairs`, all at once), in
    pair order (smaller id first). From Fingerprint objects: the reading the tests hold
    `verify_packed`, the ingest's, to."""
    return _verified(_codes_of(pairs), lambda ids: PackedSets.of_prints([prints[aid] for aid in ids]))


def verify_packed(codes: np.ndarray, blobs: dict[int, bytes]) -> list[tuple[int, int, PairScores]]:
    """`verify` of pairs given as sorted codes (`pair_codes`), from the articles' set blobs
    (`pack_sets`), never unpacked one by one."""
    return _verified(codes, lambda ids: PackedSets.of_blobs([blobs[aid] for aid in ids]))


def _codes_of(pairs: Iterable[tuple[int, int]]) -> np.ndarray:
    arr = np.array(list(pairs), np.int64).reshape(-1, 2)
    return np.unique(pair_codes(arr[:, 0], arr[:, 1]))


def _verified(codes: np.ndarray, packed: Callable[[list[int]], PackedSets]) -> list[tuple[int, int, PairScores]]:
    """The edges among the pairs of sorted `codes`; `packed`: the sets of articles (ids ascending).
    Arrays throughout: at 1M, a million pairs a run went through as Python tuples, sorted and
    looked up in a dict."""
    if not codes.size:
        return []
    pairs = decode_pairs(codes)
    ids = np.unique(pairs)
    scores = score_pairs(packed(ids.tolist()), np.searchsorted(ids, pairs[:, 0]), np.searchsorted(ids, pairs[:, 1]))
    keep = np.flatnonzero(same_story(*scores))  # a PairScores only for an edge
    rows = zip(*(a[keep].tolist() for a in scores))
    return [(a, b, PairScores(*row)) for (a, b), row in zip(pairs[keep].tolist(), rows)]
