"""Cut an HTML page into articles: trafilatura finds the main text, lxml reads headline and caption.

A page that holds several `<article>` elements, each with its own heading (infinite scroll
saved as HTML), gives one article per element; any other page gives one article.
"""
from __future__ import annotations

import lxml.etree
import lxml.html


from ..model import Article
from . import lines as L

_BODY_TAGS = {"p", "head", "item", "quote", "cell", "row", "list", "table", "lb"}


_UTF8_PARSER = lxml.html.HTMLParser(encoding="utf-8")  # the markup was decoded already: say how it was re-encoded


def _parse(markup: str) -> lxml.html.HtmlElement | None:
    try:
        tree = lxml.html.document_fromstring(markup.encode("utf-8", "replace"), parser=_UTF8_PARSER)
    except (lxml.etree.ParserError, ValueError, lxml.etree.XMLSyntaxError):
        return None
    return tree


def _text(el) -> str:
    return " ".join(" ".join(el.itertext()).split())


def _article_blocks(tree) -> list:
    """The page's `<article>` elements that are whole articles: a heading and at least two
    paragraphs of text (a teaser card has a heading and a line)."""
    blocks = [a for a in tree.iter("article") if len([p for p in a.iter("p") if len(_text(p).split()) >= 8]) >= 2
              and any(a.find(f".//{h}") is not None for h in ("h1", "h2", "h3"))]
    # keep outermost only: an <article> nested in another is part of it
    return [b for b in blocks if not any(o is not b and b in o.iterdescendants() for o in blocks)]


def _headline(scope) -> str:
    for h in ("h1", "h2", "h3"):
        el = scope.find(f".//{h}")
        if el is not None and _text(el):
            return L.repair(_text(el))
    return ""


def _caption(scope) -> str:
    el = scope.find(".//figcaption")
    return L.repair(_text(el)) if el is not None else ""


def _main_text_lines(markup: str) -> tuple[list[str], dict]:
    """The main text as lines (paragraphs, list items, table rows), in reading order, with
    trafilatura's metadata. Its precision setting and its text output: on real news pages
    (benchmarks/realpages.py) they keep less furniture than the defaults and lose no paragraph
    that the XML tree kept."""
    import trafilatura  # imported on first HTML page: it costs a third of a second at start-up

    doc = trafilatura.bare_extraction(markup, include_comments=False, include_tables=True, include_images=False,
                                      favor_precision=True, deduplicate=False, with_metadata=True)
    if doc is None or not doc.text:
        return [], {}
    meta = {k: getattr(doc, k, None) or "" for k in ("title", "url", "date")}
    return [t for t in (" ".join(x.split()) for x in doc.text.split("\n")) if t], meta


def _one_article(markup: str, scope, capture: str, position: int, meta: dict) -> Article | None:
    headline = _headline(scope)
    caption = _caption(scope)
    lines, tmeta = _main_text_lines(markup)
    title = headline or L.repair(tmeta.get("title", "")) or meta.get("title", "")
    paragraphs: list[str] = []
    for raw in lines:
        t = L.repair(raw).strip()
        if not t or t == title or t == caption or L.is_residue(t) or L.is_separator(t):
            continue
        if not paragraphs and (L.is_byline(t) or L.is_credit_line(t)):
            continue  # header material above the first paragraph
        if L.is_list_header(t):
            continue
        if paragraphs and t == paragraphs[-1]:
            continue
        paragraphs.append(t)
    if not paragraphs:
        return None
    return Article(capture=capture, position=position, title=title, paragraphs=tuple(paragraphs),
                   caption=caption, credit=L.credit_of(caption), url=meta.get("url", "") or tmeta.get("url", "") or "",
                   date=meta.get("date", ""))


def extract_html(markup: str, capture: str, meta: dict | None = None) -> list[Article]:
    meta = meta or {}
    tree = _parse(markup)
    if tree is None:
        return []
    blocks = _article_blocks(tree)
    if len(blocks) < 2:
        scope = blocks[0] if blocks else tree
        art = _one_article(markup, scope, capture, 0, meta)
        return [art] if art else []
    out: list[Article] = []
    for block in blocks:
        part = lxml.html.tostring(block, encoding="unicode")
        art = _one_article(f"<html><body>{part}</body></html>", block, capture, len(out), meta)
        if art:
            out.append(art)
    return out
