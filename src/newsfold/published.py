"""When an article was published, as ISO 8601 (UTC), from what its capture states; never invented.

Sources, most trusted first: the row's own date (JSONL/Parquet ``date``, any common format), the
page's metadata (htmldate on the HTML, meta tags and ``<time>`` only, no guessing from the text),
a date stamp near the top of the text ("Updated 14:32 GMT, 3 March 2026", "By Jane Doe | 1 June
2025"), then the wire dateline ("SALVADOR, Feb 26 -", "LONDON, March 3 (Reuters) -"). A dateline
carries no year: it is completed from the capture's other dates (the year that puts it nearest to
one of them) and left month-day only (``--02-26``, ISO 8601's form for a date without a year)
when the capture has none.

When it was captured (`captured_of`): the container's own capture time (a WARC record's WARC-Date,
a row's capture-time field), else the ingest time, which the store fills in.

Pure functions of plain values: the stdlib and numpy, htmldate imported by `html_date` alone, and
for an ingest's chunks `opening_tops`, which runs `_top`'s steps compiled (published_scan.py).

>>> published_of("26-FEB-1987 15:01:01.79", None, "SALVADOR, Feb 26 - Showers continued", []).value
'1987-02-26T15:01:01Z'
>>> p = published_of(None, None, "SALVADOR, Feb 26 - Showers continued", ["1987-03-02"])
>>> p.value, p.source
('1987-02-26', 'dateline')
>>> published_of(None, None, "SALVADOR, Feb 26 - Showers continued", []).month_day
'--02-26'
"""
from __future__ import annotations

import datetime as dt
import email.utils
import re
from collections.abc import Iterable
from typing import NamedTuple

import numpy as np

from .ascii_texts import AsciiTexts, ascii_texts

MONTHS = {m: i for i, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")], 1) for m in names}
_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
# hours from UTC of the zone names that news pages print
ZONES = {"utc": 0, "gmt": 0, "z": 0, "bst": 1, "cet": 1, "cest": 2, "eet": 2, "eest": 3, "est": -5, "edt": -4,
         "cst": -6, "cdt": -5, "mst": -7, "mdt": -6, "pst": -8, "pdt": -7, "jst": 9, "hkt": 8, "ist": 5.5,
         "aest": 10, "aedt": 11}
_WEEKDAY = r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+"
_TIME = r"(?P<h>\d{1,2})[:.](?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.\d+)?)?\s*(?P<ampm>[ap]\.?m\.?)?\s*(?P<zone>[a-z]{1,4}\b|[+-]\d{2}:?\d{2})?"
_DMY = rf"(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<mon>{_MONTH})\.?,?\s+(?P<y>\d{{4}})"
_MDY = rf"(?P<mon>{_MONTH})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})"
_TEXT_FORMS = [re.compile(p, re.I) for p in (
    rf"^(?:{_WEEKDAY})?{_DMY}(?:,?\s+(?:at\s+)?{_TIME})?$",
    rf"^(?:{_WEEKDAY})?{_MDY}(?:,?\s+(?:at\s+)?{_TIME})?$",
    rf"^{_TIME},?\s+(?:{_WEEKDAY})?{_DMY}$",
    rf"^{_TIME},?\s+(?:{_WEEKDAY})?{_MDY}$",
    rf"^(?P<d>\d{{1,2}})-(?P<mon>{_MONTH})-(?P<y>\d{{4}})(?:\s+{_TIME})?$",  # SGML wire: 26-FEB-1987 15:01:01.79
)]
_NUMERIC = re.compile(r"^(?P<a>\d{1,4})[/.](?P<b>\d{1,2})[/.](?P<c>\d{1,4})$")


class Published(NamedTuple):
    value: str | None  # ISO 8601: "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ"; None when nothing states a full date
    source: str | None  # "row", "html", "stamp", "dateline"
    evidence: str  # what it was read from, for the merge evidence
    month_day: str | None = None  # "--MM-DD" of a dateline whose year could not be completed


class Dateline(NamedTuple):
    place: str
    month: int
    day: int
    year: int | None
    end: int  # where the dateline ends in the text


def _iso(when: dt.datetime | dt.date) -> str:
    if isinstance(when, dt.datetime):
        if when.tzinfo is not None:
            when = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return when.replace(microsecond=0).isoformat() + "Z"
    return when.isoformat()


def _zone(name: str | None) -> dt.timezone | None:
    if not name:
        return None
    name = name.lower()
    if name in ZONES:
        return dt.timezone(dt.timedelta(hours=ZONES[name]))
    m = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", name)
    if m:
        sign = 1 if m.group(1) == "+" else -1
        return dt.timezone(sign * dt.timedelta(hours=int(m.group(2)), minutes=int(m.group(3))))
    return None


def _from_match(m: re.Match) -> dt.datetime | dt.date | None:
    g = m.groupdict()
    try:
        day = dt.date(int(g["y"]), MONTHS[g["mon"].lower().rstrip(".")], int(g["d"]))
    except (ValueError, KeyError):
        return None
    if g.get("h") is None:
        return day
    hour = int(g["h"]) % 12 + (12 if (g.get("ampm") or "").lower().startswith("p") else 0) if g.get("ampm") else int(g["h"])
    if hour > 23 or int(g["mi"]) > 59:
        return day
    when = dt.datetime.combine(day, dt.time(hour, int(g["mi"]), int(g.get("s") or 0)))
    zone = _zone(g.get("zone"))
    if g.get("zone") and zone is None:  # a word after the time that is no zone we know: keep the time as stated
        zone = None
    return when.replace(tzinfo=zone) if zone else when


def parse_date(value: object) -> str | None:
    """Any common way of writing a date (or a datetime, a Unix time) as ISO 8601 UTC; None if it
    is not one, or is ambiguous (03/04/2026). A time without a zone is taken as UTC.

    >>> [parse_date(s) for s in ("1987-02-26T15:01:01", "26-FEB-1987 15:01:01.79", "Tue, 03 Mar 2026 14:32:00 GMT")]
    ['1987-02-26T15:01:01Z', '1987-02-26T15:01:01Z', '2026-03-03T14:32:00Z']
    >>> [parse_date(s) for s in ("3 March 2026", "March 3, 2026", "14:32 GMT, 3 March 2026", "03/04/2026", "26/02/1987")]
    ['2026-03-03', '2026-03-03', '2026-03-03T14:32:00Z', None, '1987-02-26']
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (dt.datetime, dt.date)):
        return _iso(value)
    if isinstance(value, (int, float)):
        seconds = value / 1000 if value > 1e11 else value  # milliseconds past 5138 AD are not seconds
        try:
            return _iso(dt.datetime.fromtimestamp(seconds, dt.timezone.utc))
        except (OverflowError, OSError, ValueError):
            return None
    text = " ".join(str(value).split()).strip()
    if not text or len(text) > 80:
        return None
    iso = text.replace("z", "Z")
    if re.match(r"^\d{4}-\d{2}-\d{2}", iso):
        try:
            when = dt.datetime.fromisoformat(iso)
        except ValueError:
            return None
        return _iso(when.date() if len(iso) == 10 else when)
    if re.fullmatch(r"\d{9,13}", text):
        return parse_date(int(text))
    for form in _TEXT_FORMS:
        m = form.match(text)
        if m:
            when = _from_match(m)
            return _iso(when) if when else None
    m = _NUMERIC.match(text)
    if m:
        a, b, c = (int(m.group(k)) for k in "abc")
        if a > 31:  # 2026/03/04: year first, then month and day
            y, mo, d = a, b, c
        elif c > 31:  # day and month in some order
            y = c
            if a > 12 >= b:
                d, mo = a, b
            elif b > 12 >= a:
                mo, d = a, b
            elif a == b:
                mo = d = a
            else:
                return None  # 03/04/2026: April or March, nothing says which
        else:
            return None
        try:
            return dt.date(y, mo, d).isoformat()
        except ValueError:
            return None
    try:
        return _iso(email.utils.parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        return None


_DATELINE = re.compile(
    rf"^\s*(?P<place>[A-Za-z][\w .,'()&/-]{{0,60}}?)[,.]\s*(?:(?P<mon>{_MONTH})\.?\s*(?P<d>\d{{1,2}})\b"
    rf"|(?P<d2>\d{{1,2}})\s+(?P<mon2>{_MONTH})\b\.?)"
    rf"(?:,?\s*(?P<y>(?:19|20)\d{{2}}))?(?:,?\s*\(?Reuters?\)?)?,?\s*(?:-{{1,2}}|\u2013|\u2014)", re.I)


def dateline(text: str) -> Dateline | None:
    """The wire dateline that opens a text: place, month, day (and year, rarely given).

    >>> dateline("SALVADOR, Feb 26 - Showers continued")
    Dateline(place='SALVADOR', month=2, day=26, year=None, end=18)
    >>> dateline("TAUPO, New Zealand, March 23 (Reuters) - A meeting").place
    'TAUPO, New Zealand'
    >>> dateline("The meeting on March 23 - a Monday - was long") is None
    True
    """
    m = _DATELINE.match(text[:160])
    if not m:
        return None
    place = m.group("place").strip()
    if not place[0].isupper() and not place.islower():
        return None
    # a place is a few words (some wires type whole stories in lower case: "Mexico city, april 1 -")
    if len(place.replace(",", " ").split()) > 6:
        return None
    month = MONTHS[(m.group("mon") or m.group("mon2"))[:3].lower()]  # "Sepember" too: the regex takes it
    day = int(m.group("d") or m.group("d2"))
    if not 1 <= day <= 31:
        return None
    return Dateline(place, month, day, int(m.group("y")) if m.group("y") else None, m.end())


# a stamp's word (or a byline's '|'), at most 80 characters into its line, then its date
_STAMP_WORD = re.compile(r"updated|published|posted|\|", re.I)
_STAMP_DATE = re.compile(
    r"\s*:?\s*(?:on\s+)?"
    rf"(?P<date>(?:{_WEEKDAY})?(?:\d{{1,2}}[:.]\d{{2}}\s*[a-z]{{0,4}},?\s+)?(?:{_WEEKDAY})?"
    rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}\.?,?\s+\d{{4}}|{_MONTH}\.?\s+\d{{1,2}},?\s+\d{{4}})"
    r"(?:,?\s+(?:at\s+)?\d{1,2}[:.]\d{2}(?:\s*[ap]\.?m\.?)?(?:\s*[a-z]{2,4}\b)?)?)", re.I)
_STAMP_LEAD = 80


def stamp_date(text: str, window: int = 600) -> tuple[str, str] | None:
    """(ISO date, the stamp as written) of a date stamp near the top of a text: "Updated 14:32
    GMT, 3 March 2026", "Published: 3 March 2026", "By Jane Doe | 1 June 2025".

    >>> stamp_date("Headline\\nBy Jane Doe | 1 June 2025\\nBody")
    ('2025-06-01', '1 June 2025')
    >>> stamp_date("Updated 14:32 GMT, 3 March 2026\\nText")[0]
    '2026-03-03T14:32:00Z'
    """
    head = text[:window]
    if "|" not in head:
        lowered = head.lower()
        if "updated" not in lowered and "published" not in lowered and "posted" not in lowered:
            return None  # none of the words a stamp line holds
    # each stamp word where a line may hold one, its date matched right after it (one regex over
    # the whole top, free to start anywhere in a line, backtracks far on a stamp-less text)
    for word in _STAMP_WORD.finditer(head):
        if word.start() - (head.rfind("\n", 0, word.start()) + 1) > _STAMP_LEAD:
            continue
        m = _STAMP_DATE.match(head, word.end())
        if m:
            written = m.group("date").strip().rstrip(",")
            value = parse_date(written)
            if value:
                return value, written
    return None


def complete_year(month: int, day: int, capture_dates: Iterable[str]) -> tuple[int, str] | None:
    """(year, the date it came from): the year that puts month-day nearest to one of the capture's
    other dates (ISO strings). None when the capture has no dates: a year is never invented.

    >>> complete_year(12, 30, ["1988-01-02T09:00:00"])
    (1987, '1988-01-02T09:00:00')
    >>> complete_year(2, 26, []) is None
    True
    """
    best: tuple[int, int, str] | None = None
    for ref in capture_dates:
        iso = parse_date(ref)
        if not iso:
            continue
        ref_day = dt.date.fromisoformat(iso[:10])
        for year in (ref_day.year - 1, ref_day.year, ref_day.year + 1):
            try:
                gap = abs((dt.date(year, month, day) - ref_day).days)
            except ValueError:  # Feb 29 of a common year
                continue
            if best is None or gap < best[0]:
                best = (gap, year, ref)
    return (best[1], best[2]) if best else None


def html_date(html: str) -> str | None:
    """The publication date a page's metadata states (meta tags, JSON-LD, ``<time>``), read by
    htmldate without its guesses from free text; ISO 8601 or None."""
    if not html or "<" not in html:
        return None
    import htmldate  # only pages need it

    try:
        found = htmldate.find_date(html, extensive_search=False, original_date=True, outputformat="%Y-%m-%dT%H:%M:%S")
    except Exception:  # htmldate on a broken page: no date rather than no article
        return None
    return parse_date(found) if found else None


def opening_dateline(text: str) -> tuple[Dateline, str] | None:
    """The dateline that opens one of a text's first paragraphs (a caption or a stamp line may
    come before the body: a paragraph of prose without one ends the search), with the dateline
    as written."""
    return _top(text or "")[1]


DATELINE_PARAGRAPHS = 3  # a dateline opens one of the first paragraphs ...
PROSE_CHARS = 200  # ... before the first this long: the body, not a caption or a stamp line above it
STAMP_WINDOW = 600  # a date stamp lies in the top of a text
# a dateline names its month within its first 80 characters (a place of up to 60, then the date)
_MONTH_HINT = re.compile("jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec")


def _top(text: str) -> tuple[bool, tuple[Dateline, str] | None]:
    """(whether the top of a text may hold a date stamp: a '|' or one of a stamp's words; the
    opening dateline, as `opening_dateline` gives it)."""
    window = text[:STAMP_WINDOW]
    stamp = "|" in window
    if not stamp:
        lowered = window.lower()
        stamp = "updated" in lowered or "published" in lowered or "posted" in lowered
    start = seen = 0
    size = len(text)
    while seen < DATELINE_PARAGRAPHS and start < size:
        end = text.find("\n", start)
        if end < 0:
            end = size
        if end == start:  # an empty line (paragraphs are parted by them): nothing to copy
            start += 1
            continue
        head = text[start:end] if end - start <= 160 else text[start:start + 160]
        length, start = end - start, end + 1
        if head.isspace():
            continue
        seen += 1
        if ("-" in head or "\u2013" in head or "\u2014" in head) and _MONTH_HINT.search(head[:80].lower()):
            line = dateline(head)
            if line:
                return stamp, (line, head[: line.end].strip())
        if length >= PROSE_CHARS:
            break  # the body began without one
    return stamp, None


def opening_tops(texts: list[str], chunk: AsciiTexts | None = None) -> list[tuple[bool, tuple[Dateline, str] | None]]:
    """`_top` of each text: the tops that are ASCII scanned at once by a compiled loop
    (published_scan.py: the same steps, the dateline regex included), the others by `_top`.
    `chunk`: the texts' `ascii_texts`, when the caller built it already."""
    from . import published_scan as scan  # numba: loaded where an ingest dates articles, not by every import

    chunk = chunk if chunk is not None else ascii_texts(texts)
    limits = (STAMP_WINDOW, DATELINE_PARAGRAPHS, PROSE_CHARS, 160, 80)
    lengths = chunk.ends - chunk.starts
    found = scan.scan_tops(chunk.data, chunk.starts, np.minimum(chunk.ends, chunk.starts + scan.TOP_CHARS),
                           lengths <= scan.TOP_CHARS, *limits).tolist()
    # a text with other characters further on may still open with an ASCII top
    others = [i for i, ascii in enumerate(chunk.ascii.tolist()) if not ascii]
    if others:
        tops = ascii_texts([texts[i][: scan.TOP_CHARS] for i in others])
        whole = np.array([len(texts[i]) <= scan.TOP_CHARS for i in others], np.bool_)
        for i, ascii, row in zip(others, tops.ascii.tolist(),
                                 scan.scan_tops(tops.data, tops.starts, tops.ends, whole, *limits).tolist()):
            found[i] = row if ascii else None
    out = []
    for text, row in zip(texts, found):
        if row is None or not row[0]:  # not settled: the lines it needs run past the top
            out.append(_top(text))
            continue
        _, stamp, dated, line, end, place, place_end, month, day, year = row
        if dated:
            out.append((stamp == 1, (Dateline(text[place:place_end], month, day, year or None, end - line),
                                     text[line:end].strip())))
        else:
            out.append((stamp == 1, None))
    return out


_NO_DATE = Published(None, None, "no date stated")


def published_of(row_date: object, html_meta_date: object, text: str, capture_dates: Iterable[str] = (),
                 header: str = "", top: tuple[bool, tuple[Dateline, str] | None] | None = None) -> Published:
    """An article's publication date from the most trusted source that states one (module doc).
    `header`: the capture's lines around the headline (byline, date stamp), which extraction
    keeps out of the body; the body's own top is searched for a stamp too. `top`: the text's
    `_top`, when `opening_tops` found it already."""
    value = parse_date(row_date)
    if value:
        return Published(value, "row", f"row date {row_date}")
    value = parse_date(html_meta_date)
    if value:
        return Published(value, "html", f"page metadata {html_meta_date}")
    text = text or ""
    may_stamp, found = top if top is not None else _top(text)
    stamp = stamp_date(header) if header else None
    stamp = stamp or (stamp_date(text) if may_stamp else None)
    if stamp:
        return Published(stamp[0], "stamp", f"date stamp '{stamp[1]}'")
    if found is None:
        return _NO_DATE
    line, written = found
    month_day = f"--{line.month:02d}-{line.day:02d}"
    if line.year:
        try:
            return Published(dt.date(line.year, line.month, line.day).isoformat(), "dateline", f"dateline '{written}'")
        except ValueError:
            return Published(None, None, "dateline with an impossible date")
    done = complete_year(line.month, line.day, capture_dates) if capture_dates else None
    if done is None:
        return Published(None, None, f"dateline '{written}' has no year and the capture no other date", month_day)
    try:
        value = dt.date(done[0], line.month, line.day).isoformat()
    except ValueError:
        return Published(None, None, "dateline with an impossible date", month_day)
    return Published(value, "dateline", f"dateline '{written}', year from capture date {done[1]}")


def captured_of(stated: object) -> str | None:
    """When a capture was made, as its container states it (a WARC-Date, a row's capture-time
    field), ISO 8601 UTC; None when it states none (the store then records the ingest time)."""
    return parse_date(stated)


# A time as one sortable int64: seconds since 1970 × 2, plus 1 when a time of day is stated (a date
# alone sorts before the times of its day). UNKNOWN: no time, or a date without a year.
UNKNOWN = -(1 << 63)


def time_code(iso: str | None) -> int:
    """An ISO 8601 time as a time code (above); `time_iso` gives it back.

    >>> time_iso(time_code("1987-02-26")), time_iso(time_code("1987-02-26T15:01:01Z"))
    ('1987-02-26', '1987-02-26T15:01:01Z')
    """
    if not iso or iso.startswith("--"):
        return UNKNOWN
    if "T" in iso:
        when = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
        return 2 * int(when.timestamp()) + 1
    return 2 * int(dt.datetime.fromisoformat(iso).replace(tzinfo=dt.timezone.utc).timestamp())


def time_iso(code: int) -> str | None:
    if code == UNKNOWN or code == -UNKNOWN - 1:
        return None
    when = dt.datetime.fromtimestamp(code >> 1, dt.timezone.utc)
    return _iso(when) if code & 1 else when.date().isoformat()


def iso_of_epoch(seconds: float) -> str:
    """An ingest time (seconds since 1970) as ISO 8601 UTC."""
    return _iso(dt.datetime.fromtimestamp(int(seconds), dt.timezone.utc))
