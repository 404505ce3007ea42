"""The figures of a text, as the story rules compare them: quantities normalised to their unit's
base (mln, bln and thousand multiplied out, cents as 0.01 dlr), each with the precision its
writing implies and its place in the text (its slot), so that two texts' figures are compared as
numbers in the same places: "12.2 mln" and "12,231,000" agree, "1.5 billion dlrs" and "2.5
billion dlrs" in the same place do not.

Stdlib only, pure functions. `figures` is the costly part of an article's facts: it is computed
only for the articles a rule may need it of (match/judge.py).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

SPELLED = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
SPELLED.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
                "hundred": 100})
SCALE = {"thousand": 1e3, "k": 1e3, "mln": 1e6, "million": 1e6, "m": 1e6, "mn": 1e6, "bln": 1e9, "billion": 1e9,
         "bn": 1e9, "b": 1e9, "trillion": 1e12, "tn": 1e12, "trn": 1e12}
# unit → (unit class, factor to that class's base)
UNIT = {"dlr": ("$", 1.0), "dlrs": ("$", 1.0), "dollar": ("$", 1.0), "dollars": ("$", 1.0), "$": ("$", 1.0),
        "ct": ("$", 0.01), "cts": ("$", 0.01), "cent": ("$", 0.01), "cents": ("$", 0.01), "cnts": ("$", 0.01),
        "pct": ("%", 1.0), "percent": ("%", 1.0), "%": ("%", 1.0), "stg": ("£", 1.0), "£": ("£", 1.0),
        "pence": ("£", 0.01), "p": ("£", 0.01), "yen": ("¥", 1.0), "marks": ("DM", 1.0), "francs": ("fr", 1.0),
        "€": ("€", 1.0), "euros": ("€", 1.0), "tonnes": ("t", 1.0), "tons": ("t", 1.0), "bushels": ("bu", 1.0),
        "barrels": ("bbl", 1.0), "bpd": ("bpd", 1.0), "shares": ("sh", 1.0)}
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "january",
          "february", "march", "april", "june", "july", "august", "september", "october", "november", "december")
FILLER = frozenset("vs v to from at of a an the and or by about around some nearly over under up down than in on for "
                   "with was were is are be been per each its their his her it as also only just while "
                   "rose fell rise fall increase decrease gained lost".split())
_NO_ANCHOR = FILLER | frozenset(UNIT) | frozenset(SCALE) | frozenset(MONTHS)  # words a figure is not placed after
MONTH_RE = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?"
            r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_MONTH_NUM = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                          "dec"], 1)}
_TOKEN = re.compile(
    rf"(?P<date>\b{MONTH_RE}\.?\s?\d{{1,2}}\b(?![.,]\d)|\b\d{{1,2}}\s{MONTH_RE}\b)"
    r"|(?P<num>(?P<cur>[$£€])?\s?(?P<n>\d+-\d+/\d+|\d+/\d+|\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:[\s-]?(?P<scale>thousand|mln|million|mn|bln|billion|bn|trillion|trn|tn)\b)?)"
    r"|(?P<word>[A-Za-z][A-Za-z'-]*)|(?P<nl>\n)", re.I)
_DATE, _CUR, _N, _SCALE_GROUP, _WORD, _NL = (_TOKEN.groupindex[g] for g in ("date", "cur", "n", "scale", "word", "nl"))
_SKIP_AFTER = re.compile(r"\s?(?:hrs|gmt|edt|est|cdt|cst|bst|a\.?m\b|p\.?m\b)|:\d\d|\.\d\d\s?(?:gmt|hrs)", re.I)
_UNIT_AFTER = re.compile(r"[\s-]?(?:(?:mln|bln|billion|million)[\s-])?(dlrs?|dollars?|cts|cents?|cnts|ct|pct|percent|%|"
                         r"stg|pence|yen|marks|francs|euros|tonnes|tons|bushels|barrels|bpd|shares)\b", re.I)
_SCALE_WORDS = {"thousand": 1e3, "mln": 1e6, "million": 1e6, "bln": 1e9, "billion": 1e9}
_OPENING = re.compile(r"^\s*[^\n]{0,90}?\b(?:" + MONTH_RE + r")\.?\s?\d{1,2}\b[^\n-]{0,20}?-+\s", re.I)
_YEAR = re.compile(r"(?:19|20)\d\d")
_SEASON = re.compile(r"\d{2,4}/\d{2}")
_WHOLE = re.compile(r"\d+")
_DATE_PARTS = re.compile(r"[a-z]+|\d+")


class Figure(NamedTuple):
    value: float
    unit: str  # "$", "%", "£", … or "" for a plain count
    precision: float  # half a unit of its last written digit, in `value`'s units
    slot: tuple[str, int, int]  # (anchor word, rank after it, occurrence of that anchor and rank)
    written: str


def _number(num: str) -> tuple[float, float]:
    """(value, precision) of a written number: '12,231,000' → (12231000, 0.5); '6-1/2' → (6.5, 0)."""
    if "/" in num:
        whole, _, frac = num.rpartition("-") if "-" in num else ("0", "", num)
        top, bottom = frac.split("/")
        denom = max(float(bottom), 1.0)
        return float(whole or 0) + float(top) / denom, 0.0  # a quoted fraction is exact
    num = num.replace(",", "")
    decimals = len(num.split(".")[1]) if "." in num else 0
    return float(num), 0.5 * 10.0 ** -decimals


def _unit_after(text: str, end: int) -> tuple[str, float, int]:
    """(unit class, factor, end) of the unit word right after a number (dlrs, cts, pct, …)."""
    m = _UNIT_AFTER.match(text[end:end + 24])
    if m:
        unit, factor = UNIT[m.group(1).lower()]
        return unit, factor, end + m.end()
    return "", 1.0, end


def opening(text: str) -> int:
    """Where the dateline ends ("OSLO, Feb 26 - "), 0 without one: its date is the story's, not a fact of it."""
    m = _OPENING.match(text)
    return m.end() if m else 0


def figures(text: str) -> tuple[Figure, ...]:
    """The quantities of a text, normalised: value × scale in the unit's base (cents are 0.01 dlr),
    each with the precision its writing implies (a fraction such as 6-1/2 is exact) and its slot:
    (the nearest word before it in its line that is no filler or unit, its rank after that word,
    how many figures had that anchor and rank before). Dates in the text are figures too (unit
    "date", value month·31+day), except the dateline's; years, times and crop seasons are not;
    "nil" is zero.

    >>> [(f.value, f.unit, f.slot[:2]) for f in figures("Net 12.2 mln vs 9,148,000\\nShr 26 cts vs 1.10 dlrs")]
    [(12200000.0, '', ('net', 1)), (9148000.0, '', ('net', 2)), (0.26, '$', ('shr', 1)), (1.1, '$', ('shr', 2))]
    >>> [(f.value, f.unit) for f in figures("OSLO, March 2 - to arrange two billion dlrs, due April 7, 1987 at 11:45")]
    [(2000000000.0, '$'), (131.0, 'date')]
    """
    out: list[Figure] = []
    skip_to = opening(text)
    anchor, since = "^", 0
    seen: dict[tuple[str, int], int] = {}
    last_end = 0
    for m in _TOKEN.finditer(text):
        start = m.start()
        if start < last_end:
            continue
        kind = m.lastindex
        if kind == _WORD:
            w = m.group(_WORD).lower().rstrip("'-")
            if w in SPELLED:
                nxt = _TOKEN.search(text, m.end())  # the token after it, as the scan will find it
                figure = nxt is not None and nxt.lastindex == _WORD and (
                    nxt.group(_WORD).lower() in _SCALE_WORDS or _unit_after(text, m.end())[0])
                if figure:
                    nxt_word = nxt.group(_WORD).lower()
                    scale = _SCALE_WORDS.get(nxt_word, 1.0)
                    unit, factor, stop = _unit_after(text, nxt.end() if nxt_word in _SCALE_WORDS else m.end())
                    value = SPELLED[w] * scale * factor
                    precision = 0.0 if unit == "%" and scale == 1.0 else 0.5 * scale * factor
                else:
                    if len(w) > 1 and w not in _NO_ANCHOR:
                        anchor, since = w, 0
                    continue
            elif w == "nil":
                value, precision, unit, stop = 0.0, 0.0, "", m.end()
            else:
                if len(w) > 1 and w not in _NO_ANCHOR:
                    anchor, since = w, 0
                continue
        elif kind == _NL:
            anchor, since = "^", 0
            continue
        elif kind == _DATE:
            if start < skip_to:
                continue
            parts = _DATE_PARTS.findall(m.group(_DATE).lower())
            month = _MONTH_NUM.get((parts[0] if parts[0].isalpha() else parts[1])[:3])
            day = int(parts[1] if parts[0].isalpha() else parts[0])
            if not month or not 1 <= day <= 31:
                continue
            value, precision, unit, stop = float(month * 31 + day), 0.0, "date", m.end()
        else:
            raw = m.group(_N)
            time_of_day = _SKIP_AFTER.match(text, m.end())
            if time_of_day:
                last_end = time_of_day.end()
            if start < skip_to or time_of_day:
                continue  # in the dateline, or a time
            scale_word, currency = m.group(_SCALE_GROUP), m.group(_CUR)
            if scale_word is None and not currency and len(raw) == 4 and _YEAR.fullmatch(raw):
                continue  # a year
            if "/" in raw and _SEASON.fullmatch(raw):
                continue  # a season, 1986/87
            value, precision = _number(raw)
            scale = SCALE[scale_word.lower()] if scale_word else 1.0
            unit, factor, stop = _unit_after(text, m.end())
            if currency:
                unit, factor = UNIT[currency]
            if unit == "%" and scale == 1.0 and _WHOLE.fullmatch(raw):
                precision = 0.0  # a quoted whole rate: "6 pct" is not "6-1/2 pct"
            value, precision = value * scale * factor, precision * scale * factor
        since += 1
        last_end = stop
        place = (anchor, since)
        occurrence = seen.get(place, 0) + 1
        seen[place] = occurrence
        out.append(Figure(value, unit, precision, (anchor, since, occurrence), text[start:stop].strip()))
    return tuple(out)


def same_figure(a: Figure, b: Figure) -> bool:
    """Equal within the rounding of the less precise writing: '12.2 mln' == '12,231,000' (±0.05 mln),
    '26 cts' == '0.26 dlrs'; a figure without a unit matches one with a unit.

    >>> x, y = figures("12.2 mln")[0], figures("12,231,000")[0]
    >>> same_figure(x, y), same_figure(figures("12.4 mln")[0], y)
    (True, False)
    """
    if a.unit and b.unit and a.unit != b.unit:
        return False
    tolerance = max(a.precision, b.precision) + 1e-9 * max(abs(a.value), abs(b.value))
    if abs(a.value - b.value) <= tolerance:
        return True
    # "15.5 bpd" where the other says "15.5 mln bpd": one writer left the scale out
    low, high = sorted((abs(a.value), abs(b.value)))
    if low and a.unit != "date":
        ratio = high / low
        for scale in (1e3, 1e6, 1e9):
            if abs(ratio - scale) <= scale * 1e-9 and any(f.written.replace(",", "").replace(".", "").isdigit()
                                                         or re.fullmatch(r"[\d.,]+\s?[a-z%$]*", f.written.lower())
                                                         for f in (a, b)):
                return True
    return False


def figure_slots(a: Iterable[Figure], b: Iterable[Figure]) -> tuple[int, int, list[tuple[Figure, Figure]]]:
    """(shared slots, agreeing, the disagreeing pairs): figures in the same place of two texts
    (same anchor word, same rank after it, same occurrence) compared as numbers."""
    by_a: dict[tuple[str, int, int], list[Figure]] = {}
    for f in a:
        by_a.setdefault(f.slot, []).append(f)
    by_b: dict[tuple[str, int, int], list[Figure]] = {}
    for f in b:
        by_b.setdefault(f.slot, []).append(f)
    shared = agree = 0
    differ: list[tuple[Figure, Figure]] = []
    for slot in by_a:  # in the order of `a`'s text: the evidence quotes the first differences
        if slot not in by_b:
            continue
        shared += 1
        xs, ys = by_a[slot], by_b[slot]
        if any(same_figure(x, y) for x in xs for y in ys):
            agree += 1
        else:
            differ.append((xs[0], ys[0]))
    return shared, agree, differ


def found_share(a: Iterable[Figure], b: Iterable[Figure]) -> tuple[int, int]:
    """(figures of `a`, of them equal to some figure of `b`), slots aside."""
    a, b = list(a), list(b)
    return len(a), sum(any(same_figure(x, y) for y in b) for x in a)
