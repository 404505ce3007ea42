"""Prefilter: which candidate pairs are worth an exact check, from their MinHash sketches and
word counts alone (what the store keeps per article), all pairs of a batch in one compiled pass
(`kernels.prefilter_pairs`).

Two tests, and a pair passing either is checked:
- the estimated containment of the shorter text in the longer (J ≈ share of equal bins,
  C = J·(a+b) / ((1+J)·a)) is at least `prefilter_containment`, some 5 standard errors under
  `min_containment` for two articles of similar length;
- or its share of equal bins is within `prefilter_sigmas` binomial standard errors of the
  Jaccard it would have at `min_containment` (J = C·a / (a + b − C·a)): a brief inside a long
  article has a far noisier estimate, and is let through on this test.
The first test is kept for all pairs because word counts overstate the distinct shingles of a
repetitive text, and a short text fills fewer independent bins than there are: judged on the
second test alone, such pairs at the threshold were rejected up to 91% of the time.

A sketch is a signature's low 8 bits per bin: two different bin values agree there with odds
1/256, which raises an estimate by under 1% (the prefilter only gets a little more lenient).
`tests/reference.py` holds the definition in numpy; a test holds the kernel to it.
"""
from __future__ import annotations

import numpy as np

from ..config import SETTINGS


def _kernels():
    from . import kernels  # numba: loaded by the commands that match

    return kernels


class Sketches:
    """The sketch (a byte a bin) and word count of every article a run has seen (ids from `base`
    on, one row each): the prefilter's input without a store read."""

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
    """Which pairs are worth an exact check, given by rows: of the run's sketches where at ≥ 0,
    else row -at-1 of other_sig/other_size (articles stored before the run)."""
    if run.sig.shape[1] % 8:
        raise ValueError("sketch widths are read 8 bins at a time")
    return _kernels().prefilter_pairs(run.sig.view(np.uint64), run.size,
                                      np.ascontiguousarray(other_sig, np.uint8).reshape(-1, run.sig.shape[1]).view(np.uint64),
                                      np.ascontiguousarray(other_size, np.int64), at_a.astype(np.int64),
                                      at_b.astype(np.int64), SETTINGS.min_containment,
                                      SETTINGS.prefilter_containment, SETTINGS.prefilter_sigmas)
