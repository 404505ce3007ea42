"""What reaches a terminal. Scraped text is untrusted: control characters (C0 and C1: escape
sequences) and bidirectional overrides and isolates (text that reorders the line) are removed
from what is shown, and each item stays on one line. JSON lines bound for a terminal keep the
data and escape those characters (\\u009b) instead; files and pipes get the data as it is."""
from __future__ import annotations

import csv
import datetime as dt
import re
import sys

from .model import Problem, shown_name

_CONTROL_CHARS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(f"[{_CONTROL_CHARS}]")
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")  # json.dumps escapes C0


def safe(text: object, width: int | None = None) -> str:
    """Text fit for a terminal: no control or bidi-override characters, one line, optionally cut;
    a name that is not valid text (bytes of a file name that are not UTF-8) shown escaped."""
    s = _CONTROL.sub("", " ".join(shown_name(str(text)).split()))
    return s if width is None or len(s) <= width else s[: width - 1] + "…"


def json_for_terminal(line: str) -> str:
    """A JSON text (from json.dumps, ensure_ascii=False) with the characters a terminal would act
    on escaped: it reads back as the same data."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", line)


def is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def print_problem(p: Problem) -> None:
    """One problem as one line on stderr (file names and record ids are untrusted too)."""
    from tqdm import tqdm  # writes around a progress bar, if one is drawn

    tqdm.write(f"newsfold: {safe(str(p))}", file=sys.stderr)


def shown_time(ts: float | None) -> str:
    """A Unix time as a table shows it, in local time: '2026-12-07 21:03', or '-'."""
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M") if ts else "-"


def shown_day(iso: str | None) -> str:
    """An ISO 8601 time as a table shows it: '1987-02-26 15:01', '1987-02-26', '--02-26', or '-'."""
    return iso.replace("T", " ")[:16] if iso else "-"


def story_time(s: dict, end: str) -> str:
    """A story's first or last time: its publication time, else its capture time (marked 'c')."""
    published = s[f"{end}_published"]
    return f"{shown_day(published):<16} " if published else f"{shown_day(s[f'{end}_captured']):<16}c"


def echo_csv(rows: list[dict], fields: list[str]) -> None:
    """Rows as CSV on standard output (their text made safe on a terminal)."""
    terminal = is_terminal(sys.stdout)
    writer = csv.DictWriter(sys.stdout, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: safe(v) if terminal and isinstance(v, str) else v for k, v in row.items()})
