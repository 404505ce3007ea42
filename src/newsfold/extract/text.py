"""Cut a plain-text capture into articles.

A capture with no title given beside it (a page dump, an infinite-scroll dump) is cut by
`page.page_articles`. A JSONL/Parquet/WARC row whose headline is given beside a bare body is one
article: its lines, less furniture, hard-wrapped lines joined; `_plain_titled` settles the
common case of such a row with the compiled line scan (`linescan.py`).
"""
from __future__ import annotations

import functools
import re
from itertools import repeat
from operator import eq
from typing import TYPE_CHECKING, NamedTuple

from ..model import Article
from . import lines as L
from .page import page_articles

if TYPE_CHECKING:
    from . import linescan



class Line(NamedTuple):  # a tuple: a capture has thousands of lines, and a dataclass cost 1 µs each
    text: str
    gap: int  # blank lines before this one (the start of the capture counts as many)


# white space other than a plain space or a line end: looked for one character at a time (each
# `in` is a memchr; a regex character class scanned the text 20 times slower)
_ODD_SPACES = ("\t", "\x0b", "\x0c", "\r", "\x1c", "\x1d", "\x1e", "\x1f", "\x85", "\xa0", "\u1680",
               *map(chr, range(0x2000, 0x200B)), "\u2028", "\u2029", "\u202f", "\u205f", "\u3000")  # str.isspace()
_ODD_ASCII_SPACES = tuple(c for c in _ODD_SPACES if c.isascii())
_ODD_SPACE = re.compile("[" + "".join(map(re.escape, _ODD_SPACES)) + "]+")
_new_line = tuple.__new__  # builds a Line without NamedTuple's Python-level __new__


def split_lines(text: str) -> list[Line]:
    """Non-blank lines, white space runs folded to one space (as `" ".join(line.split())`)."""
    if any(c in text for c in (_ODD_ASCII_SPACES if text.isascii() else _ODD_SPACES)):
        text = _ODD_SPACE.sub(" ", text)
    out: list[Line] = []
    gap = 99
    for raw in text.split("\n"):
        s = raw.strip(" ")
        if not s:
            gap += 1
            continue
        if "  " in s:
            s = " ".join(s.split())
        out.append(_new_line(Line, (s, gap)))
        gap = 0
    return out


def residue_mask(lines: list[Line], spaces: list[int] | None = None, screened: list[int] | None = None) -> list[bool]:
    """True for page furniture: widgets, share bars, menus, ads, footers and 'Related' link lists.
    `spaces`: each line's spaces, if counted; `screened`: which lines linescan found cannot be furniture."""
    texts = [x.text for x in lines]
    if spaces is None:
        spaces = [t.count(" ") for t in texts]
    if screened is None:
        mask = [L.is_furniture(t, n) for t, n in zip(texts, spaces)]
    else:
        mask = [False if out else L.is_furniture(t, n) for t, n, out in zip(texts, spaces, screened)]
    # a list header is short (is_list_header's own test); without one, nothing below applies
    first = next((i for i, n in enumerate(spaces) if n <= 6 and L.is_list_header(texts[i])), None)
    if first is None:
        return mask
    in_list = False
    for i in range(first, len(lines)):
        t = texts[i]
        if not in_list and spaces[i] > 6:
            continue
        if L.is_list_header(t):
            mask[i], in_list = True, True
            continue
        if in_list:
            short = not L.has_words(t, 21) and not L.is_prose(t)
            if lines[i].gap <= 1 and (L.is_bullet(t) or short or mask[i]):
                mask[i] = True
                continue
            in_list = False
    return mask


def _duplicated_nearby(lines: list[Line], j: int) -> bool:
    t = lines[j].text
    return any(lines[k].text == t for k in range(max(0, j - 3), min(len(lines), j + 4)) if k != j)


def build_article(lines: list[Line], residue: list[bool], repeats: set[int], start: int, end: int,
                  capture: str, position: int, meta: dict, titled: bool = True) -> Article | None:
    head = lines[start].text
    field = L.meta_field(head)
    title = field[1] if field and field[0] in ("title", "headline") else head
    opened_by_title = titled
    if not opened_by_title:
        title = meta.get("title", "")
    caption = credit = url = date = ""
    paragraphs: list[str] = []
    in_header = True
    body_from = start + 1 if opened_by_title else start
    prev: Line | None = None
    for j in range(body_from, end):
        line = lines[j]
        t = line.text
        if residue[j] or j in repeats or t == title:
            continue
        if in_header:
            f = L.meta_field(t)
            if f:
                url = f[1] if f[0] in ("url", "link", "source") and not url else url
                date = f[1] if f[0] in ("date", "published") and not date else date
                continue
            if L.is_byline(t):
                continue
            if _duplicated_nearby(lines, j) or (not caption and _looks_like_caption(t)):
                caption = caption or t
                continue
            if L.is_credit_line(t):
                credit = credit or L.credit_of(t)
                continue
            in_header = False
        if t == caption or (prev is not None and t == prev.text):
            continue
        if paragraphs and line.gap == 0 and prev is not None and L.is_wrapped(prev.text, t):
            paragraphs[-1] = f"{paragraphs[-1]} {t}"
        else:
            paragraphs.append(t)
        prev = line
    if not paragraphs:
        return None
    credit = credit or L.credit_of(caption)
    return Article(capture=capture, position=position, title=title, paragraphs=tuple(paragraphs),
                   caption=caption, credit=credit, url=url or meta.get("url", ""), date=date or meta.get("date", ""))


def _looks_like_caption(t: str) -> bool:
    """A one-off caption line right under the headline: ends with a short credit such as `(AFP)`."""
    credit = L.credit_of(t)
    return bool(credit) and credit[0].isupper() and len(credit.split()) <= 5 and not L.starts_with_dateline(t)


@functools.cache
def _linescan():
    """numba's compiled scan, imported by what extracts (not by every import of newsfold), and
    once: an import statement runs the import machinery each time, and this is read per row."""
    from . import linescan

    return linescan


def segment_text(text: str, capture: str, meta: dict | None = None) -> list[Article]:
    """All articles of a plain-text capture, in order."""
    meta = meta or {}
    text = L.repair(text)
    if not meta.get("title"):
        return page_articles(text, capture, meta)
    scanned = _linescan().scan(text)
    if scanned is None:  # white space other than spaces and line ends: split the general way
        lines = split_lines(text)
        residue = residue_mask(lines) if lines else []
    else:
        art = _plain_titled(scanned, capture, meta)
        if art is not None:
            return [art]
        lines = list(map(_new_line, repeat(Line), zip(scanned.texts, scanned.gaps)))
        residue = residue_mask(lines, scanned.spaces, scanned.screened)
    if not lines:
        return []
    if any(x.text == meta["title"] for x in lines[:5]):  # the headline is in the text too: a page dump
        return page_articles(text, capture, meta)
    # a JSONL/Parquet row whose headline is given beside a bare body: one article
    art = build_article(lines, residue, set(), 0, len(lines), capture, 0, meta, False)
    return [art] if art is not None else []


def _plain_titled(scanned: linescan.ScannedText, capture: str, meta: dict) -> Article | None:
    """The article of a row whose headline is given beside its body (JSONL, Parquet), when
    build_article would keep every line of the body as a paragraph of its own; else None. The
    common case (98-99% of the rows of the BBC, Reuters and benchmark corpora), settled with a
    test per line only where linescan could not: no line is furniture or a list header, the
    headline, or the line before it again; none follows the one before without a blank line (a
    hard-wrapped paragraph goes on); and the first is no byline, caption, credit or metadata."""
    texts, title = scanned.texts, meta["title"]
    if not texts or scanned.run_on or title in texts or any(map(eq, texts, texts[1:])):
        return None
    for i, n in scanned.unscreened():
        if L.is_furniture(texts[i], n) or n <= 6 and L.is_list_header(texts[i]):
            return None
    first = texts[0]
    if (L.meta_field(first) or L.is_byline(first, scanned.words_at_least(0)) or first in texts[1:4]
            or _looks_like_caption(first) or L.is_credit_line(first)):
        return None
    return Article(capture=capture, position=0, title=title, paragraphs=tuple(texts), caption="", credit="",
                   url=meta.get("url", ""), date=meta.get("date", ""))
