"""Read stage: find input files and turn them into decoded `Capture`s, or `Problem`s for bad input.

Everything here streams: a JSONL/Parquet/WARC file is read record by record, and every
limit (file size, decompressed size, line length) is checked before the bytes are held.
"""
from __future__ import annotations

import glob
import gzip
import io
import json
import os
import zlib
from collections.abc import Iterable, Iterator
from typing import NamedTuple
from pathlib import Path

import orjson

from .model import Capture, Problem
from .serve import safe

TEXT_SUFFIXES = {".txt", ".text", ".md", ""}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
TEXT_FIELDS = ("text", "body", "content")

MAX_CAPTURE_BYTES = 20 * 1024 * 1024  # one page or dump; larger is not a news capture
MAX_RECORD_BYTES = 20 * 1024 * 1024  # one JSONL line / WARC record
# Gzip bomb guard for a whole .gz file: it may always expand to MAX_DECOMPRESSED_BYTES, and past
# that only while it stays under MAX_GZIP_RATIO:1 (text compresses ~3-10:1, a bomb ~1000:1), so a
# big real dump passes and a 1 MB bomb stops at 1 GiB.
MAX_DECOMPRESSED_BYTES = 1024 * 1024 * 1024
MAX_GZIP_RATIO = 100


def _quote(text: object) -> str:
    """Library messages can carry bytes of the input (a WARC line, Parquet column names): keep
    the problem report to one printable line."""
    return safe(str(text), 120)


class InputError(Exception):
    """A problem with one input that stops reading it; the message is the one-line reason."""


def discover(paths: Iterable[str]) -> Iterator[Path | Problem]:
    """Expand files, folders (recursively, sorted) and globs into input files."""
    for raw in paths:
        matches = sorted(glob.glob(raw, recursive=True)) if glob.has_magic(raw) else [raw]
        if not matches:
            yield Problem(raw, "no such file or directory")
        for m in matches:
            p = Path(m)
            if p.is_dir():
                yield from _walk(p)
            elif p.exists() or p.is_symlink():
                yield p
            else:
                yield Problem(m, "no such file or directory")


def _walk(folder: Path) -> Iterator[Path | Problem]:
    def on_error(err: OSError) -> None:
        problems.append(Problem(str(err.filename), f"cannot list folder ({err.strerror})"))

    problems: list[Problem] = []
    # followlinks=False: a symlink loop must not send the walk round forever
    for root, dirs, files in os.walk(folder, onerror=on_error, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for f in sorted(files):
            if not f.startswith("."):
                yield Path(root) / f
    yield from problems


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


def read_path(path: Path, text_field: str | None = None, blocks: bool = False
              ) -> Iterator[Capture | RawRow | RowBlock | Problem]:
    """Yield the captures of one input file (JSONL lines as `RawRow`s: see `resolve`; with `blocks`,
    as `RowBlock`s of up to ROWS_PER_BLOCK lines); every problem becomes a `Problem`, never an exception."""
    source = str(path)
    try:
        if path.is_symlink() and not path.exists():
            yield Problem(source, "broken or looping symbolic link")
            return
        if not path.is_file():
            yield Problem(source, "not a regular file")
            return
        fmt = format_of(path)
        if fmt == "jsonl":
            for block in _read_jsonl(path, text_field):
                if blocks or isinstance(block, Problem):
                    yield block
                else:
                    yield from block.rows()
        elif fmt == "parquet":
            yield from _read_parquet(path, text_field)
        elif fmt == "warc":
            yield from _read_warc(path)
        else:
            yield _read_page(path, fmt)
    except InputError as err:
        yield Problem(source, str(err))
    except PermissionError:
        yield Problem(source, "permission denied")
    except OSError as err:
        yield Problem(source, f"cannot read ({err.strerror or err})")


def _open_binary(path: Path) -> io.BufferedIOBase:
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


def _read_page(path: Path, fmt: str) -> Capture | Problem:
    source = str(path)
    with _open_binary(path) as fh:
        data = fh.read(MAX_CAPTURE_BYTES + 1)
    if len(data) > MAX_CAPTURE_BYTES:
        return Problem(source, f"larger than the {MAX_CAPTURE_BYTES >> 20} MiB limit for one capture")
    text = decode(data, source)
    if isinstance(text, Problem):
        return text
    if fmt == "text" and looks_like_html(text):
        fmt = "html"
    return Capture(name=source, content=text, kind=fmt)


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


def _row_text(row: dict, text_field: str | None) -> str | None:
    fields = (text_field,) if text_field else TEXT_FIELDS
    for f in fields:
        value = row.get(f)
        if isinstance(value, str) and value.strip():
            return value
    return None


def _row_capture(row: dict, text_field: str | None, fallback_id: str) -> Capture | str:
    """One JSONL/Parquet row as a capture, or the reason it is not one."""
    text = _row_text(row, text_field)
    if text is None:
        wanted = text_field or "/".join(TEXT_FIELDS)
        return f"no text in field '{wanted}'"
    rid = row.get("id")
    name = str(rid) if isinstance(rid, (str, int)) and str(rid) else fallback_id
    meta = {}
    for k in ("title", "url", "date"):
        value = row.get(k)
        if isinstance(value, (str, int, float)) and value != "":
            meta[k] = str(value)
    kind = "html" if looks_like_html(text) else "text"
    return Capture(name=name, content=text, kind=kind, meta=meta)


class RawRow(NamedTuple):
    """One JSONL line (without its line end), not parsed yet: parsing happens in the worker
    processes, off the reader. A tuple: it pickles ten times faster than a dataclass."""

    source: str
    lineno: int
    data: bytes
    text_field: str | None

    def __reduce__(self):  # unpickled without NamedTuple's Python-level __new__: 3× faster
        return _raw_row, tuple(self)


def _raw_row(*fields) -> RawRow:
    return tuple.__new__(RawRow, fields)


def _loads(data: bytes):
    """orjson (3× the standard parser's speed on news rows); the standard parser for what orjson
    refuses and it accepts (NaN, integers over 64 bits, lone surrogates), and for its error message."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def parse_row(raw: RawRow) -> Capture | Problem:
    try:
        row = _loads(raw.data)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        return Problem(raw.source, f"malformed JSON ({err.msg if hasattr(err, 'msg') else err})", raw.lineno)
    if not isinstance(row, dict):
        return Problem(raw.source, f"a JSON {type(row).__name__}, not an object", raw.lineno)
    cap = _row_capture(row, raw.text_field, f"{raw.source}:{raw.lineno}")
    return cap if isinstance(cap, Capture) else Problem(raw.source, cap, raw.lineno)


def resolve(item: Capture | RawRow | Problem) -> Capture | Problem:
    """What `read_path` yielded, as a capture or a problem (parsing a raw row if need be)."""
    return parse_row(item) if isinstance(item, RawRow) else item


ROWS_PER_BLOCK = 64  # JSONL lines per RowBlock (ingest puts blocks together into a worker task)
READ_BYTES = 1 << 20  # JSONL is read a MiB at a time and cut into blocks of lines there
assert READ_BYTES <= MAX_RECORD_BYTES  # so only a line that spans pieces can be over the limit


class RowBlock(NamedTuple):
    """Consecutive JSONL lines, not parsed yet, as one bytes object: the reader only finds where
    lines end and hands them on 64 at a time. Reading a line at a time and sending each as a
    RawRow took the reading thread ~1 CPU-s per 100k rows, on the writer's core; making a bytes
    object per line in the reader still cost half of that."""

    source: str
    first_lineno: int
    data: bytes  # n_lines lines, joined by b"\n"
    n_lines: int
    text_field: str | None
    offset: int = -1  # where data starts in the file, if it is the file's own bytes (not gzip's)
    file_id: tuple[int, int] = (0, 0)  # the file's (device, inode), read with the file

    def rows(self) -> Iterator[RawRow]:
        return _rows(self.source, self.first_lineno, self.data, self.text_field)

    def span(self) -> RowSpan:
        """The block as where it lies in its file (offset ≥ 0), for a process that reads it itself."""
        return RowSpan(self.source, self.first_lineno, self.n_lines, self.text_field, self.offset, len(self.data),
                       self.file_id)


def _rows(source: str, first: int, data: bytes, field: str | None) -> Iterator[RawRow]:
    for i, line in enumerate(data.split(b"\n")):
        if line and not line.isspace():  # isspace: the ASCII white space bytes.strip() strips
            yield _raw_row(source, first + i, line, field)


class RowSpan(NamedTuple):
    """A RowBlock of a plain (not compressed) file without its bytes: a worker reads them from the
    file itself. The block's bytes no longer pass through the writer's process (pickled by a
    sender thread, written to a pipe: ~0.6 CPU-s of the writer's core per 100k rows)."""

    source: str
    first_lineno: int
    n_lines: int
    text_field: str | None
    offset: int
    length: int
    file_id: tuple[int, int]  # (device, inode) of the file the reader read: not another one since

    def rows(self) -> Iterator[RawRow]:
        """The block's rows; InputError if the file no longer holds them: cut short, or replaced by
        another file (a file rewritten in place to the same length is not told apart)."""
        global _span_file
        try:
            if _span_file is None or _span_file[0] != self.source:
                if _span_file is not None:  # one file open at a time: the reader goes file by file
                    os.close(_span_file[1])
                    _span_file = None
                fd = os.open(self.source, os.O_RDONLY)
                stat = os.fstat(fd)
                _span_file = (self.source, fd, (stat.st_dev, stat.st_ino))
            _, fd, file_id = _span_file
            if file_id != tuple(self.file_id):
                raise InputError("the file was replaced while it was being read")
            data = os.pread(fd, self.length, self.offset)
        except OSError as err:
            raise InputError(f"cannot read ({err.strerror or err})") from None
        if len(data) != self.length:
            raise InputError("the file changed while it was being read")
        return _rows(self.source, self.first_lineno, data, self.text_field)


_span_file: tuple[str, int, tuple[int, int]] | None = None  # (path, fd, file id) a worker reads spans of


def _read_jsonl(path: Path, text_field: str | None) -> Iterator[RowBlock | Problem]:
    with _open_binary(path) as raw:
        plain = isinstance(getattr(raw, "raw", None), io.FileIO)
        stat = os.fstat(raw.fileno()) if plain else None
        yield from read_jsonl_stream(raw, str(path), text_field, plain, (stat.st_dev, stat.st_ino) if stat else (0, 0))


def read_jsonl_stream(raw: io.BufferedIOBase, source: str, text_field: str | None, plain: bool = False,
                      file_id: tuple[int, int] = (0, 0)) -> Iterator[RowBlock | Problem]:
    """The JSONL lines of a binary stream as RowBlocks, a Problem for each line over the limit.
    `plain`: the stream is the file's own bytes (each block then says where it starts), the file
    `file_id` (device, inode)."""
    lineno = 1
    for block in _line_blocks(raw):
        if block is None:
            yield Problem(source, f"line longer than the {MAX_RECORD_BYTES >> 20} MiB limit", lineno)
            lineno += 1
            continue
        data, n, offset = block
        yield RowBlock(source, lineno, data, n, text_field, offset if plain else -1, file_id)
        lineno += n


def _line_blocks(raw: io.BufferedIOBase) -> Iterator[tuple[bytes, int, int] | None]:
    """Runs of up to ROWS_PER_BLOCK lines of a binary stream: (their bytes, joined by b"\n",
    how many, where they start in the stream). None in place of a line longer than
    MAX_RECORD_BYTES, which is skipped without being held (at most MAX_RECORD_BYTES + READ_BYTES
    of it are)."""
    head: list[bytes] = []  # the start of a line that goes on in the next piece
    held = 0  # bytes in head
    skipping = False  # inside an over-long line: dropped up to its end
    at = 0  # where the piece read last starts in the stream
    while True:
        piece = raw.read(READ_BYTES)
        if not piece:
            break
        start, at = at, at + len(piece)
        if skipping:
            end = piece.find(b"\n")
            if end < 0:
                continue
            yield None  # once it has ended: a stream that fails inside it reports that instead
            piece, skipping, start = piece[end + 1 :], False, start + end + 1
        last = piece.rfind(b"\n")
        if last < 0:
            head.append(piece)
            held += len(piece)
            if held > MAX_RECORD_BYTES:
                head, held, skipping = [], 0, True
            continue
        pos = 0
        if head:  # the line begun in earlier pieces ends in this one
            pos = piece.find(b"\n") + 1
            line = b"".join(head) + piece[: pos - 1]
            yield (line, 1, start - held) if len(line) <= MAX_RECORD_BYTES else None
        while pos <= last:
            end, n = pos, 0
            while n < ROWS_PER_BLOCK and end <= last:
                end = piece.find(b"\n", end) + 1
                n += 1
            yield piece[pos : end - 1], n, start + pos
            pos = end
        head, held = ([piece[last + 1 :]], len(piece) - last - 1) if last + 1 < len(piece) else ([], 0)
    if skipping:
        yield None
    elif held:
        line = b"".join(head)
        yield (line, 1, at - held) if len(line) <= MAX_RECORD_BYTES else None


def _read_parquet(path: Path, text_field: str | None) -> Iterator[Capture | Problem]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = str(path)
    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as err:
        raise InputError(f"not a readable Parquet file ({_quote(err)})") from None
    names = pf.schema_arrow.names
    wanted = [text_field] if text_field else list(TEXT_FIELDS)
    if not any(f in names for f in wanted):
        raise InputError(f"no text column {'/'.join(wanted)} (columns: {_quote(', '.join(names[:10]))})")
    columns = [c for c in names if c in set(wanted) | {"id", "title", "url", "date"}]
    rowno = 0
    try:
        for batch in pf.iter_batches(batch_size=1024, columns=columns):
            for row in batch.to_pylist():
                rowno += 1
                cap = _row_capture(row, text_field, f"{source}:{rowno}")
                yield cap if isinstance(cap, Capture) else Problem(source, cap, rowno)
    except (pa.ArrowException, OSError) as err:
        yield Problem(source, f"corrupt Parquet data after row {rowno} ({_quote(err)})")


def _read_warc(path: Path) -> Iterator[Capture | Problem]:
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    source = str(path)
    n = 0
    with open(path, "rb") as fh:
        try:
            for record in ArchiveIterator(fh):
                if record.rec_type != "response":
                    continue
                ctype = (record.http_headers.get_header("Content-Type") if record.http_headers else "") or ""
                if "html" not in ctype.lower():
                    continue
                n += 1
                uri = record.rec_headers.get_header("WARC-Target-URI") or f"record-{n}"
                data = record.content_stream().read(MAX_CAPTURE_BYTES + 1)
                if len(data) > MAX_CAPTURE_BYTES:
                    yield Problem(source, f"record {uri} larger than the {MAX_CAPTURE_BYTES >> 20} MiB limit")
                    continue
                text = decode(data, f"{source}#{uri}")
                if isinstance(text, Problem):
                    yield text
                    continue
                yield Capture(name=f"{source}#{uri}", content=text, kind="html", meta={"url": uri})
        except (ArchiveLoadFailed, EOFError, ValueError, zlib.error, gzip.BadGzipFile) as err:
            yield Problem(source, f"corrupt WARC record after {n} records ({_quote(err)})")
