"""Input files: which paths are captures, what format each is in, and its bytes as text.

Every limit is checked before the bytes are held: a capture's size, a gzip stream's expansion.
The budget below is the one every format is read under (JSONL and Parquet rows, WARC records,
pages): a capture over it is one problem line, and nothing over it is ever held whole.
"""
from __future__ import annotations

import functools
import glob
import gzip
import io
import os
import re
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..model import Capture, Problem, one_line, shown_name

TEXT_SUFFIXES = {".txt", ".text", ".md", ""}  # and any other suffix, when a file is named
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}

# --- the budget of one capture, whatever its format ---
MAX_CAPTURE_BYTES = 20 * 1024 * 1024  # one page, dump, row's text or record; larger is not a news capture
# Bomb guard for a compressed file (gzip, a Parquet column): it may always expand to
# MAX_DECOMPRESSED_BYTES, and past that only while it stays under MAX_GZIP_RATIO:1 (text compresses
# ~3-10:1, a bomb ~1000:1), so a big real dump passes and a 1 MB bomb stops at 1 GiB. (A Parquet
# page is decompressed whole: there, past MAX_CAPTURE_BYTES the ratio alone decides.)
MAX_DECOMPRESSED_BYTES = 1024 * 1024 * 1024
MAX_GZIP_RATIO = 100
MAX_HEADER_LINE_BYTES = 64 * 1024  # a WARC or HTTP header line (a cookie is at most ~8 KiB)
MAX_FIELD_CHARS = 4096  # a row's id, title, url or date
MAX_JSON_DEPTH = 1024  # nesting of a JSONL row (orjson's own limit)
MAX_NUMBER_DIGITS = 1000  # an integer in a JSONL row (the standard parser's cost is quadratic in it)


def quote(text: object) -> str:
    """Library messages can carry bytes of the input (a WARC line, Parquet column names): keep
    the problem report to one short line."""
    return one_line(text, 120)


class InputError(Exception):
    """A problem with one input that stops reading it; the message is the one-line reason."""


_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_text(text: str) -> str:
    """`text` as valid Unicode: lone surrogates (JSON allows "\\ud800"; SQLite and UTF-8 do not)
    become U+FFFD."""
    return text if text.isascii() else _SURROGATE.sub("\ufffd", text)


@functools.lru_cache(maxsize=256)
def capture_name(source: str) -> str:
    """A capture file's name in the store: its absolute path with symbolic links resolved, so that
    `idem`, `./idem/` and `/abs/idem` name the same file (a moved file is a new capture); bytes
    that are not UTF-8 shown as \\xNN."""
    return shown_name(os.path.realpath(source))


def names(source: str) -> tuple[str, str]:
    """(a file's capture name, its alias): the alias is the name as it was spelled, which stores
    made before names were resolved hold ('' where the two are one)."""
    name, spelled = capture_name(source), shown_name(source)
    return name, spelled if spelled != name else ""


def discover(paths: Iterable[str]) -> Iterator[Path | Problem]:
    """Expand files, folders (recursively, sorted) and globs into input files."""
    for raw in paths:
        try:
            matches = sorted(glob.glob(raw, recursive=True)) if glob.has_magic(raw) else [raw]
        except (OSError, ValueError) as err:
            yield Problem(raw, f"cannot expand ({err})")
            continue
        if not matches:
            yield Problem(raw, "no such file or directory")
        for m in matches:
            p = Path(m)
            try:
                if p.is_dir():
                    yield from _walk(p)
                elif p.exists() or p.is_symlink():
                    yield p
                else:
                    yield Problem(m, "no such file or directory")
            except (OSError, ValueError) as err:  # a name too long, a NUL byte
                yield Problem(m, f"cannot read ({getattr(err, 'strerror', None) or err})")


def _walk(folder: Path) -> Iterator[Path | Problem]:
    def on_error(err: OSError) -> None:
        problems.append(Problem(str(err.filename), f"cannot list folder ({err.strerror})"))

    problems: list[Problem] = []
    # followlinks=False: a symlink loop must not send the walk round forever
    for root, dirs, files in os.walk(folder, onerror=on_error, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for f in sorted(files):
            if f.startswith("."):
                continue
            path = Path(root) / f
            why = not_a_capture(path)
            yield path if why is None else Problem(str(path), f"skipped: {why}")
    yield from problems


# What a folder holds beside its captures: a project's documents and files of other formats. A
# file named on the command line is read whatever its name; one found in a folder only if it
# could be a capture.
DOCUMENT_NAMES = ("readme", "license", "licence", "copying", "changelog", "changes", "contributing", "authors",
                  "notice", "history")
CAPTURE_SUFFIXES = {".txt", ".text", "", ".html", ".htm", ".xhtml", ".jsonl", ".ndjson", ".json", ".parquet",
                    ".warc", ".arc"}


def not_a_capture(path: Path) -> str | None:
    """Why a file found in a folder is not a capture (a document, another format), or None."""
    name = path.name.lower()
    for gz in (".gz", ".gzip"):
        if name.endswith(gz):
            name = name[: -len(gz)]
    stem, suffix = os.path.splitext(name)
    if stem in DOCUMENT_NAMES or name.startswith(tuple(d + "." for d in DOCUMENT_NAMES)):
        return "a project document, not a capture"
    if suffix not in CAPTURE_SUFFIXES:
        return f"not a capture format ({suffix})"
    return None


def format_of(path: Path) -> str:
    """Input format from the file name: text, html, jsonl, parquet or warc."""
    name = path.name.lower()
    for gz in (".gz", ".gzip"):
        if name.endswith(gz):
            name = name[: -len(gz)]
    suffix = Path(name).suffix
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    if suffix == ".parquet":
        return "parquet"
    if suffix in (".warc", ".arc"):
        return "warc"
    return "text"


def open_binary(path: Path) -> io.BufferedIOBase:
    with open(path, "rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        limit = max(MAX_DECOMPRESSED_BYTES, MAX_GZIP_RATIO * path.stat().st_size)
        # buffered: readline() on a raw stream would fetch one byte per call
        return io.BufferedReader(_BoundedReader(gzip.open(path, "rb"), limit), buffer_size=1 << 20)
    return open(path, "rb")


class _BoundedReader(io.RawIOBase):
    """Wraps a decompressing stream: a truncated or oversized (bomb) stream becomes an InputError."""

    def __init__(self, inner: io.BufferedIOBase, limit: int) -> None:
        self.inner, self.limit, self.seen = inner, limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:  # type: ignore[override]
        try:
            n = self.inner.readinto(buf)
        except EOFError:
            raise InputError("truncated gzip stream") from None
        except (gzip.BadGzipFile, zlib.error) as err:
            raise InputError(f"corrupt gzip stream ({err})") from None
        self.seen += n
        if self.seen > self.limit:
            raise InputError(f"decompresses past the {self.limit >> 20} MiB limit (gzip bomb?)")
        return n

    def close(self) -> None:
        self.inner.close()
        super().close()


def read_page(path: Path, fmt: str) -> Capture | Problem:
    source = str(path)
    with open_binary(path) as fh:
        data = fh.read(MAX_CAPTURE_BYTES + 1)
    if len(data) > MAX_CAPTURE_BYTES:
        return Problem(source, f"larger than the {MAX_CAPTURE_BYTES >> 20} MiB limit for one capture")
    text = decode(data, source)
    if isinstance(text, Problem):
        return text
    if fmt == "text" and looks_like_html(text):
        fmt = "html"
    name, alias = names(source)
    return Capture(name=name, content=text, kind=fmt, alias=alias, page=True)


def looks_like_html(text: str) -> bool:
    head = text[:1024]
    if "<" not in head:  # most plain text: every test below needs a tag in the first KiB
        return False
    head = head.lstrip().lower()
    return head.startswith(("<!doctype html", "<html", "<?xml")) or ("<body" in head and "</" in text)


def decode(data: bytes, source: str) -> str | Problem:
    """Bytes → str in whatever encoding they are in; binary or empty input is a Problem."""
    if not data.strip():
        return Problem(source, "empty file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return Problem(source, "invalid UTF-16")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        if _binary(data):
            return Problem(source, "binary file, not text")
        text = _decode_legacy(data)
        if text is None:
            return Problem(source, "cannot detect the text encoding")
    if _binary_text(text):
        return Problem(source, "binary file, not text")
    return text


def _decode_legacy(data: bytes) -> str | None:
    """Bytes that are not clean UTF-8: UTF-8 with stray bytes, or a legacy 8-bit encoding."""
    lenient = data.decode("utf-8", errors="replace")
    marks = lenient.count("\ufffd")
    valid = len(lenient) - len(lenient.encode("ascii", "ignore")) - marks
    stray = marks - data.count(b"\xef\xbf\xbd")  # U+FFFD already in the text is not damage
    if valid >= stray:
        # a valid multi-byte sequence is stronger evidence than a stray byte: UTF-8 with damage
        return lenient
    import charset_normalizer  # only for bytes that are not UTF-8 (~15 ms to import)

    matches = list(charset_normalizer.from_bytes(data[:1_000_000]))
    if not matches:
        return None
    # When windows-1252 reads the bytes as cleanly as the detector's pick, take it: with few
    # accented letters the detector cannot tell Western encodings apart, and 1252 is the web's default.
    least = min(m.chaos for m in matches)
    western = [m for m in matches if m.encoding == "cp1252" and m.chaos <= least]
    best = western[0] if western else matches[0]
    return data.decode(best.encoding, errors="replace")


# C0 control bytes other than tab, newlines, form feed and escape never occur in text
_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r\x0b\x0c\x1b")


def _binary(data: bytes) -> bool:
    sample = data[:65536]
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls > len(sample) // 100


def _binary_text(text: str) -> bool:
    sample = text[:65536]
    controls = sum(1 for c in sample if ord(c) < 32 and c not in "\n\r\t\f\v")
    return controls > len(sample) // 50 + 1
