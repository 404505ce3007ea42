"""The desk's pure text work: word diffs of versions, how a capture was cut (kept words and
residue), search hits split into highlighted parts, and the numbers of its SVG charts.

Nothing here makes markup: each function returns plain text in labelled parts, and the templates
(with autoescaping) turn them into HTML, so scraped text can only ever be shown as text.
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Sequence

from ..store.desk import HIT_END, HIT_START

PARAGRAPH = "\n"  # the token of a paragraph break in a diff
MAX_DIFF_TOKENS = 20_000  # per side; longer bodies are compared paragraph by paragraph
_WORDS = re.compile(r"\S+")


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    for para in text.split("\n\n"):
        if out:
            out.append(PARAGRAPH)
        out.extend(para.split())
    return out


def _runs(tokens: Sequence[str], op: str, into: list[list[tuple[str, str]]]) -> None:
    """Append tokens to paragraphs of (op, text) runs, a PARAGRAPH token starting a new paragraph."""
    for tok in tokens:
        if tok == PARAGRAPH:
            into.append([])
            continue
        para = into[-1]
        if para and para[-1][0] == op:
            para[-1] = (op, para[-1][1] + " " + tok)
        else:
            para.append((op, tok))


def word_diff(old: str, new: str) -> tuple[list[list[tuple[str, str]]], list[list[tuple[str, str]]]]:
    """A side-by-side word diff: (old's paragraphs, new's paragraphs), each a list of (op, text)
    runs where op is "same", "removed" (only in old) or "added" (only in new).

    >>> left, right = word_diff("The bank held rates.", "The central bank held rates on Wednesday.")
    >>> left
    [[('same', 'The bank held'), ('removed', 'rates.')]]
    >>> right
    [[('same', 'The'), ('added', 'central'), ('same', 'bank held'), ('added', 'rates on Wednesday.')]]
    """
    a, b = _tokens(old), _tokens(new)
    if len(a) > MAX_DIFF_TOKENS or len(b) > MAX_DIFF_TOKENS:  # whole paragraphs then
        a, b = old.split("\n\n"), new.split("\n\n")
    left: list[list[tuple[str, str]]] = [[]]
    right: list[list[tuple[str, str]]] = [[]]
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            _runs(a[i1:i2], "same", left)
            _runs(b[j1:j2], "same", right)
        else:
            _runs(a[i1:i2], "removed", left)
            _runs(b[j1:j2], "added", right)
    return left, right


def _key(word: str) -> str:
    return unicodedata.normalize("NFKC", word).casefold()


BLOCK_TAGS = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "section",
              "article", "header", "footer", "nav", "aside", "figure", "figcaption", "blockquote", "pre", "title",
              "main", "form", "dd", "dt", "dl", "hr", "td", "th", "address"}
HIDDEN_TAGS = ("script", "style", "noscript", "template")


def page_lines(content: str, kind: str) -> list[str]:
    """A capture's lines as a reader sees them: a text capture's own lines; an HTML page's text
    (lxml's text_content, a line per block element; scripts and styles are not text)."""
    if kind != "html":
        return content.splitlines()
    import lxml.html

    try:
        root = lxml.html.document_fromstring(content)
    except (ValueError, lxml.etree.ParserError):
        return content.splitlines()
    for el in list(root.iter(*HIDDEN_TAGS)):
        if el.getparent() is not None:
            el.drop_tree()
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.lower() in BLOCK_TAGS:
            el.tail = "\n" + (el.tail or "")
    return [line for line in root.text_content().splitlines()]


def cut(lines: list[str], articles: Sequence[Sequence[str]], max_words: int = 200_000
        ) -> list[list[tuple[str, int | None]]]:
    """How a capture was cut: its lines, each a list of (text, article index) runs, the index
    None for residue (what no article of the capture holds). `articles`: each article's fields
    (headline, caption, credit, paragraphs). Extraction never rewrites a word, so each field is
    found as a run of the capture's words (the first one not taken yet, from where the previous
    field ended); a field that is not found whole is matched in longest shared runs."""
    words: list[str] = []
    line_of: list[int] = []
    for n, line in enumerate(lines):
        for w in line.split():
            words.append(w)
            line_of.append(n)
    labels: list[int | None] = [None] * len(words)
    if len(words) <= max_words:
        _label(words, articles, labels)
    out: list[list[tuple[str, int | None]]] = [[] for _ in lines]
    for w, n, label in zip(words, line_of, labels):
        runs = out[n]
        if runs and runs[-1][1] == label:
            runs[-1] = (runs[-1][0] + " " + w, label)
        else:
            runs.append((w, label))
    return out


def _label(words: list[str], articles: Sequence[Sequence[str]], labels: list[int | None]) -> None:
    keys = [_key(w) for w in words]
    joined = " " + " ".join(keys) + " "
    starts, at = [], 1  # where each word starts in `joined`
    for k in keys:
        starts.append(at)
        at += len(k) + 1
    cursor = 0
    for index, fields in enumerate(articles):
        for field in fields:
            f = [_key(w) for w in field.split()]
            if not f:
                continue
            found = _find(joined, starts, " " + " ".join(f) + " ", len(f), labels, cursor)
            if found is None:
                found = _find(joined, starts, " " + " ".join(f) + " ", len(f), labels, 0)
            if found is not None:
                labels[found:found + len(f)] = [index] * len(f)
                cursor = found + len(f)
            else:
                cursor = _match_runs(keys, f, labels, index, cursor)


def _find(joined: str, starts: list[int], needle: str, n: int, labels: list[int | None], start_word: int) -> int | None:
    """The first word index from `start_word` where the n words of `needle` occur, none taken."""
    pos = starts[start_word] - 1 if start_word < len(starts) else len(joined)
    while True:
        hit = joined.find(needle, pos)
        if hit < 0:
            return None
        i = bisect_right(starts, hit + 1) - 1
        if all(label is None for label in labels[i:i + n]):
            return i
        pos = hit + 1


def _match_runs(keys: list[str], field: list[str], labels: list[int | None], index: int, cursor: int) -> int:
    """Take the longest runs a field shares with the capture's untaken words near `cursor`
    (runs of 3 words or more, or the whole of a shorter field); the new cursor."""
    lo = max(0, cursor - 50)
    hi = min(len(keys), cursor + 4 * len(field) + 200)
    window = [k if labels[lo + i] is None else "\x00" for i, k in enumerate(keys[lo:hi])]
    end = cursor
    for block in difflib.SequenceMatcher(None, field, window, autojunk=False).get_matching_blocks():
        if block.size >= min(3, len(field)):
            start = lo + block.b
            labels[start:start + block.size] = [index] * block.size
            end = max(end, start + block.size)
    return end


def hit_parts(snippet: str) -> list[tuple[str, bool]]:
    """A search snippet as (text, is a hit) parts.

    >>> hit_parts("the \\x02crisis\\x03 cell")
    [('the ', False), ('crisis', True), (' cell', False)]
    """
    parts, hit = [], False
    for piece in re.split(f"([{HIT_START}{HIT_END}])", snippet):
        if piece == HIT_START:
            hit = True
        elif piece == HIT_END:
            hit = False
        elif piece:
            parts.append((piece, hit))
    return parts


def sparkline(counts: Sequence[int], step: int = 5, height: int = 24) -> str:
    """SVG polyline points of `counts`, `step` apart, in a box `height` high (the highest at the
    top), in whole numbers.

    >>> sparkline([0, 2, 1], 5, 4)
    '0,4 5,0 10,2'
    """
    top = max(counts, default=0) or 1
    return " ".join(f"{i * step},{height - height * c // top}" for i, c in enumerate(counts))


def bars(values: Sequence[int], width: float, height: float, log: bool = False) -> list[tuple[float, float, float, float]]:
    """(x, y, width, height) of a bar per value in a width × height box; `log`: heights on a log scale."""
    import math

    if not values:
        return []
    scale = (lambda v: math.log10(v + 1)) if log else float  # noqa: E731
    top = max(scale(v) for v in values) or 1
    w = min(width / len(values), 80)  # a few bars stay bars, not blocks
    out = []
    for i, v in enumerate(values):
        h = height * scale(v) / top
        out.append((round(i * w, 1), round(height - h, 1), round(max(w - 2, 1), 1), round(h, 1)))
    return out
