"""Compiled count of the lines of many texts that may be digest items (numba), for `facts.traits`.

`traits` counts a text's digest items ("BERNE - Swiss consumer prices rose ...") only where at
least DIGEST_ITEMS - 1 of its lines after the first match `facts._ITEM_LINE`: few texts have any,
and that regex over every body was some µs an article, which slowed the extraction around it
too. Here the line ends of a chunk's ASCII texts are found at once (numpy), and a compiled loop
tries the regex's pattern, its backtracking in full, after each; `traits` runs the regex only
where enough lines match. A text with other characters is not counted (-1): the regex reads it.
`tests/test_rules.py` holds the count to the regex's.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ..ascii_texts import AsciiTexts, ascii_texts


@njit(cache=True, nogil=True)
def _is_space(b):
    return b == 32 or 9 <= b <= 13 or 28 <= b <= 31


@njit(cache=True, nogil=True)
def _in_head(b):
    """[A-Z .'-]: a character of the item's place."""
    return 65 <= b <= 90 or b == 32 or b == 46 or b == 39 or b == 45


@njit(cache=True, nogil=True)
def _in_name(b):
    """[A-Za-z .'-]: a character of the name after the place's comma."""
    return 65 <= b <= 90 or 97 <= b <= 122 or b == 32 or b == 46 or b == 39 or b == 45


@njit(cache=True, nogil=True)
def _dash_at(data, t, e):
    """' (?:-|--) \\S' at data[t:e]: the item's dash, then its text."""
    if t + 3 > e or data[t] != 32 or data[t + 1] != 45:
        return False
    u = t + 2
    if data[u] == 45:
        u += 1
        if u >= e:
            return False
    if data[u] != 32:
        return False
    u += 1
    return u < e and data[u] != 10 and not _is_space(data[u])


@njit(cache=True, nogil=True)
def _item_at(data, p, e):
    """Does `facts._ITEM_HEAD` match at data[p:e] (p just after a line end)?"""
    while p < e and data[p] != 10 and _is_space(data[p]):
        p += 1
    if p >= e or not 65 <= data[p] <= 90:
        return False
    run = 0  # how many of the next (at most 30) characters may be the place's
    while run < 30 and p + 1 + run < e and _in_head(data[p + 1 + run]):
        run += 1
    for k in range(run, 0, -1):
        t = p + 1 + k
        if _dash_at(data, t, e):
            return True
        if t + 3 <= e and data[t] == 44 and data[t + 1] == 32 and 65 <= data[t + 2] <= 90:
            name = 0
            while name < 20 and t + 3 + name < e and _in_name(data[t + 3 + name]):
                name += 1
            for j in range(name, 0, -1):
                if _dash_at(data, t + 3 + j, e):
                    return True
    return False


@njit(cache=True, nogil=True)
def count_item_lines(data, line_ends, owners, ends, n_texts):
    """For each text, how many of its line ends (`line_ends`, ascending, each in text `owners`,
    whose bytes end at `ends`) an item's head follows: a `facts._ITEM_LINE` match runs to its
    line's end, so each line end starts at most one and none overlap."""
    out = np.zeros(n_texts, np.int64)
    for k in range(line_ends.size):
        i = owners[k]
        out[i] += _item_at(data, line_ends[k] + 1, ends[i])
    return out


def item_line_counts(texts: list[str], chunk: AsciiTexts | None = None) -> list[int]:
    """`len(facts._ITEM_LINE.findall(text))` of each text, -1 for one that is not ASCII. `chunk`:
    the texts' `ascii_texts`, when the caller built it already."""
    chunk = chunk if chunk is not None else ascii_texts(texts)
    line_ends = np.flatnonzero(chunk.data == 10)
    owners = np.searchsorted(chunk.ends, line_ends, side="right")
    counts = count_item_lines(chunk.data, line_ends, owners, chunk.ends, len(texts))
    return [c if x or not t else -1 for c, x, t in zip(counts.tolist(), chunk.ascii.tolist(), texts)]
