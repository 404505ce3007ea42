"""Story rules that know time and who: pure functions over two articles' plain facts.

The shingle verification (match.py) says whether two texts share their words; these rules say
whether they tell the same story. Each takes the `Facts` of two articles (made once per article
by `facts`, from its title, body and publication date) and the pair's verification scores, and
returns a `Verdict` with the evidence a reader needs ("published 1987-03-02 vs 1987-04-21, figures
differ: 1.5 bln / 2.0 bln").

- `occasion`: the same report of another occasion. Two notices whose figures disagree in the same
  places ("to arrange 1.5 billion dlrs" / "to arrange 2.0 billion dlrs") are other reports, a
  recurring one when published on other days, a successive one when most of their shared figures
  changed within the day; an update keeps most of its figures and revises a few, and a correction
  says so ("corrects", "CORRECTED"). Without figures, the same relative day word in the same
  words ("in today's tender") under datelines of other days names another day.
- `issuer`: one template, another issuer: the opening sentence's subject (or the ticker) of one
  text is absent from the other.
- `digest`: a text made of many dateline-led items ("BERNE - ...", "TOKYO - ...") lists stories;
  it is never a story's canonical version and takes none of the items it lists.
- `same_figures`/`retyped`: recall for results tables typed by two desks ("Revs" / "Sales",
  "12 mths" / "Year", "12.2 mln" / "12,231,000"): figures compared as numbers within rounding,
  labels through synonyms learned from the corpus (`learn_label_synonyms`).
- `rewrite`: recall for rewrites and updates under the containment threshold: within 12 hours,
  nothing above keeps them apart, at most a quarter of the figures in shared places revised, the
  names and figures of one (case and typos aside) in the other, and each text's opening facts in
  the other (a follow-up opens on a fact the other lacks).
- candidate keys for what the band keys miss: `figure_key` (a table's first figures rounded to
  two digits), `title_key` (the headline with figures masked), `name_day_keys` (a headline name or
  ticker with the publication day; folds more rewrites, and more same-day follow-ups too).

Stdlib only; no newsfold internals. Thresholds are module constants, measured on the judged pairs
of the Reuters and BBC pools (benchmarks/judged_pairs.py).
"""
from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import NamedTuple

SAME_DAY_HOURS = 20.0  # closer than this, two wire items are of one day's cycle
SUCCESSIVE_SHARE = 0.15  # within a day, a re-issued notice changing this share of its figures is a new one
SAME_FORM = 0.65  # ... when this share of its figure places (anchor word, rank) are the other's
RECURRING_SHARE = 0.1  # on another day, this share of changed figures in shared places makes another report
MIN_SLOTS = 1  # shared figure places needed to call figures different at all
DIGEST_ITEMS = 3  # dateline-led items that make a text a digest
REWRITE_CONTAINMENT = 0.4  # rewrites are rescued from here up ...
REWRITE_NAMES = 0.7  # ... when this share of the smaller text's names and figures are in the other ...
REWRITE_REVISED = 0.25  # ... and at most this share of the figures in shared places differ
REWRITE_HOURS = 12.0  # a desk's own version comes within hours; a next-day item is a follow-up or a re-send
REWRITE_LEAD = 0.3  # a rewrite keeps some of its opening; a follow-up writes a new one ...
REWRITE_LEAD_KEPT = 0.6  # ... whose facts (content words, figures) the other text lacks
TABLE_FIGURES = 4  # figures two tables must share to be compared
TABLE_AGREEMENT = 0.8  # share of the smaller table's figures found equal in the other ...
TABLE_WHOLE = 0.6  # ... and of all the smaller text's figures
TABLE_LINES = 0.5  # a results notice is mostly its table: this share of its lines are table rows

_SPELLED = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_SPELLED.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
                 "hundred": 100})
_SCALE = {"thousand": 1e3, "k": 1e3, "mln": 1e6, "million": 1e6, "m": 1e6, "mn": 1e6, "bln": 1e9, "billion": 1e9,
          "bn": 1e9, "b": 1e9, "trillion": 1e12, "tn": 1e12, "trn": 1e12}
# unit → (unit class, factor to that class's base)
_UNIT = {"dlr": ("$", 1.0), "dlrs": ("$", 1.0), "dollar": ("$", 1.0), "dollars": ("$", 1.0), "$": ("$", 1.0),
         "ct": ("$", 0.01), "cts": ("$", 0.01), "cent": ("$", 0.01), "cents": ("$", 0.01), "cnts": ("$", 0.01),
         "pct": ("%", 1.0), "percent": ("%", 1.0), "%": ("%", 1.0), "stg": ("£", 1.0), "£": ("£", 1.0),
         "pence": ("£", 0.01), "p": ("£", 0.01), "yen": ("¥", 1.0), "marks": ("DM", 1.0), "francs": ("fr", 1.0),
         "€": ("€", 1.0), "euros": ("€", 1.0), "tonnes": ("t", 1.0), "tons": ("t", 1.0), "bushels": ("bu", 1.0),
         "barrels": ("bbl", 1.0), "bpd": ("bpd", 1.0), "shares": ("sh", 1.0)}
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "january",
           "february", "march", "april", "june", "july", "august", "september", "october", "november", "december")
_FILLER = frozenset("vs v to from at of a an the and or by about around some nearly over under up down than in on for "
                    "with was were is are be been per each its their his her it as also only just while "
                    "rose fell rise fall increase decrease gained lost".split())
_GENERIC_NAMES = frozenset("the a an co corp corporation inc incorporated ltd limited plc ag sa nv spa bv kk gmbh "
                           "group holdings holding company companies international national unit units division "
                           "subsidiary subsidiaries u.s us uk u.k american british federal state new first general "
                           "mr mrs ms dr president chairman minister secretary officials official sources source "
                           "department ministry government bank banks "
                           # the labels of a results table, which its headline repeats
                           "net shr shrs revs sales qtr oper year mths loss profit div avg note".split()) | frozenset(_MONTHS)
_LEAD_STOP = frozenset("said says that this with from have will would which their there been were about after "
                       "also into than they them its over under other some more most when what where could should "
                       "told today yesterday tomorrow company".split())
_CORRECTION = re.compile(r"\bcorrect(?:s|ed|ing|ion)\b|\brpt\b|\brepeat(?:s|ed)?\b", re.I)
_RELATIVE = {"today": 0, "tonight": 0, "yesterday": -1, "tomorrow": 1, "todays": 0}
_NUMBER = re.compile(
    r"(?P<cur>[$£€])?\s?(?P<num>\d+-\d+/\d+|\d+/\d+|\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:[\s-]?(?P<scale>thousand|mln|million|mn|bln|billion|bn|trillion|trn|tn|k|m|b)\b)?", re.I)
_WORD = re.compile(r"[A-Za-z][A-Za-z'.&-]*[A-Za-z]|[A-Za-z]")
_ITEM = re.compile(r"^[A-Z][A-Z .'-]{1,30}(?:, [A-Z][A-Za-z .'-]{1,20})? (?:-|--|\u2013) \S")
_TICKER = re.compile(r"<([A-Z][A-Z0-9]{0,6})(?:[. ][A-Z]{1,3})?>")


class Figure(NamedTuple):
    value: float
    unit: str  # "$", "%", "£", … or "" for a plain count
    precision: float  # half a unit of its last written digit, in `value`'s units
    slot: tuple[str, int, int]  # (anchor word, rank after it, occurrence of that anchor and rank)
    written: str


class Facts(NamedTuple):
    """What the rules need of one article, made once (`facts`) and stored beside its fingerprint."""

    published: str | None  # ISO 8601
    title_template: str  # the title, lower-case, figures replaced by '#'
    title_figures: tuple[Figure, ...]
    figures: tuple[Figure, ...]
    subject: tuple[str, ...]  # distinctive words of the opening sentence's subject, lower-case
    tickers: frozenset[str]
    words: frozenset[str]  # every word of the text, lower-case: for "is this name in the other text"
    names: frozenset[str]  # capitalised words (lower-cased) and figures of the body
    correction: bool  # says it corrects or repeats an earlier item
    relative_days: tuple[tuple[str, int], ...]  # (the three words before, day offset) of today/yesterday/…
    dateline_day: str | None  # "--MM-DD" of the body's dateline
    digest_items: int  # dateline-led items
    table: tuple[tuple[str, tuple[Figure, ...]], ...]  # (label, figures) of "Label 12 vs 10" lines
    session: int | None = None  # the part of the trading day a market report's headline names
    title_names: tuple[str, ...] = ()  # headline words that the body writes capitalised: who or where it is about
    lead_names: tuple[str, ...] = ()  # names and content words of the opening sentence (its facts)
    lead_figures: tuple[Figure, ...] = ()
    opens_table: bool = False  # the body opens with its table ("Shr 26 cts vs 18 cts"), as a results notice does
    lines: int = 0  # non-empty lines of the body
    title_tickers: frozenset[str] = frozenset()


class Verdict(NamedTuple):
    rule: str  # "recurring-report", "successive-notice", "other-issuer", "digest", "update", "retyped", "rewrite"
    apart: bool  # True: not the same story (an edge to drop); False: the same story (keep or add the edge)
    evidence: str


# ---------------------------------------------------------------------------------------- figures

def _number(num: str) -> tuple[float, float]:
    """(value, precision) of a written number: '12,231,000' → (12231000, 0.5); '6-1/2' → (6.5, 1/4)."""
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
    m = re.match(r"[\s-]?(?:(?:mln|bln|billion|million)[\s-])?(dlrs?|dollars?|cts|cents?|cnts|ct|pct|percent|%|stg|pence|"
                 r"yen|marks|francs|euros|tonnes|tons|bushels|barrels|bpd|shares)\b", text[end:end + 24], re.I)
    if m:
        unit, factor = _UNIT[m.group(1).lower()]
        return unit, factor, end + m.end()
    return "", 1.0, end


_MONTH_RE = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?"
             r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_MONTH_NUM = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                          "dec"], 1)}
_TOKEN = re.compile(
    rf"(?P<date>\b{_MONTH_RE}\.?\s?\d{{1,2}}\b(?![.,]\d)|\b\d{{1,2}}\s{_MONTH_RE}\b)"
    r"|(?P<num>(?P<cur>[$£€])?\s?(?P<n>\d+-\d+/\d+|\d+/\d+|\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:[\s-]?(?P<scale>thousand|mln|million|mn|bln|billion|bn|trillion|trn|tn)\b)?)"
    r"|(?P<word>[A-Za-z][A-Za-z'-]*)|(?P<nl>\n)", re.I)
_SKIP_AFTER = re.compile(r"\s?(?:hrs|gmt|edt|est|cdt|cst|bst|a\.?m\b|p\.?m\b)|:\d\d|\.\d\d\s?(?:gmt|hrs)", re.I)
_SCALE_WORDS = {"thousand": 1e3, "mln": 1e6, "million": 1e6, "bln": 1e9, "billion": 1e9}


def _opening(text: str) -> int:
    """Where the dateline ends ("OSLO, Feb 26 - "), 0 without one: its date is the story's, not a fact of it."""
    m = re.match(r"^\s*[^\n]{0,90}?\b(?:" + _MONTH_RE + r")\.?\s?\d{1,2}\b[^\n-]{0,20}?-+\s", text, re.I)
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
    skip_to = _opening(text)
    anchor, since = "^", 0
    seen: Counter[tuple[str, int]] = Counter()
    last_end = 0
    tokens = list(_TOKEN.finditer(text))
    for idx, m in enumerate(tokens):
        start = m.start()
        if start < last_end:
            continue
        kind = m.lastgroup
        if kind == "nl":
            anchor, since = "^", 0
            continue
        if kind == "word":
            w = m.group("word").lower().strip("'-")
            if w == "nil":
                value, precision, unit, stop = 0.0, 0.0, "", m.end()
            elif w in _SPELLED and idx + 1 < len(tokens) and tokens[idx + 1].lastgroup == "word" and (
                    tokens[idx + 1].group("word").lower() in _SCALE_WORDS or _unit_after(text, m.end())[0]):
                nxt = tokens[idx + 1].group("word").lower()
                scale = _SCALE_WORDS.get(nxt, 1.0)
                unit, factor, stop = _unit_after(text, tokens[idx + 1].end() if nxt in _SCALE_WORDS else m.end())
                value = _SPELLED[w] * scale * factor
                precision = 0.0 if unit == "%" and scale == 1.0 else 0.5 * scale * factor
            else:
                if len(w) > 1 and w not in _FILLER and w not in _UNIT and w not in _SCALE and w not in _MONTHS:
                    anchor, since = w, 0
                continue
        elif kind == "date":
            if start < skip_to:
                continue
            parts = re.findall(r"[a-z]+|\d+", m.group("date").lower())
            month = _MONTH_NUM.get((parts[0] if parts[0].isalpha() else parts[1])[:3])
            day = int(parts[1] if parts[0].isalpha() else parts[0])
            if not month or not 1 <= day <= 31:
                continue
            value, precision, unit, stop = float(month * 31 + day), 0.0, "date", m.end()
        else:
            raw = m.group("n")
            time_of_day = _SKIP_AFTER.match(text, m.end())
            if time_of_day:
                last_end = time_of_day.end()
            if start < skip_to or time_of_day:
                continue  # in the dateline, or a time
            if m.group("scale") is None and not m.group("cur") and re.fullmatch(r"(?:19|20)\d\d", raw):
                continue  # a year
            if re.fullmatch(r"\d{2,4}/\d{2}", raw):
                continue  # a season, 1986/87
            value, precision = _number(raw)
            scale = _SCALE.get((m.group("scale") or "").lower(), 1.0)
            unit, factor, stop = _unit_after(text, m.end())
            if m.group("cur"):
                unit, factor = _UNIT[m.group("cur")]
            if unit == "%" and scale == 1.0 and re.fullmatch(r"\d+", raw):
                precision = 0.0  # a quoted whole rate: "6 pct" is not "6-1/2 pct"
            value, precision = value * scale * factor, precision * scale * factor
        since += 1
        last_end = stop
        seen[(anchor, since)] += 1
        out.append(Figure(value, unit, precision, (anchor, since, seen[(anchor, since)]), text[start:stop].strip()))
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
    (same anchor word, same rank after it) compared as numbers."""
    by_a: dict[tuple[str, int], list[Figure]] = {}
    for f in a:
        by_a.setdefault(f.slot, []).append(f)
    by_b: dict[tuple[str, int], list[Figure]] = {}
    for f in b:
        by_b.setdefault(f.slot, []).append(f)
    shared = agree = 0
    differ: list[tuple[Figure, Figure]] = []
    for slot in by_a.keys() & by_b.keys():
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


# ---------------------------------------------------------------------------------------- facts

def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _lead_sentence(text: str) -> str:
    body = re.sub(r"^\s*[^\n]{0,80}?[,.]\s*(?:[A-Za-z]{3,9}\.?\s*\d{1,2}|\d{1,2}\s+[A-Za-z]{3,9})\b[^-\n]{0,20}-+\s*",
                  "", text, count=1)  # drop the dateline
    return re.split(r"(?<=[a-z0-9)])[.;]\s|\n", body, maxsplit=1)[0]


def _subject(sentence: str, title: str) -> tuple[str, ...]:
    """The issuer a sentence opens with, as the distinctive words of its opening capitalised phrase
    that the headline names too: "Sankei Building Co Ltd is issuing …" under "SANKEI BUILDING
    ISSUES …" → ('sankei', 'building'). Empty when the headline names none of them (a sentence
    may open with any capitalised word; a notice's issuer is in its headline)."""
    in_title = set(_words(title))
    out: list[str] = []
    for raw in re.findall(r"<[^>]*>|[\w'&.-]+", sentence)[:12]:
        if raw.startswith("<"):
            continue
        if not raw[0].isupper() and raw.lower() not in ("of", "and", "&", "de", "du", "van", "von", "la"):
            break
        for word in _words(re.sub(r"'s$", "", raw)):
            if len(word) > 1 and word not in _GENERIC_NAMES and not word.isdigit() and word not in ("of", "and"):
                out.append(word)
    return tuple(w for w in out[:4] if w in in_title)


def _names(text: str) -> list[str]:
    """Capitalised words of a text, lower-case, possessives and hyphenated tails cut ("Ecuador's"
    → "ecuador"); a sentence's first word only if the text capitalises it elsewhere too."""
    mid, first = [], []
    for m in re.finditer(r"(^|[.!?:\n]\s*|\s)([A-Z][\w'.-]*)", text):
        word = _words(m.group(2))
        if not word or len(word[0]) < 2:
            continue
        (first if m.group(1).strip() or m.start() == 0 else mid).append(word[0])
    seen = set(mid)
    return mid + [w for w in first if w in seen]


def name_day_keys(f: Facts) -> list[int]:
    """Candidate keys (who, when): each name and ticker of the headline with the publication day. Two items
    of one day about one issuer meet here however differently they are worded."""
    if not f.published:
        return []
    day = f.published[:10]
    return [hash((w, day)) & 0x7FFFFFFFFFFFFFFF for w in (*f.title_names, *sorted(f.tickers))]


def _opens_table(text: str) -> bool:
    """Does the body open with a table line ("Shr 26 cts vs 18 cts", "Qtr ends Jan 31"): a short
    first line (after the dateline) that holds a figure."""
    first = text[_opening(text):].lstrip().split("\n", 1)[0]
    return len(first.split()) <= 12 and bool(figures(first))


def _is_item(paragraph: str) -> bool:
    """A digest item: "BERNE - Swiss consumer prices rose …", a place in capitals, a dash, then a
    sentence of prose (a table row that starts with a city in capitals is no item)."""
    if not _ITEM.match(paragraph):
        return False
    rest = paragraph.split("-", 1)[1]
    words = rest.split()
    return len(words) >= 12 and sum(w[0].islower() for w in words if w[0].isalpha()) >= len(words) / 2


def _title_names(title: str, text: str) -> tuple[str, ...]:
    """Headline words (3 letters or more, not generic) that the body writes with a capital
    (outside its first word of a sentence is not checked: a headline word is a name if the body
    capitalises it anywhere)."""
    capitalised = {w.lower() for w in re.findall(r"\b[A-Z][a-z]+\b|\b[A-Z]{2,}\b", text)}
    out = []
    for w in _words(title):
        if len(w) >= 3 and not w.isdigit() and w not in _GENERIC_NAMES and w in capitalised and w not in out:
            out.append(w)
    return tuple(out)


def _template(title: str) -> str:
    return re.sub(r"\d[\d,.-/]*(\s?(mln|bln|billion|million|pct|cts|dlrs?))?", "#", title.lower()).strip()


def _dateline_day(text: str) -> str | None:
    m = re.match(r"^\s*[^\n,]{1,60}(?:,[^\n,]{1,30})?[,.]\s*(?P<mon>[A-Za-z]{3,9})\.?\s*(?P<d>\d{1,2})\b", text)
    if not m:
        return None
    mon = m.group("mon").lower()[:3]
    months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    return f"--{months.index(mon) + 1:02d}-{int(m.group('d')):02d}" if mon in months else None


def facts(title: str, text: str, published: str | None = None) -> Facts:
    """The facts of one article (cost: one pass of a few regexes over the text, ~0.1-0.3 ms)."""
    body_figures = figures(text)
    lead = _lead_sentence(text)
    words = _words(title + "\n" + text)
    names = set(_names(text)) - _GENERIC_NAMES
    names |= {f"#{f.value:.6g}" for f in body_figures}
    rel = []
    tokens = re.findall(r"[a-z']+", lead.lower())
    for i, tok in enumerate(tokens):
        key = tok.replace("'s", "").replace("'", "")
        if key in _RELATIVE:
            rel.append((" ".join(tokens[max(0, i - 3):i]) + " " + tokens[i + 1] if i + 1 < len(tokens)
                        else " ".join(tokens[max(0, i - 3):i]), _RELATIVE[key]))
    table = []
    for line in text.split("\n"):
        m = re.match(r"^\s*([A-Za-z][A-Za-z .'/-]{0,30}?)\s+[-$£(]?\d", line)
        if m and " vs " in f" {line.lower()} ":
            table.append((m.group(1).strip().lower(), figures(line[m.end(1):])))
    items = sum(_is_item(p.strip()) for p in re.split(r"\n\s*\n|\n", text) if p.strip())
    subject = () if len(table) >= 2 or items >= DIGEST_ITEMS else _subject(lead, title)
    return Facts(published, _template(title), figures(title), body_figures, subject,
                 frozenset(t.upper() for t in _TICKER.findall(title + " " + lead)), frozenset(words),
                 frozenset(names), bool(_CORRECTION.search(title) or _CORRECTION.search(text[-400:])),
                 tuple(rel), _dateline_day(text), items, tuple(table), session(title), _title_names(title, text),
                 tuple(dict.fromkeys(w for w in _words(lead) if len(w) > 3 and w not in _LEAD_STOP)),
                 figures(lead), _opens_table(text), sum(1 for line in text.split("\n") if line.strip()),
                 frozenset(t.upper() for t in _TICKER.findall(title)))


def _hours(a: str | None, b: str | None) -> float | None:
    if not a or not b:
        return None
    def when(s: str) -> dt.datetime:
        return dt.datetime.fromisoformat(s.replace("Z", "")) if "T" in s else dt.datetime.fromisoformat(s)
    return abs((when(a) - when(b)).total_seconds()) / 3600


def _show(f: Figure) -> str:
    return f.written


# ---------------------------------------------------------------------------------------- rules

_SESSION = {"early": 1, "opening": 1, "opens": 1, "morning": 1, "midday": 2, "midsession": 2, "mid-session": 2,
            "noon": 2, "afternoon": 3, "close": 4, "closes": 4, "closed": 4, "closing": 4, "final": 4}


def session(title: str) -> int | None:
    """Which part of a trading day a market report's headline says it covers (early … close)."""
    for word in re.findall(r"[a-z-]+", title.lower()):
        if word in _SESSION:
            return _SESSION[word]
    return None


def occasion(a: Facts, b: Facts) -> Verdict | None:
    """Another report of the same kind (module doc); None when nothing says so."""
    if a.correction or b.correction:
        return Verdict("update", False, "one says it corrects or repeats the other")
    hours = _hours(a.published, b.published)
    when = f"published {a.published} vs {b.published}" if hours is not None else "publication dates unknown"
    if hours is not None and hours < SAME_DAY_HOURS and a.session and b.session and a.session != b.session:
        return Verdict("successive-notice", True, f"{when}, market reports of other sessions of the day")
    shared, agree, differ = figure_slots(a.figures, b.figures)
    title_differ = [(x, y) for x, y in zip(a.title_figures, b.title_figures) if not same_figure(x, y)]
    if a.title_template == b.title_template and title_differ and hours is not None:
        x, y = title_differ[0]
        rule = "successive-notice" if hours < SAME_DAY_HOURS else "recurring-report"
        return Verdict(rule, True, f"{when}, same headline with other figures: {_show(x)} / {_show(y)}")
    if shared >= MIN_SLOTS and differ and hours is not None:
        share = len(differ) / shared
        shown = ", ".join(f"{_show(x)} / {_show(y)}" for x, y in differ[:3])
        if hours >= SAME_DAY_HOURS and share >= RECURRING_SHARE:
            return Verdict("recurring-report", True, f"{when}, figures differ: {shown} ({len(differ)} of {shared})")
        # within a day: the same notice re-issued (same headline, figures in the same places) with
        # new figures; a desk's own version of a table has other labels, an update other wording
        keys_a, keys_b = {f.slot for f in a.figures}, {f.slot for f in b.figures}
        same_form = len(keys_a & keys_b) >= SAME_FORM * len(keys_a | keys_b)
        if hours < SAME_DAY_HOURS and share >= SUCCESSIVE_SHARE and same_form and a.title_template == b.title_template:
            return Verdict("successive-notice", True,
                           f"{when}, same headline and form, new figures: {shown} ({len(differ)} of {shared})")
        return Verdict("update", False, f"{when}, keeps {agree} of {shared} figures, revises {shown}")
    # no figures to tell: the same relative day word in the same words under datelines of other days
    if a.dateline_day and b.dateline_day and a.dateline_day != b.dateline_day and hours is not None \
            and hours >= SAME_DAY_HOURS:
        same = set(a.relative_days) & set(b.relative_days)
        if same:
            context, offset = sorted(same)[0]
            return Verdict("recurring-report", True,
                           f"'{context}' in both, under datelines {a.dateline_day} vs {b.dateline_day}: other days")
    return None


def _present(word: str, words: frozenset[str]) -> bool:
    """Is a name in the other text's words, a typo aside (one letter off in a word of 5 or more)."""
    if word in words:
        return True
    if len(word) < 5:
        return False
    return any(abs(len(w) - len(word)) <= 1 and w[:2] == word[:2] and _one_edit(w, word) for w in words)


def _one_edit(x: str, y: str) -> bool:
    if len(x) == len(y):
        diff = [i for i, (p, q) in enumerate(zip(x, y)) if p != q]
        return len(diff) <= 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and x[diff[0]] == y[diff[1]]
                                  and x[diff[1]] == y[diff[0]])
    if len(x) > len(y):
        x, y = y, x
    return any(x == y[:i] + y[i + 1:] for i in range(len(y)))


def issuer(a: Facts, b: Facts) -> Verdict | None:
    """One template, another issuer: the subject that opens one text (its first distinctive word)
    is nowhere in the other, or their tickers differ."""
    if a.correction or b.correction:
        return None
    if a.title_tickers and b.title_tickers and not a.title_tickers & b.title_tickers:
        return Verdict("other-issuer", True,
                       f"tickers {'/'.join(sorted(a.title_tickers))} vs {'/'.join(sorted(b.title_tickers))}")
    only_a = [w for w in a.title_names if not _present(w, b.words)]
    only_b = [w for w in b.title_names if not _present(w, a.words)]
    if only_a and only_b:
        return Verdict("other-issuer", True, f"headlines name '{only_a[0]}' and '{only_b[0]}', each absent from the other")
    for x, y in ((a, b), (b, a)):
        if x.subject and not any(_present(w, y.words) for w in x.subject):
            return Verdict("other-issuer", True,
                           f"'{' '.join(x.subject)}' opens one text and its headline, and is nowhere in the other"
                           f" ('{' '.join(y.subject) or '?'}')")
    return None


def is_digest(f: Facts) -> bool:
    """A text made of dateline-led items: at least DIGEST_ITEMS of them, and most of its lines."""
    return f.digest_items >= DIGEST_ITEMS and f.digest_items >= 0.5 * f.lines


def digest(a: Facts, b: Facts) -> Verdict | None:
    """A digest and one of the items it lists are not one story: the item is a story of its own,
    with no item-form paragraph ("BERNE - …"). Two versions of a digest are one story, and so are
    a digest and its abridged copy (which keeps an item or two)."""
    if is_digest(a) != is_digest(b) and min(a.digest_items, b.digest_items) == 0:
        n = max(a.digest_items, b.digest_items)
        return Verdict("digest", True, f"a digest of {n} dateline-led items and a single story it may list")
    return None


def judge_edge(a: Facts, b: Facts) -> Verdict | None:
    """The first rule that keeps a verified edge's two articles apart, or None (the edge stays)."""
    for rule in (digest, issuer, occasion):
        verdict = rule(a, b)
        if verdict is not None:
            return verdict if verdict.apart else None
    return None


# ---------------------------------------------------------------------------------------- recall

def learn_label_synonyms(pairs: Iterable[tuple[Facts, Facts]], min_count: int = 2) -> dict[str, str]:
    """Label → its canonical synonym, learned from table pairs whose figures agree row by row:
    where two tables give the same figures under other labels ("revs 41.1 mln vs 20.3 mln" /
    "sales 41.1 mln vs 20.3 mln"), the labels name the same thing. A pair of labels seen in at least
    `min_count` table pairs is kept; each class is named by its most frequent label."""
    seen: Counter[tuple[str, str]] = Counter()
    freq: Counter[str] = Counter()
    for x, y in pairs:
        for la, fa in x.table:
            freq[la] += 1
            for lb, fb in y.table:
                if la != lb and fa and len(fa) == len(fb) and all(same_figure(p, q) for p, q in zip(fa, fb)) \
                        and any(p.value != 0 for p in fa):
                    seen[tuple(sorted((la, lb)))] += 1
    parent: dict[str, str] = {}

    def root(w: str) -> str:
        while parent.get(w, w) != w:
            w = parent[w]
        return w
    for (la, lb), n in seen.items():
        if n >= min_count:
            ra, rb = root(la), root(lb)
            if ra != rb:
                parent[max(ra, rb, key=lambda w: (freq[w], w))] = max(ra, rb, key=lambda w: (freq[w], w))
                parent[min(ra, rb, key=lambda w: (freq[w], w))] = max(ra, rb, key=lambda w: (freq[w], w))
    return {w: root(w) for w in parent if root(w) != w}


def retyped(a: Facts, b: Facts, synonyms: Mapping[str, str] | None = None) -> Verdict | None:
    """Two results tables of one issuer typed by two desks: their figures agree within rounding
    (labels through `synonyms`), and nothing else says other occasion or issuer."""
    if len(a.table) < 2 or len(b.table) < 2 or not (a.opens_table and b.opens_table):
        return None
    if len(a.table) < TABLE_LINES * a.lines or len(b.table) < TABLE_LINES * b.lines:
        return None  # a table inside a longer text is not a results notice
    if not (a.tickers & b.tickers or set(a.title_names) & set(b.title_names)):
        return None  # one issuer's report: both headlines name it
    synonyms = synonyms or {}
    fa = [f for _, fs in a.table for f in fs]
    fb = [f for _, fs in b.table for f in fs]
    small, large = (fa, fb) if len(fa) <= len(fb) else (fb, fa)
    n, found = found_share(small, large)
    if n < TABLE_FIGURES or found < TABLE_AGREEMENT * n:
        return None
    # the tables are the notices: most figures of the whole texts agree, not just a shared table
    whole_small, whole_large = (a.figures, b.figures) if len(a.figures) <= len(b.figures) else (b.figures, a.figures)
    whole_n, whole_found = found_share(whole_small, whole_large)
    if whole_found < TABLE_WHOLE * whole_n:
        return None
    label = {lb: synonyms.get(lb, lb) for lb, _ in a.table + b.table}

    def rows(table):  # a label's n-th row (a results table gives "Net" for the quarter, then the year)
        seen: Counter[str] = Counter()
        out = {}
        for lb, fs in table:
            seen[label[lb]] += 1
            out[(label[lb], seen[label[lb]])] = fs
        return out
    rows_a, rows_b = rows(a.table), rows(b.table)
    clash = [key for key in rows_a.keys() & rows_b.keys() if rows_a[key] and rows_b[key]
             and not any(same_figure(x, y) for x, y in zip(rows_a[key], rows_b[key]))]
    if clash or issuer(a, b) is not None:
        return None
    hours = _hours(a.published, b.published)
    if hours is not None and hours > 48:
        return None
    renamed = sorted({f"{x}/{label[x]}" for x in label if label[x] != x})
    return Verdict("retyped", False, f"{found} of {n} table figures equal within rounding"
                   + (f"; labels {', '.join(renamed)}" if renamed else ""))


def rewrite(a: Facts, b: Facts, containment: float, lead_overlap: float = 1.0) -> Verdict | None:
    """A rewrite or an update under the containment threshold: published within REWRITE_HOURS,
    nothing keeps them apart (issuer, digest, occasion), at most REWRITE_REVISED of the figures in
    shared places differ (an update revises a few), and the smaller text's names (case aside, a
    typo aside) and figures are mostly in the other."""
    if containment < REWRITE_CONTAINMENT:
        return None
    hours = _hours(a.published, b.published)
    if hours is None or hours > REWRITE_HOURS or lead_overlap < REWRITE_LEAD:
        return None
    if judge_edge(a, b) is not None:
        return None
    shared, agree, differ = figure_slots(a.figures, b.figures)
    if shared and len(differ) > REWRITE_REVISED * shared and not (a.correction or b.correction):
        return None
    small, large = (a, b) if len(a.names) <= len(b.names) else (b, a)
    if len([w for w in small.names if not w.startswith("#")]) < 3:
        small, large = large, small  # a copy typed in lower case has no capitals: read the other's names
    names = [w for w in small.names if not w.startswith("#")]
    if not names:
        return None
    named = sum(_present(w, large.words) for w in names)
    figs_n, figs_found = found_share(small.figures, large.figures)
    share = (named + figs_found) / (len(names) + figs_n)
    if share < REWRITE_NAMES:
        return None
    kept = min(lead_kept(a, b), lead_kept(b, a))
    if kept < REWRITE_LEAD_KEPT:  # one opens on a fact the other lacks: a follow-up, another angle
        return None
    revised = f", revises {', '.join(f'{_show(x)} / {_show(y)}' for x, y in differ[:2])}" if differ else ""
    return Verdict("rewrite", False, f"published {a.published} vs {b.published}, {named + figs_found} of "
                   f"{len(names) + figs_n} names and figures shared, containment {containment:.2f}{revised}")


def lead_kept(x: Facts, y: Facts) -> float:
    """Share of the facts of x's opening sentence (its content words and figures) found in y."""
    n = sum(_present(w, y.words) for w in x.lead_names)
    figs, found = found_share(x.lead_figures, y.figures)
    return (n + found) / (len(x.lead_names) + figs) if x.lead_names or figs else 1.0


def figure_key(f: Facts, count: int = 4) -> int | None:
    """A candidate key for re-typed tables: the first `count` table figures rounded to two
    significant digits (12.2 mln and 12,231,000 give one key). None for a text without a table."""
    values = [x.value for _, fs in f.table for x in fs if x.value][:count]
    if len(values) < count:
        return None
    rounded = tuple(float(f"{v:.2g}") for v in values)
    return hash(rounded) & 0x7FFFFFFFFFFFFFFF


def title_key(f: Facts) -> int | None:
    """A candidate key from the title's words (figures masked): same-titled rewrites of one day."""
    return hash(f.title_template) & 0x7FFFFFFFFFFFFFFF if f.title_template else None


def cosine(u: Iterable[float], v: Iterable[float]) -> float:
    u, v = list(u), list(v)
    nu, nv = math.sqrt(sum(x * x for x in u)), math.sqrt(sum(x * x for x in v))
    return sum(x * y for x, y in zip(u, v)) / (nu * nv) if nu and nv else 0.0
