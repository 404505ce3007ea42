"""Data types passed one way through the pipeline: read → extract → fingerprint → match → cluster → store.
(`Fingerprint` lives in fingerprint.py, `PairScores` in match.py, beside the code that makes them.)"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Capture:
    """One raw capture: a text dump, an HTML page, or one row of a JSONL/Parquet/WARC file."""

    name: str  # source file path, or the row id for JSONL/Parquet input
    content: str  # decoded text (plain text or HTML markup)
    kind: str  # "text" or "html"
    meta: dict = field(default_factory=dict)  # title/url/date given by the container, if any


@dataclass(frozen=True)
class Article:
    """One article cut out of a capture."""

    capture: str
    position: int  # 0-based order inside the capture
    title: str
    paragraphs: tuple[str, ...]
    caption: str = ""
    credit: str = ""
    url: str = ""
    date: str = ""

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


@dataclass(frozen=True)
class Problem:
    """A file or record that could not be read, with a one-line reason."""

    source: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        return f"{where}: {self.reason}"
