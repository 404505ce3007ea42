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

from typing import NamedTuple

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


class Condition(NamedTuple):
    """One condition of the rule, as a reader sees it: what was compared, and whether it held."""

    text: str
    held: bool


class Explanation(NamedTuple):
    """Why `same_story` decided as it did for one pair's scores."""

    same_story: bool
    conditions: tuple[Condition, ...]

    @property
    def summary(self) -> str:
        return ", ".join(c.text for c in self.conditions)


def _vs(value: float, threshold: float) -> tuple[str, bool]:
    """'0.71 ≥ 0.6' or '0.58 < 0.6', with enough decimals that the shown value tells the truth."""
    held = value >= threshold
    for digits in (2, 3, 4, 6):
        shown = f"{value:.{digits}f}"
        if (float(shown) >= threshold) == held:
            break
    return f"{shown} {'≥' if held else '<'} {threshold:g}", held


def explain(jaccard, containment, entity_overlap, lead_overlap) -> Explanation:
    """The conditions of `same_story` applied to one pair's scores, in words: which held and
    which did not (the desk shows this beside each merge).

    >>> explain(0.9, 0.93, 1.0, 0.4).summary
    'containment 0.93 ≥ 0.6, score 0.97 ≥ 0.72 (containment with names/figures 1.00), containment 0.93 ≥ 0.85: near-identical bodies'
    >>> e = explain(0.5, 0.71, 0.9, 0.8)
    >>> e.same_story, e.conditions[-1].text
    (True, 'lead 0.80 ≥ 0.5: the openings match')
    >>> explain(0.2, 0.45, 0.9, 0.9).same_story
    False
    """
    score = (containment + entity_overlap) / 2
    shown, contained = _vs(containment, MIN_CONTAINMENT)
    conditions = [Condition(f"containment {shown}", contained)]
    shown, scored = _vs(score, MIN_SCORE)
    conditions.append(Condition(f"score {shown} (containment with names/figures {entity_overlap:.2f})", scored))
    shown, identical = _vs(containment, HIGH_CONTAINMENT)
    if identical:
        conditions.append(Condition(f"containment {shown}: near-identical bodies", True))
    else:
        shown, lead = _vs(lead_overlap, MIN_LEAD)
        conditions.append(Condition(f"lead {shown}: the openings match" if lead
                                    else f"lead {shown}: the openings differ (needed below containment "
                                         f"{HIGH_CONTAINMENT:g})", lead))
    verdict = bool(same_story(jaccard, containment, entity_overlap, lead_overlap))
    return Explanation(verdict, tuple(conditions))


def compare(a: Fingerprint, b: Fingerprint) -> PairScores:
    """The scores of one pair of fingerprints (`newsfold.fingerprint.fingerprint(text)`)."""
    from .verify import pair_scores

    return pair_scores([a, b], np.array([0]), np.array([1]))[0]


__all__ = ["Condition", "Explanation", "PairScores", "compare", "explain", "same_story"]
