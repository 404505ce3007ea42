"""Extract stage: a `Capture` → its `Article`s (headline, caption, credit, body paragraphs)."""
from __future__ import annotations

from ..model import Article, Capture
from .text import segment_text


def extract(capture: Capture) -> list[Article]:
    if capture.kind == "html":
        from .html import extract_html  # lxml (0.15 s) is imported by the first HTML page, not at start-up

        return extract_html(capture.content, capture.name, capture.meta)
    return segment_text(capture.content, capture.name, capture.meta)


__all__ = ["extract", "segment_text"]
