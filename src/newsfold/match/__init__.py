"""Match stage: candidate pairs from shared LSH band keys, each verified on the real shingle sets.

A pair is one story (`same_story`) only if the shorter body is largely contained in the longer
one (3-word shingles) AND the names and figures of the shorter one are mostly found in the
longer one. Containment finds briefs (the first paragraphs of an article) and updates; the
name/figure check keeps apart formulaic notices (same template, other company, other figures)
and a follow-up that quotes one paragraph of an earlier story. Below `high_containment` the
opening must match too: a follow-up that reuses an earlier story's background paragraphs has a
new lead, while copies, rewrites and updates keep theirs (measured on the devset and the BBC pool).

- `candidates.py`: which pairs are looked at (shared band keys, weighed; exact copies);
- `prefilter.py`: which of those are worth an exact check, from their sketches;
- `verify.py`: the exact check on the verification sets, and the sets' packed layout;
- `evidence.py`: the passages two versions share, shown with a merge;
- `kernels.py`: their compiled loops.
"""
from __future__ import annotations

import numpy as np

from ..config import SETTINGS
from ..model import Fingerprint, PairScores

MIN_CONTAINMENT = SETTINGS.min_containment
MIN_SCORE = SETTINGS.min_score
HIGH_CONTAINMENT = SETTINGS.high_containment
MIN_LEAD = SETTINGS.min_lead


def same_story(jaccard, containment, entity_overlap, lead_overlap):
    """Whether pairs with these scores are one story: floats, or arrays of many pairs at once."""
    score = (containment + entity_overlap) / 2
    return ((containment >= MIN_CONTAINMENT) & (score >= MIN_SCORE)
            & ((containment >= HIGH_CONTAINMENT) | (lead_overlap >= MIN_LEAD)))


def compare(a: Fingerprint, b: Fingerprint) -> PairScores:
    """The scores of one pair of fingerprints (`newsfold.fingerprint.fingerprint(text)`)."""
    from .verify import pair_scores

    return pair_scores([a, b], np.array([0]), np.array([1]))[0]


__all__ = ["PairScores", "compare", "same_story"]
