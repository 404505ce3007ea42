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

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from .fingerprint import Fingerprint, normalise_words, shingle_hashes, token_hashes

MIN_CONTAINMENT = 0.6  # share of the shorter body's shingles found in the longer one
MIN_SCORE = 0.72  # mean of containment and name/figure overlap
HIGH_CONTAINMENT = 0.85  # above this the bodies are near-identical whatever their openings
MIN_LEAD = 0.5  # share of one opening's shingles found in the other body
MAX_BUCKET = 200  # a band key shared by more articles is boilerplate, not a duplicate signal


@dataclass(frozen=True)
class PairScores:
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
    if a.body_hash == b.body_hash:
        return PairScores(1.0, 1.0, 1.0)
    inter = np.intersect1d(a.shingles, b.shingles, assume_unique=True).size
    na, nb = a.shingles.size, b.shingles.size
    union = na + nb - inter
    small, large = (a, b) if (na, a.body_hash) <= (nb, b.body_hash) else (b, a)
    ent = len(small.entities & large.entities) / len(small.entities) if small.entities else 1.0
    lead = max(_share_in(a.lead, b.shingles), _share_in(b.lead, a.shingles))
    return PairScores(
        jaccard=inter / union if union else 1.0,
        containment=inter / min(na, nb) if min(na, nb) else 0.0,
        entity_overlap=ent,
        lead_overlap=lead,
    )


def _share_in(part: np.ndarray, whole: np.ndarray) -> float:
    return float(np.isin(part, whole, assume_unique=True).mean()) if part.size else 0.0


def candidate_pairs(keys: np.ndarray, owners: np.ndarray, fresh: set[int] | None = None) -> set[tuple[int, int]]:
    """Pairs of owners that share a band key (a < b); with `fresh`, only pairs touching a fresh owner."""
    order = np.argsort(keys, kind="stable")
    k, o = keys[order], owners[order]
    pairs: set[tuple[int, int]] = set()
    if k.size < 2:
        return pairs
    cuts = np.flatnonzero(k[1:] != k[:-1]) + 1
    bounds = np.concatenate(([0], cuts, [k.size]))
    sizes = np.diff(bounds)
    for i in np.flatnonzero((sizes >= 2) & (sizes <= MAX_BUCKET)):
        members = np.unique(o[bounds[i] : bounds[i + 1]]).tolist()
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                a, b = members[x], members[y]
                if fresh is None or a in fresh or b in fresh:
                    pairs.add((a, b))
    return pairs


def shared_passages(a_text: str, b_text: str, limit: int = 3, min_words: int = 8) -> list[str]:
    """The longest word runs of `a_text` whose 3-word shingles all occur in `b_text`: merge evidence."""
    words = normalise_words(a_text)
    if len(words) < 3:
        return []
    a_grams = shingle_hashes(token_hashes(words))
    b_grams = shingle_hashes(token_hashes(normalise_words(b_text)))
    hit = np.isin(a_grams, b_grams)
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


def verify(pairs: Iterable[tuple[int, int]], prints: dict[int, Fingerprint]) -> Iterator[tuple[int, int, PairScores]]:
    """The candidate pairs that are the same story, with their scores."""
    for a, b in sorted(pairs):
        s = compare(prints[a], prints[b])
        if s.same_story:
            yield a, b, s
