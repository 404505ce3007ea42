"""An HTML page as the text a reader copies from it: each block element on lines of its own,
inline elements run together, scripts, styles and hidden markup left out (what a browser's
`innerText` gives, without the style sheets). The text path can then read a page the way it
reads a text capture.
"""
from __future__ import annotations

import re

import lxml.html

# elements that start a line of their own (a browser's default display: block, list-item, table rows)
_BLOCK = frozenset((
    "address", "article", "aside", "blockquote", "body", "center", "dd", "details", "dialog", "dir", "div", "dl",
    "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hgroup", "hr", "li", "main", "menu", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "ul", "caption", "legend", "option"))
# a paragraph-like element: a blank line around it, as innerText puts around <p>
_PARAGRAPH = frozenset(("p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "figure", "table", "hr"))
_SKIP = frozenset(("script", "style", "noscript", "template", "svg", "head", "title", "meta", "link", "iframe",
                   "object", "embed", "canvas", "video", "audio", "map", "select", "button", "input", "textarea"))


def page_text(tree: lxml.html.HtmlElement) -> str:
    """The reading text of a parsed page: a line break at each block element, a blank line
    around paragraphs, headings, tables and figures."""
    out: list[str] = []
    _walk(tree, out)
    text = _BREAKS.sub(_break, "".join(out))
    return "\n".join(" ".join(x.split()) for x in text.strip().split("\n")) + "\n"


_LINE, _PARA = "\x01", "\x02"  # a line break, a paragraph break (source white space is only a space)
_BREAKS = re.compile("[\x01\x02][\x01\x02\\s]*")


def _break(m: re.Match) -> str:
    return "\n\n" if _PARA in m.group() else "\n"


def _hidden(el) -> bool:
    if el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return True
    style = (el.get("style") or "").replace(" ", "").lower()
    return "display:none" in style or "visibility:hidden" in style


def _text(s: str | None) -> str:
    return s.replace("\n", " ").replace("\r", " ").replace("\t", " ") if s else ""


def _walk(el, out: list[str]) -> None:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in _SKIP or not tag or _hidden(el):
        out.append(_text(el.tail))
        return
    mark = (_PARA if tag in _PARAGRAPH else _LINE) if tag in _BLOCK else ""
    out.append(mark)
    if tag == "br":
        out.append(_LINE)
    out.append(_text(el.text))
    for child in el:
        _walk(child, out)
    out.append(mark)
    if tag in ("td", "th"):
        out.append(" ")
    out.append(_text(el.tail))
