"""A page dump's lines → blocks: the paragraphs, list items and single lines a reader sees.

Text renderers leave their own marks on a page: list bullets (`•`, `*`, `+`, `□`), indentation
(lynx indents body text, inscriptis keeps the markup's nesting), and hard wrapping at a fixed
width (w3m and lynx wrap at 80 columns, so a paragraph becomes several lines). A block is one
paragraph again: the lines a fixed-width renderer wrapped are joined, a bullet starts a new
block, and the marks are kept apart from the text.
"""
from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

# a renderer's list marker: a bullet glyph, or an ordinal ("1.", "2)") before a list item
_BULLET = re.compile(r"^(?:[*•+\-·◦▪▫■□○●◆◇►▸»‣⁃☆★]|\d{1,3}[.)])\s+(?=\S)")
_WIDE = ("W", "F")
WRAP_STRETCH = 120  # lines: the stretch of a capture whose wrap width is measured on its own


class Block(NamedTuple):
    text: str  # the block's text, lines joined, white space folded, no list marker
    gap: int  # blank lines before it (the start of the capture counts as many)
    indent: int  # leading spaces of its first line
    bullet: bool  # opened by a list marker
    lines: int  # lines of the capture it spans
    wrapped: bool  # a line of it was joined to the next because the renderer wrapped it


def display_width(s: str) -> int:
    """Columns a fixed-width renderer gives `s`: East Asian wide characters take two."""
    if s.isascii():
        return len(s)
    return sum(2 if unicodedata.east_asian_width(c) in _WIDE else 1 for c in s)


def _is_wide(c: str) -> bool:
    return not c.isascii() and unicodedata.east_asian_width(c) in _WIDE


def wrap_width(raw_lines: list[str]) -> int | None:
    """The width a renderer hard-wrapped the text at, or None when it did not. Measured on the
    lines of words that go on in a next line of the same indentation (a wrapped paragraph's
    lines but its last): when a renderer wrapped them, most end within a few columns under one
    width, and few lines of words anywhere are wider."""
    widths: list[int] = []
    everywhere: list[int] = []
    for line, after in zip(raw_lines, raw_lines[1:] + [""]):
        words = line.strip().count(" ") >= 4 or _has_wide(line)
        if not words:
            continue
        w = display_width(line.rstrip())
        everywhere.append(w)
        rest = after.lstrip()
        if rest and len(after) - len(rest) == len(line) - len(line.lstrip()) and not _BULLET.match(rest):
            widths.append(w)
    if len(widths) < 5:
        return None
    widths.sort()
    top = widths[(len(widths) * 95) // 100]
    if not 40 <= top <= 160:
        return None
    near = sum(1 for w in widths if top - 12 <= w <= top)
    wider = sum(1 for w in everywhere if w > top + 5)
    return top if near >= 0.35 * len(widths) and wider <= 0.1 * len(everywhere) else None


def _has_wide(s: str) -> bool:
    return not s.isascii() and any(_is_wide(c) for c in s)


def _first_word(s: str) -> str:
    return s.split(" ", 1)[0]


def _continues(prev_raw: str, prev_indent: int, cur: str, cur_indent: int, width: int) -> bool:
    """Was `cur` put on a line of its own only because `prev_raw` (as printed, indent included)
    had no room left for its first word? Then the two lines are one paragraph."""
    if _BULLET.match(cur):
        return False
    if cur_indent != prev_indent:  # a heading out-dented, a nested block: not the paragraph's next line
        return False
    used = display_width(prev_raw.rstrip())
    if _is_wide(cur[0]):  # wide characters wrap anywhere: one character did not fit
        return used + 2 > width - 2
    needed = used + 1 + display_width(_first_word(cur))
    if needed > width - 1:
        return True
    # lynx measures some lines in bytes, so a line with non-ASCII letters wraps short of the width:
    # close to it, a line that stops mid-sentence or is followed by lower case goes on
    return needed > width - 8 and (cur[0].islower() or not prev_raw.rstrip().endswith((".", "!", "?", ":")))


def _join(a: str, b: str) -> str:
    if a and b and _is_wide(a[-1]) and _is_wide(b[0]):
        return a + b
    return f"{a} {b}"


def wrap_widths(raw_lines: list[str]) -> list[int | None]:
    """The wrap width of each line: that of the stretch of WRAP_STRETCH lines around it where the
    stretch shows one of its own (several pages in one file, wrapped at other widths or some not at
    all), else the capture's."""
    width = wrap_width(raw_lines)
    if len(raw_lines) <= WRAP_STRETCH:
        return [width] * len(raw_lines)
    out: list[int | None] = []
    for lo in range(0, len(raw_lines), WRAP_STRETCH):
        part = raw_lines[lo:lo + WRAP_STRETCH]
        out += [wrap_width(part) or width] * len(part)
    return out


def to_blocks(text: str) -> list[Block]:
    """The blocks of a capture's text (already repaired: line ends are `\\n`, no tabs)."""
    raw_lines = text.split("\n")
    widths = wrap_widths(raw_lines)
    out: list[Block] = []
    gap = 99
    prev_raw = ""
    prev_indent = 0
    for raw, width in zip(raw_lines, widths):
        stripped = raw.strip()
        if not stripped:
            gap += 1
            prev_raw = ""
            continue
        indent = len(raw) - len(raw.lstrip())
        if "  " in stripped or not stripped.isprintable():
            stripped = " ".join(stripped.split())
        if width and gap == 0 and out and prev_raw and _continues(prev_raw, prev_indent, stripped, indent, width):
            last = out[-1]
            out[-1] = last._replace(text=_join(last.text, stripped), lines=last.lines + 1, wrapped=True)
            prev_raw, prev_indent = raw, indent
            continue
        m = _BULLET.match(stripped)
        body = stripped[m.end():] if m else stripped
        out.append(Block(body, gap, indent, m is not None, 1, False))
        gap = 0
        prev_raw, prev_indent = raw, indent + (m.end() if m else 0)
    return out
