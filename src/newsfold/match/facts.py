"""What the story rules read of one article: its `Traits` (cheap, made for every article where it is
extracted, stored with it) and its `Facts` (costly: figures, names, the opening sentence; made
only for the articles of the edges a rule may decide, from the stored text).

The traits are what a verified edge's prechecks read besides the two headlines (match/judge.py):
how many dateline-led items and lines a body has when it may be a digest (three dashes after a
word or more), and for an article whose publication date is known, its table rows and the
candidate keys that meet re-typed tables and re-titled rewrites. Most articles' traits are empty.

Stdlib only, pure functions.
"""
from __future__ import annotations

import re
from typing import NamedTuple

import xxhash

from .figures import MONTHS, Figure, figures, opening

GENERIC_NAMES = frozenset("the a an co corp corporation inc incorporated ltd limited plc ag sa nv spa bv kk gmbh "
                          "group holdings holding company companies international national unit units division "
                          "subsidiary subsidiaries u.s us uk u.k american british federal state new first general "
                          "mr mrs ms dr president chairman minister secretary officials official sources source "
                          "department ministry government bank banks "
                          # the labels of a results table, which its headline repeats
                          "net shr shrs revs sales qtr oper year mths loss profit div avg note".split()) | frozenset(MONTHS)
_LEAD_STOP = frozenset("said says that this with from have will would which their there been were about after "
                       "also into than they them its over under other some more most when what where could should "
                       "told today yesterday tomorrow company".split())
_CORRECTION = re.compile(r"\bcorrect(?:s|ed|ing|ion)\b|\brpt\b|\brepeat(?:s|ed)?\b", re.I)
_RELATIVE = {"today": 0, "tonight": 0, "yesterday": -1, "tomorrow": 1, "todays": 0}
_ITEM = re.compile(r"^[A-Z][A-Z .'-]{1,30}(?:, [A-Z][A-Za-z .'-]{1,20})? (?:-|--|\u2013) \S")
# a line that may be a digest item (_ITEM after the line's leading blanks): the text's first line,
# and the others found from their line end (one fast scan for the few lines worth the prose check)
_ITEM_HEAD = r"[^\S\n]*([A-Z][A-Z .'-]{1,30}(?:, [A-Z][A-Za-z .'-]{1,20})? (?:-|--|\u2013) \S[^\n]*)"
_ITEM_FIRST = re.compile(_ITEM_HEAD)
_ITEM_LINE = re.compile("\n" + _ITEM_HEAD)
_LINE = re.compile(r"\S[^\n]*")  # a line with something on it
_TICKER = re.compile(r"<([A-Z][A-Z0-9]{0,6})(?:[. ][A-Z]{1,3})?>")
_WORDS = re.compile(r"[a-z0-9]+")
_TABLE_ROW = re.compile(r"^\s*([A-Za-z][A-Za-z .'/-]{0,30}?)\s+[-$£(]?\d")
_DATELINE = re.compile(r"^\s*[^\n]{0,80}?[,.]\s*(?:[A-Za-z]{3,9}\.?\s*\d{1,2}|\d{1,2}\s+[A-Za-z]{3,9})\b[^-\n]{0,20}-+\s*")
_SENTENCE_END = re.compile(r"(?<=[a-z0-9)])[.;]\s|\n")
_SUBJECT_TOKEN = re.compile(r"<[^>]*>|[\w'&.-]+")
_CAPITALISED = re.compile(r"(^|[.!?:\n]\s*|\s)([A-Z][\w'.-]*)")
_CAPITAL_WORD = re.compile(r"\b[A-Z][a-z]+\b|\b[A-Z]{2,}\b")
_TEMPLATE_FIGURE = re.compile(r"\d[\d,.-/]*(\s?(mln|bln|billion|million|pct|cts|dlrs?))?")
_DATELINE_DAY = re.compile(r"^\s*[^\n,]{1,60}(?:,[^\n,]{1,30})?[,.]\s*(?P<mon>[A-Za-z]{3,9})\.?\s*(?P<d>\d{1,2})\b")
_MONTH3 = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_SESSION = {"early": 1, "opening": 1, "opens": 1, "morning": 1, "midday": 2, "midsession": 2, "mid-session": 2,
            "noon": 2, "afternoon": 3, "close": 4, "closes": 4, "closed": 4, "closing": 4, "final": 4}
DIGEST_ITEMS = 3  # dateline-led items that make a text a digest
TABLE_KEY_FIGURES = 4  # table figures a figure key is made of


class Traits(NamedTuple):
    """What a verified edge's prechecks read of an article, besides its headline; made where it is
    extracted. -1: not counted (too few dashes for a digest; no publication date for tables)."""

    items: int = -1  # dateline-led prose items ("BERNE - Swiss consumer prices rose ..."); -1: fewer than DIGEST_ITEMS
    lines: int = -1  # non-empty lines of the body, where items are counted
    tables: int = -1  # table rows ("Net 12 vs 10") of a dated article
    keys: tuple[int, ...] = ()  # candidate keys (title, figures) of a dated article

    def encode(self) -> str:
        """One line for the store ('' for most articles: nothing counted)."""
        if self is _NOTHING or self == _NOTHING:
            return ""
        return f"{self.items} {self.lines} {self.tables}|{' '.join(map(str, self.keys))}"

    @classmethod
    def decode(cls, line: str | None) -> Traits:
        if not line:
            return _NOTHING
        counts, keys = line.split("|")
        items, lines, tables = map(int, counts.split())
        return cls(items, lines, tables, tuple(map(int, keys.split())))

    @property
    def digest(self) -> bool:
        """A text made of dateline-led items: at least DIGEST_ITEMS of them, and most of its lines."""
        return self.items >= DIGEST_ITEMS and self.items >= 0.5 * self.lines


_NOTHING = Traits()


class Facts(NamedTuple):
    """What the rules need of one article (`facts`): made for the articles of edges a rule may decide."""

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
    table_lines: int = 0  # non-empty lines of the body up to its last table row (a results notice's notes follow it)
    head_names: tuple[str, ...] = ()  # the headline's words of 3 letters or more, no figure, no generic word
    period: tuple[str, ...] = ()  # the reporting period a results headline names ("4th qtr", "year", "nine mths")


# ---------------------------------------------------------------------------------------- traits

def traits(title: str, text: str, published: str | None, item_lines: int = -1) -> Traits:
    """The traits of one article: its digest items only where lines enough are shaped like them, its
    table rows and keys only with a publication date (a µs or two for most articles). `item_lines`:
    how many lines `_ITEM_LINE` finds in the text, when an ingest counted them for its chunk
    (items_scan.py); -1: not counted.

    >>> traits("ACME TO BUY BETA UNIT", "NEW YORK, March 2 - Acme Corp said it will buy Beta.", None)
    Traits(items=-1, lines=-1, tables=-1, keys=())
    """
    items = lines = -1
    candidates = _ITEM_LINE.findall(text) if item_lines < 0 or item_lines >= DIGEST_ITEMS - 1 else []
    if len(candidates) >= DIGEST_ITEMS - 1:  # the first line may be one too
        first = _ITEM_FIRST.match(text)
        if first:
            candidates.append(first.group(1))
        if len(candidates) >= DIGEST_ITEMS:
            items = sum(is_item(line.rstrip()) for line in candidates)
            lines = len(_LINE.findall(text))
    if not published:
        return Traits(items, lines) if items >= 0 else _NOTHING
    tables, keys = -1, ()
    if published:
        rows = table_rows(text) if "vs" in text.lower() else ()
        tables = len(rows)
        template = title_template(title)
        keys = tuple(k for k in (title_key(template), figure_key(rows)) if k is not None) + name_keys(title)
    return Traits(items, lines, tables, keys)


def tickers(title: str) -> frozenset[str]:
    """The tickers a headline names (<IBM>), upper-case."""
    return frozenset(t.upper() for t in _TICKER.findall(title))


def head_words(title: str) -> tuple[str, ...]:
    """The headline's words that may name who or what it is about: every word but generic ones
    and figures (a superset of `Facts.title_names` and of the subject's headline words)."""
    return tuple(dict.fromkeys(w for w in _WORDS.findall(title.lower())
                               if len(w) > 1 and w not in GENERIC_NAMES and not w.isdigit()))


def is_item(paragraph: str) -> bool:
    """A digest item: "BERNE - Swiss consumer prices rose …", a place in capitals, a dash, then a
    sentence of prose (a table row that starts with a city in capitals is no item)."""
    if not _ITEM.match(paragraph):
        return False
    rest = paragraph.split("-", 1)[1]
    words = rest.split()
    return len(words) >= 12 and sum(w[0].islower() for w in words if w[0].isalpha()) >= len(words) / 2


def table_rows(text: str) -> tuple[tuple[str, tuple[Figure, ...]], ...]:
    """(label, figures) of a text's table rows: "Net 12.2 mln vs 9,148,000" → ('net', (…, …)). A
    results notice's first row follows its dateline on the dateline's line ("WESTPORT, Conn.,
    March 17 - Oper shr 24 cts vs 19 cts"): the rows are read after the dateline.

    >>> [label for label, _ in table_rows("WESTPORT, March 17 - Shr 24 cts vs 19 cts\\nNet 1,096,332 vs 794,711")]
    ['shr', 'net']
    """
    out = []
    for line in text[opening(text):].split("\n"):
        m = _TABLE_ROW.match(line)
        if m and " vs " in f" {line.lower()} ":
            out.append((m.group(1).strip().lower(), figures(line[m.end(1):])))
    return tuple(out)


def title_template(title: str) -> str:
    """The headline, lower-case, its figures replaced by '#': one template for a routine notice."""
    return _TEMPLATE_FIGURE.sub("#", title.lower()).strip()


def _key(*parts: str) -> int:
    return xxhash.xxh3_64_intdigest("\0".join(parts).encode("utf-8", "surrogatepass")) >> 1  # a positive int64


def title_key(template: str) -> int | None:
    """A candidate key from the headline with its figures masked: same-titled rewrites of one day."""
    return _key("title", template) if template else None


# the headline's first names that are candidate keys (with two, the separate items of one interview
# met the full story that holds them all, and it joined them)
NAME_KEYS = 1


def name_keys(title: str) -> tuple[int, ...]:
    """Candidate keys from the first NAME_KEYS names of the headline (`head_names`): two desks'
    versions of one announcement re-title it ("SOUTHMARK <SM> TO OFFER SPECIAL DIVIDEND" /
    "SOUTHMARK <SM> TO ISSUE AMERICAN REALTY RIGHTS") and reword it below the shingles' reach,
    but name its issuer or place first."""
    return tuple(_key("name", name) for name in head_names(title)[:NAME_KEYS])


def figure_key(rows) -> int | None:
    """A candidate key for re-typed tables: the first TABLE_KEY_FIGURES table figures rounded to two
    significant digits (12.2 mln and 12,231,000 give one key). None for a text without them."""
    values = [x.value for _, fs in rows for x in fs if x.value][:TABLE_KEY_FIGURES]
    if len(values) < TABLE_KEY_FIGURES:
        return None
    return _key("figures", *(f"{float(f'{v:.2g}')!r}" for v in values))


# ---------------------------------------------------------------------------------------- facts

def words(text: str) -> list[str]:
    return _WORDS.findall(text.lower())


def lead_sentence(text: str) -> str:
    body = _DATELINE.sub("", text, count=1)  # drop the dateline
    return _SENTENCE_END.split(body, maxsplit=1)[0]


def _subject(sentence: str, title: str) -> tuple[str, ...]:
    """The issuer a sentence opens with, as the distinctive words of its opening capitalised phrase
    that the headline names too: "Sankei Building Co Ltd is issuing …" under "SANKEI BUILDING
    ISSUES …" → ('sankei', 'building'). Empty when the headline names none of them (a sentence
    may open with any capitalised word; a notice's issuer is in its headline)."""
    in_title = set(words(title))
    out: list[str] = []
    for raw in _SUBJECT_TOKEN.findall(sentence)[:12]:
        if raw.startswith("<"):
            continue
        if not raw[0].isupper() and raw.lower() not in ("of", "and", "&", "de", "du", "van", "von", "la"):
            break
        for word in words(re.sub(r"'s$", "", raw)):
            if len(word) > 1 and word not in GENERIC_NAMES and not word.isdigit() and word not in ("of", "and"):
                out.append(word)
    return tuple(w for w in out[:4] if w in in_title)


def _names(text: str) -> list[str]:
    """Capitalised words of a text, lower-case, possessives and hyphenated tails cut ("Ecuador's"
    → "ecuador"); a sentence's first word only if the text capitalises it elsewhere too."""
    mid, first = [], []
    for m in _CAPITALISED.finditer(text):
        word = _WORDS.match(m.group(2).lower())  # a capital opens it: its first run of letters and digits
        if word is None or len(word.group()) < 2:
            continue
        (first if m.group(1).strip() or m.start() == 0 else mid).append(word.group())
    seen = set(mid)
    return mid + [w for w in first if w in seen]


def _opens_table(text: str) -> bool:
    """Does the body open with a table line ("Shr 26 cts vs 18 cts", "Qtr ends Jan 31"): a short
    first line (after the dateline) that holds a figure."""
    first = text[opening(text):].lstrip().split("\n", 1)[0]
    return len(first.split()) <= 12 and bool(figures(first))


def _title_names(title: str, text: str) -> tuple[str, ...]:
    """Headline words (3 letters or more, not generic) that the body writes with a capital
    anywhere (a headline word is a name if the body capitalises it)."""
    capitalised = {w.lower() for w in _CAPITAL_WORD.findall(text)}
    out = []
    for w in words(title):
        if len(w) >= 3 and not w.isdigit() and w not in GENERIC_NAMES and w in capitalised and w not in out:
            out.append(w)
    return tuple(out)


def dateline_day(text: str) -> str | None:
    m = _DATELINE_DAY.match(text)
    if not m:
        return None
    mon = m.group("mon").lower()[:3]
    return f"--{_MONTH3.index(mon) + 1:02d}-{int(m.group('d')):02d}" if mon in _MONTH3 else None


def session(title: str) -> int | None:
    """Which part of a trading day a market report's headline says it covers (early … close)."""
    for word in re.findall(r"[a-z-]+", title.lower()):
        if word in _SESSION:
            return _SESSION[word]
    return None


def facts(title: str, text: str, published: str | None = None) -> Facts:
    """The facts of one article: a few passes of regexes over its text (about a millisecond for a
    wire story: made only where a rule needs them)."""
    body_figures = figures(text)
    lead = lead_sentence(text)
    all_words = words(title + "\n" + text)
    names = set(_names(text)) - GENERIC_NAMES
    names |= {f"#{f.value:.6g}" for f in body_figures}
    rel = []
    tokens = re.findall(r"[a-z']+", lead.lower())
    for i, tok in enumerate(tokens):
        key = tok.replace("'s", "").replace("'", "")
        if key in _RELATIVE:
            rel.append((" ".join(tokens[max(0, i - 3):i]) + " " + tokens[i + 1] if i + 1 < len(tokens)
                        else " ".join(tokens[max(0, i - 3):i]), _RELATIVE[key]))
    table = table_rows(text)
    items = sum(is_item(p.strip()) for p in text.split("\n") if p.strip())
    subject = () if len(table) >= 2 or items >= DIGEST_ITEMS else _subject(lead, title)
    return Facts(published, title_template(title), figures(title), body_figures, subject,
                 frozenset(t.upper() for t in _TICKER.findall(title + " " + lead)), frozenset(all_words),
                 frozenset(names), bool(_CORRECTION.search(title) or _CORRECTION.search(text[-400:])),
                 tuple(rel), dateline_day(text), items, table, session(title), _title_names(title, text),
                 tuple(dict.fromkeys(w for w in words(lead) if len(w) > 3 and w not in _LEAD_STOP)),
                 figures(lead), _opens_table(text), sum(1 for line in text.split("\n") if line.strip()),
                 tickers(title), _table_lines(text), head_names(title), period(title))


def _table_lines(text: str) -> int:
    """Non-empty lines of a body up to its last table row (0 without one)."""
    lines = [line for line in text[opening(text):].split("\n") if line.strip()]
    last = max((k for k, line in enumerate(lines) if table_rows(line)), default=-1)
    return last + 1


_PERIOD = re.compile(r"\b(?:\d(?:st|nd|rd|th)|first|second|third|fourth|qtr|quarter|half|year|annual|"
                     r"six|nine|twelve|mths|months|weeks?)\b")


def period(title: str) -> tuple[str, ...]:
    """The words of a headline that name a reporting period, in order: "INTER-TEL INC 2ND QTR MAY 31
    OPER NET" → ('2nd', 'qtr'); empty for a headline that names none.

    >>> period("WILLCOX AND GIBBS INC <WG> 4TH QTR NET"), period("ACME SETS DIVIDEND")
    (('4th', 'qtr'), ())
    """
    return tuple(_PERIOD.findall(title.lower()))


def head_names(title: str) -> tuple[str, ...]:
    """The headline's words that may name its issuer: 3 letters or more, no digit, not generic
    ("PETER MILLER APPAREL GROUP 3RD QTR LOSS" → peter, miller, apparel)."""
    return tuple(w for w in head_words(title) if len(w) >= 3 and not any(c.isdigit() for c in w))
