"""Cut a plain-text capture into articles.

A capture is a run of lines. Article starts are found from the text's own structure:
  - a headline-shaped line repeated a few lines later (infinite-scroll dumps print the
    headline, the photo captions, widget residue, then the headline again);
  - a headline-shaped line followed by a byline, a date stamp, a wire dateline or a caption;
  - a `Title:` metadata line, or the line after an explicit separator (`-----`, `* * *`);
  - a headline-shaped line after two or more blank lines, between prose paragraphs.
A crosshead inside an article has none of these, so it stays in the body.
"""
from __future__ import annotations

import re
from itertools import repeat
from operator import eq
from typing import NamedTuple

from ..model import Article
from . import lines as L
from . import linescan
from .page import page_articles

REPEAT_WINDOW = 10  # how far (in non-blank lines) a headline's repeat may follow it
EVIDENCE_WINDOW = 3  # how far a byline/dateline/caption may follow a headline


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


def find_starts(lines: list[Line], residue: list[bool]) -> tuple[list[int], set[int], set[int]]:
    """Indexes of the lines that open an article, of headline repeats to drop, and of
    starts that are a first paragraph with no headline above it."""
    starts: list[int] = []
    untitled: set[int] = set()
    repeats: set[int] = set()
    after_separator = True  # the capture's start acts like a separator
    seen_prose = False
    for i, line in enumerate(lines):
        if i in repeats:
            continue
        if L.is_separator(line.text):
            after_separator = True
            continue
        if residue[i]:
            continue
        meta = L.meta_field(line.text)
        if meta and meta[0] in ("title", "headline"):
            starts.append(i)
            after_separator, seen_prose = False, False
            continue
        caption = i + 1 < len(lines) and lines[i + 1].text == line.text
        if not caption and L.is_headline_candidate(line.text):
            rep = _repeat_of(lines, i)
            evidence = rep is not None or _byline_next(lines, residue, i)
            if not evidence and L.is_headline_shape(line.text):
                evidence = (_followed_by_header(lines, residue, i)
                            or (after_separator and _prose_follows(lines, residue, i))
                            or (line.gap >= 2 and seen_prose and _prose_follows(lines, residue, i)))
            if evidence and not (starts and _only_header_since(lines, residue, starts[-1], i)):
                starts.append(i)
                if rep is not None:
                    repeats.add(rep)
                after_separator, seen_prose = False, False
                continue
        if L.is_prose(line.text):
            if not starts:
                starts.append(_untitled_start(lines, residue, i))
                if starts[-1] == i:
                    untitled.add(i)
            seen_prose = True
            after_separator = False
    return starts, repeats, untitled


def _byline_next(lines: list[Line], residue: list[bool], i: int) -> bool:
    for j in range(i + 1, min(len(lines), i + 4)):
        if not residue[j]:
            t = lines[j].text
            return L.is_byline(t) or L.is_credit_line(t) or bool(L.meta_field(t))
    return False


def _repeat_of(lines: list[Line], i: int) -> int | None:
    if i + 1 < len(lines) and lines[i + 1].text == lines[i].text:
        return None  # a line printed twice in a row is a caption, not a repeated headline
    for j in range(i + 2, min(len(lines), i + 1 + REPEAT_WINDOW)):
        if lines[j].text == lines[i].text:
            return j
        if L.is_prose(lines[j].text) and not _duplicated_nearby(lines, j):
            return None
    return None


def _duplicated_nearby(lines: list[Line], j: int) -> bool:
    t = lines[j].text
    return any(lines[k].text == t for k in range(max(0, j - 3), min(len(lines), j + 4)) if k != j)


def _followed_by_header(lines: list[Line], residue: list[bool], i: int) -> bool:
    seen = 0
    for j in range(i + 1, len(lines)):
        t = lines[j].text
        if residue[j]:
            continue
        if L.is_byline(t) or L.starts_with_dateline(t) or L.is_credit_line(t) or L.meta_field(t):
            return True
        if _duplicated_nearby(lines, j) and j + 1 < len(lines) and lines[j + 1].text == t:
            return True  # a photo caption printed twice
        if L.is_headline_shape(t):
            return False  # that line is the headline; line i is a section label or kicker
        seen += 1
        if seen >= EVIDENCE_WINDOW:
            return False
    return False


def _prose_follows(lines: list[Line], residue: list[bool], i: int) -> bool:
    for j in range(i + 1, min(len(lines), i + 6)):
        if residue[j]:
            continue
        return L.is_prose(lines[j].text) or _duplicated_nearby(lines, j)
    return False


def _only_header_since(lines: list[Line], residue: list[bool], start: int, i: int) -> bool:
    """True when nothing but header material lies between the last start and line i
    (then line i is a second headline-shaped line of the same header, not a new article)."""
    head = lines[start].text
    for j in range(start + 1, i):
        t = lines[j].text
        if residue[j] or t == head or _duplicated_nearby(lines, j) or L.is_byline(t) or L.meta_field(t):
            continue
        if L.is_credit_line(t) or L.is_separator(t):
            continue
        return False
    return True


def _untitled_start(lines: list[Line], residue: list[bool], first_prose: int) -> int:
    """An article with no detected headline: take the last headline-shaped line before its first paragraph."""
    for j in range(first_prose - 1, -1, -1):
        if not residue[j] and L.is_headline_shape(lines[j].text):
            return j
    return first_prose


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
        if paragraphs and line.gap == 0 and prev is not None and _wrapped(prev.text, t):
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


def _wrapped(prev: str, cur: str) -> bool:
    """A hard-wrapped paragraph: the previous line stops mid-sentence and this one goes on in lower case."""
    return not prev.endswith((".", "?", "!", ":", '"', "”")) and cur[:1].islower()


def segment_text(text: str, capture: str, meta: dict | None = None) -> list[Article]:
    """All articles of a plain-text capture, in order."""
    meta = meta or {}
    text = L.repair(text)
    if not meta.get("title"):
        return page_articles(text, capture, meta)
    scanned = linescan.scan(text)
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
    if not texts or scanned.flags & linescan.RUN_ON or title in texts or any(map(eq, texts, texts[1:])):
        return None
    for i, n in scanned.unscreened():
        if L.is_furniture(texts[i], n) or n <= 6 and L.is_list_header(texts[i]):
            return None
    first = texts[0]
    if (L.meta_field(first) or L.is_byline(first) or first in texts[1:4] or _looks_like_caption(first)
            or L.is_credit_line(first)):
        return None
    return Article(capture=capture, position=0, title=title, paragraphs=tuple(texts), caption="", credit="",
                   url=meta.get("url", ""), date=meta.get("date", ""))
