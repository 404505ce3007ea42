"""The types passed one way between the stages: read → extract → fingerprint → match → cluster → store.

Captures and articles are frozen dataclasses; the per-article types an ingest makes by the
million (`PairScores`) are tuples, which cost a tenth as much to build.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np


@dataclass(frozen=True)
class Capture:
    """One raw capture: a text dump, an HTML page, or one row of a JSONL/Parquet/WARC file."""

    name: str  # source file path, or the row id for JSONL/Parquet input
    content: str  # decoded text (plain text or HTML markup)
    kind: str  # "text" or "html"
    meta: dict = field(default_factory=dict)  # title/url/date given by the container, if any
    page: bool = False  # a page (a text or HTML file, a WARC record), not a dataset's row: the store keeps its text
    # the name an older newsfold gave it (a file's path as it was spelled), if not `name`: a
    # capture stored under it is the same capture (read/files.py: capture_name)
    alias: str = ""


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


def one_line(text: object, width: int = 200) -> str:
    """`text` as one line of at most `width` characters (messages quote input: a WARC header, a
    column name, a row id may be any length and hold line breaks)."""
    s = " ".join(str(text)[: width * 4].split())
    return s if len(s) <= width else s[: width - 1] + "…"


def shown_name(text: str) -> str:
    """A file name (or any text) that may hold lone surrogates as valid text: the bytes of a
    name that is not UTF-8 (Python keeps them as U+DC80-U+DCFF) shown as \\xNN, any other
    surrogate as \\uNNNN. Valid text comes back as it is."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    return "".join(f"\\x{ord(c) - 0xDC00:02x}" if 0xDC80 <= ord(c) <= 0xDCFF
                   else f"\\u{ord(c):04x}" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)


MAX_SOURCE_CHARS = 300  # a problem line names its file in at most this many characters ...
MAX_REASON_CHARS = 300  # ... and gives its reason in at most this many


@dataclass(frozen=True)
class Problem:
    """A file or record that could not be read, with a one-line reason."""

    source: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        source = one_line(shown_name(self.source), MAX_SOURCE_CHARS)
        where = f"{source}:{self.line}" if self.line is not None else source
        return f"{where}: {one_line(shown_name(self.reason), MAX_REASON_CHARS)}"


@dataclass(frozen=True)
class Fingerprint:
    """What matching needs of one article body (fingerprint/ makes it)."""

    body_hash: str  # exact-duplicate key over the normalised words (128-bit, hex)
    n_words: int
    shingles: np.ndarray  # sorted unique 32-bit shingle hashes
    lead: np.ndarray  # sorted unique shingles of the first lead_check_words words
    entities: np.ndarray  # sorted unique 32-bit hashes of capitalised words and numbers
    signature: np.ndarray  # uint32[bins]
    keys: np.ndarray  # int64 LSH band keys, body bands then lead bands


class PairScores(NamedTuple):
    """How alike two articles are (match/ computes them; `match.same_story` judges them)."""

    jaccard: float
    containment: float
    entity_overlap: float
    lead_overlap: float = 1.0

    @property
    def score(self) -> float:
        return (self.containment + self.entity_overlap) / 2

    @property
    def same_story(self) -> bool:
        from .match import same_story  # the rule lives with the match stage

        return bool(same_story(*self))


MAX_KEPT_PROBLEMS = 10_000  # an IngestReport keeps the first problems; it counts them all
MAX_REASONS = 100  # distinct reasons counted by name; the others as "other"


@dataclass
class IngestReport:
    """What an ingest did, whichever engine ran it. Bounded whatever the input: the first
    MAX_KEPT_PROBLEMS problems are kept, all are counted (by reason in `reasons`)."""

    files: int = 0
    captures: int = 0
    skipped: int = 0  # captures already in the store
    articles: int = 0
    problems: list[Problem] = field(default_factory=list)
    rejected: int = 0  # problems, all of them
    reasons: dict[str, int] = field(default_factory=dict)  # a problem's reason without its details → count
    stories: int = 0  # stories in the store after the run
    new_stories: int = 0
    folded: int = 0  # new articles placed in a story with another version

    def add_problem(self, problem: Problem) -> None:
        self.rejected += 1
        if len(self.problems) < MAX_KEPT_PROBLEMS:
            self.problems.append(problem)
        reason = problem.reason.split(" (")[0]
        if reason not in self.reasons and len(self.reasons) >= MAX_REASONS:
            reason = "other"
        self.reasons[reason] = self.reasons.get(reason, 0) + 1

    def summary(self) -> str:
        return (f"files read: {self.files}, captures: {self.captures} new, {self.skipped} already stored, "
                f"rejected: {self.rejected}, articles: {self.articles}, stories: {self.stories} "
                f"({self.new_stories} new), occurrences folded: {self.folded}")
