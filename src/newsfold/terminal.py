"""What reaches a terminal. Scraped text is untrusted: control and bidi-override characters
(escape sequences, text that reorders the line) are removed, and each item stays on one line."""
from __future__ import annotations

import re
import sys

from .model import Problem

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def safe(text: object, width: int | None = None) -> str:
    """Text fit for a terminal: no control or bidi-override characters, one line, optionally cut."""
    s = _CONTROL.sub("", " ".join(str(text).split()))
    return s if width is None or len(s) <= width else s[: width - 1] + "…"


def print_problem(p: Problem) -> None:
    """One problem as one line on stderr (file names and record ids are untrusted too)."""
    from tqdm import tqdm  # writes around a progress bar, if one is drawn

    tqdm.write(f"newsfold: {safe(str(p))}", file=sys.stderr)
