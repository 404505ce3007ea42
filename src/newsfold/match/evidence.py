"""Merge evidence: the passages two versions of a story share, shown beside a merge's scores."""
from __future__ import annotations

import re

import numpy as np

from ..fingerprint import shingle_sequence

_WORD = re.compile(r"\w+")


def shared_passages(a_text: str, b_text: str, limit: int = 3, min_words: int = 8) -> list[str]:
    """The longest passages of `a_text`, as written there, whose 3-word shingles all occur in
    `b_text`: merge evidence a reader can find in the article."""
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
    spans = [m.span() for m in _WORD.finditer(a_text)]
    if len(spans) != len(words):  # normalisation changed the words (NFKC): show them as matched
        return [" ".join(words[s:e]) for s, e in runs[:limit]]
    return [" ".join(a_text[spans[s][0] : spans[e - 1][1]].split()) for s, e in runs[:limit]]
