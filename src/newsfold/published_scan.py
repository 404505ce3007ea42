"""Compiled scan of the tops of many texts at once (numba): what `published._top` looks at before
its regexes, for a worker's whole chunk in one call.

`published._top` walks a text's first lines in Python: whether the top may hold a date stamp (a
'|' or one of a stamp's words in its first STAMP_WINDOW characters), then each of the first
DATELINE_PARAGRAPHS lines with something on them, up to the first of PROSE_CHARS or more, for a
dash and a month's name, the dateline regex's prerequisites. A dozen string operations a text,
each a pass over part of it: most of the time an ingest spends on dating. Here one compiled pass
over a chunk's tops (their first TOP_CHARS characters, ASCII: a byte is a character) does those
steps; the regexes then read only the lines it names. A text it cannot settle (a non-ASCII top, a
top whose lines run past TOP_CHARS) is left to `_top` (`tests/test_published.py` holds the two
to the same answers).
"""
from __future__ import annotations

import numpy as np
from numba import njit

TOP_CHARS = 1200  # characters of a text's top the scan reads (three lines of under 200, and blanks)
# columns of the scan's answer, one row per text: settled, may hold a stamp, has a dateline, and the
# dateline's line start, end, place (start, end), month, day and year (0: none), as text offsets
SETTLED, STAMP, FOUND, LINE, END, PLACE_START, PLACE_END, MONTH, DAY, YEAR = range(10)

_UPDATED = np.frombuffer(b"updated", np.uint8)
_PUBLISHED = np.frombuffer(b"published", np.uint8)
_POSTED = np.frombuffer(b"posted", np.uint8)
_MONTHS = np.frombuffer(b"janfebmaraprmayjunjulaugsepoctnovdec", np.uint8)


@njit(cache=True, nogil=True)
def _low(b):
    return b | 32 if 65 <= b <= 90 else b


@njit(cache=True, nogil=True)
def _word_at(data, p, end, word):
    """Is `word` (lower-case ASCII) at data[p:], in any case, before `end`?"""
    if p + word.size > end:
        return False
    for q in range(word.size):
        if _low(data[p + q]) != word[q]:
            return False
    return True


@njit(cache=True, nogil=True)
def _is_space(b):
    """str.isspace of an ASCII character (a line holds no line end)."""
    return b == 32 or 9 <= b <= 13 or 28 <= b <= 31


@njit(cache=True, nogil=True)
def _month_in(data, a, e):
    """Does data[a:e] hold, in any case, the first three letters of a month's name?"""
    for p in range(a, e - 2):
        c = _low(data[p])
        for m in range(0, _MONTHS.size, 3):
            if c == _MONTHS[m] and _low(data[p + 1]) == _MONTHS[m + 1] and _low(data[p + 2]) == _MONTHS[m + 2]:
                return True
    return False


# the forms of each month's name `published._MONTH` matches, longest first (in lower case)
_MONTH_FORMS = ("january", "jan", "february", "feb", "march", "mar", "april", "apr", "may", "june", "jun", "july",
                "jul", "august", "aug", "september", "sepember", "sept", "sep", "october", "oct", "november", "nov",
                "december", "dec")
_FORMS = np.frombuffer("".join(f.ljust(9) for f in _MONTH_FORMS).encode("ascii"), np.uint8).reshape(-1, 9)
_FORM_LENGTHS = np.array([len(f) for f in _MONTH_FORMS], np.int64)
_FORM_MONTHS = np.array([["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"].index(f[:3]) + 1
                         for f in _MONTH_FORMS], np.int64)
_REUTER = np.frombuffer(b"reuter", np.uint8)


@njit(cache=True, nogil=True)
def _is_digit(b):
    return 48 <= b <= 57


@njit(cache=True, nogil=True)
def _is_word(b):
    return 65 <= b <= 90 or 97 <= b <= 122 or 48 <= b <= 57 or b == 95


@njit(cache=True, nogil=True)
def _is_place(b):
    """A character of a dateline's place: [\\w .,'()&/-]."""
    return _is_word(b) or b == 32 or b == 46 or b == 44 or b == 39 or b == 40 or b == 41 or b == 38 or b == 47 or b == 45


@njit(cache=True, nogil=True)
def _month_at(data, p, e):
    """(month, length) of the longest form of a month's name at data[p:e], in any case; (0, 0) if
    none. Only the longest can be followed by what the dateline wants next (a shorter form is
    followed by a letter)."""
    for f in range(_FORM_LENGTHS.size):
        n = _FORM_LENGTHS[f]
        if p + n <= e:
            ok = True
            for q in range(n):
                if _low(data[p + q]) != _FORMS[f, q]:
                    ok = False
                    break
            if ok:
                return _FORM_MONTHS[f], n
    return 0, 0


@njit(cache=True, nogil=True)
def _skip_spaces(data, p, e):
    while p < e and _is_space(data[p]):
        p += 1
    return p


@njit(cache=True, nogil=True)
def _dateline_end(data, p, e, year_too, reuters_too):
    """Where `published._DATELINE` ends after the date, from p: the year and the "(Reuters)" it may
    give (each tried, then left out, as the regex's greedy optional groups are), then the dash.
    (end, year); end -1: no dash where one must be."""
    year = 0
    if year_too:
        u = p + 1 if p < e and data[p] == 44 else p
        u = _skip_spaces(data, u, e)
        if not (u + 4 <= e and ((data[u] == 49 and data[u + 1] == 57) or (data[u] == 50 and data[u + 1] == 48))
                and _is_digit(data[u + 2]) and _is_digit(data[u + 3])):
            return -1, 0
        year = (data[u] - 48) * 1000 + (data[u + 1] - 48) * 100 + (data[u + 2] - 48) * 10 + data[u + 3] - 48
        p = u + 4
    if reuters_too:
        u = p + 1 if p < e and data[p] == 44 else p
        u = _skip_spaces(data, u, e)
        if u < e and data[u] == 40:
            u += 1
        if not _word_at(data, u, e, _REUTER):
            return -1, 0
        u += _REUTER.size
        if u < e and _low(data[u]) == 115:
            u += 1
        if u < e and data[u] == 41:
            u += 1
        p = u
    if p < e and data[p] == 44:
        p += 1
    p = _skip_spaces(data, p, e)
    if p >= e or data[p] != 45:
        return -1, 0
    p += 1
    if p < e and data[p] == 45:
        p += 1
    return p, year


@njit(cache=True, nogil=True)
def _after_place(data, p, e):
    """`published._DATELINE` after the place's comma or period, from p: (end, month, day, year);
    end -1: no match."""
    p = _skip_spaces(data, p, e)
    if p >= e:
        return -1, 0, 0, 0
    if _is_digit(data[p]):  # 26 Feb
        day = data[p] - 48
        p += 1
        if p < e and _is_digit(data[p]):
            day = day * 10 + data[p] - 48
            p += 1
        if not (p < e and _is_space(data[p])):
            return -1, 0, 0, 0
        p = _skip_spaces(data, p, e)
        month, n = _month_at(data, p, e)
        if month == 0 or (p + n < e and _is_word(data[p + n])):
            return -1, 0, 0, 0
        p += n
        if p < e and data[p] == 46:
            p += 1
    else:  # Feb 26
        month, n = _month_at(data, p, e)
        if month == 0:
            return -1, 0, 0, 0
        p += n
        if p < e and data[p] == 46:
            p += 1
        p = _skip_spaces(data, p, e)
        if not (p < e and _is_digit(data[p])):
            return -1, 0, 0, 0
        day = data[p] - 48
        p += 1
        if p < e and _is_digit(data[p]):
            day = day * 10 + data[p] - 48
            p += 1
        if p < e and _is_word(data[p]):
            return -1, 0, 0, 0
    for year_too in (True, False):
        for reuters_too in (True, False):
            end, year = _dateline_end(data, p, e, year_too, reuters_too)
            if end >= 0:
                return end, month, day, year
    return -1, 0, 0, 0


@njit(cache=True, nogil=True)
def _dateline(data, a, e):
    """`published.dateline` of the head data[a:e]: (end, place start, place end, month, day, year),
    offsets from a; end -1 when there is none. The place is the shortest that the rest of the
    regex matches after (its lazy quantifier), then held to dateline's checks."""
    p = _skip_spaces(data, a, e)
    if p >= e or not (65 <= data[p] <= 90 or 97 <= data[p] <= 122):
        return -1, 0, 0, 0, 0, 0
    ps = p
    for length in range(1, 62):
        q = ps + length
        if q >= e:
            break
        if length > 1 and not _is_place(data[q - 1]):
            break
        if data[q] == 44 or data[q] == 46:
            end, month, day, year = _after_place(data, q + 1, e)
            if end >= 0:
                # dateline's checks, on the place stripped of spaces
                x, y = ps, q
                while y > x and _is_space(data[y - 1]):
                    y -= 1
                upper = lower = False
                words = 0
                inside = False
                for r in range(x, y):
                    b = data[r]
                    upper = upper or 65 <= b <= 90
                    lower = lower or 97 <= b <= 122
                    sep = b == 32 or b == 44
                    words += (not sep) and not inside
                    inside = not sep
                first_upper = 65 <= data[x] <= 90
                if not first_upper and not (lower and not upper):
                    return -1, 0, 0, 0, 0, 0
                if words > 6 or not 1 <= day <= 31:
                    return -1, 0, 0, 0, 0, 0
                return end - a, x - a, y - a, month, day, year
    return -1, 0, 0, 0, 0, 0


@njit(cache=True, nogil=True)
def scan_tops(data, starts, ends, whole, stamp_window, lines_wanted, prose_chars, head_chars, hint_chars):
    """For each text i, whose top is data[starts[i]:ends[i]] (ASCII; `whole[i]`: the top is the
    whole text), what `published._top` finds (the columns above). Not settled: the lines `_top`
    would read run past the top."""
    n_texts = starts.size
    out = np.zeros((n_texts, 10), np.int64)
    for i in range(n_texts):
        s, n = starts[i], ends[i] - starts[i]
        window = min(n, stamp_window)
        stamp = False
        for p in range(window):
            b = data[s + p]
            if b == 124:  # |
                stamp = True
                break
            c = _low(b)
            if (c == 117 and _word_at(data, s + p, s + window, _UPDATED)) or (c == 112 and (
                    _word_at(data, s + p, s + window, _PUBLISHED) or _word_at(data, s + p, s + window, _POSTED))):
                stamp = True
                break
        out[i, STAMP] = stamp
        pos = 0
        seen = 0
        settled = True
        done = False  # a dateline, or a line of prose: the search ends
        while seen < lines_wanted and pos < n:
            e = pos
            while e < n and data[s + e] != 10:
                e += 1
            if e == n and not whole[i] and e - pos < max(prose_chars, head_chars):
                settled = False  # the line goes on past the top: its length and head are unknown
                break
            if e == pos:
                pos += 1
                continue
            head_end = min(e, pos + head_chars)
            blank = True
            dash = False
            for p in range(pos, head_end):
                b = data[s + p]
                blank = blank and _is_space(b)
                dash = dash or b == 45
            length = e - pos
            line_start = pos
            pos = e + 1
            if blank:
                continue
            seen += 1
            if dash and _month_in(data, s + line_start, s + min(head_end, line_start + hint_chars)):
                end, place_start, place_end, month, day, year = _dateline(data, s + line_start, s + head_end)
                if end >= 0:
                    out[i, FOUND], out[i, LINE], out[i, END] = 1, line_start, line_start + end
                    out[i, PLACE_START], out[i, PLACE_END] = line_start + place_start, line_start + place_end
                    out[i, MONTH], out[i, DAY], out[i, YEAR] = month, day, year
                    done = True
                    break
            if length >= prose_chars:
                done = True
                break
        if settled and not done and seen < lines_wanted and not whole[i]:
            settled = False  # the top ended before the lines did
        out[i, SETTLED] = settled
    return out
