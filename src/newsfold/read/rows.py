"""JSONL and Parquet rows: each row one capture (its text field, with id, title, url and date
when present). JSONL is cut into blocks of lines by the reading thread and parsed in the
workers; a block of a plain file can go as where it lies in the file, for the worker to read."""
from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import orjson

from ..model import Capture, Problem
from .files import InputError, looks_like_html, open_binary, quote

TEXT_FIELDS = ("text", "body", "content")
# a row's own capture time (what a crawler records), the first of these it has: Capture.meta["captured"]
CAPTURED_FIELDS = ("captured", "captured_at", "crawled_at", "crawl_date", "fetched_at", "fetch_time", "retrieved_at")
_CAPTURED = frozenset(CAPTURED_FIELDS)
MAX_RECORD_BYTES = 20 * 1024 * 1024  # one JSONL line / WARC record


def _row_text(row: dict, text_field: str | None) -> str | None:
    fields = (text_field,) if text_field else TEXT_FIELDS
    for f in fields:
        value = row.get(f)
        if isinstance(value, str) and value.strip():
            return value
    return None


def row_capture(row: dict, text_field: str | None, fallback_id: str) -> Capture | str:
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
    if not _CAPTURED.isdisjoint(row):
        meta["captured"] = next((row[k] for k in CAPTURED_FIELDS if isinstance(row.get(k), (str, int, float))
                                 and row[k] != ""), "")
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
    cap = row_capture(row, raw.text_field, f"{raw.source}:{raw.lineno}")
    return cap if isinstance(cap, Capture) else Problem(raw.source, cap, raw.lineno)


def resolve(item: Capture | RawRow | Problem) -> Capture | Problem:
    """What `read_path` yielded, as a capture or a problem (parsing a raw row if need be)."""
    return parse_row(item) if isinstance(item, RawRow) else item


ROWS_PER_BLOCK = 64  # JSONL lines per RowBlock (ingest puts blocks together into a worker task)
READ_BYTES = 1 << 20  # JSONL is read a MiB at a time and cut into blocks of lines there
assert READ_BYTES <= MAX_RECORD_BYTES  # so only a line that spans pieces can be over the limit


class RowBlock(NamedTuple):
    """Consecutive JSONL lines, not parsed yet, as one bytes object: the reader only finds where
    lines end and hands them on 64 at a time: the reading thread shares the writer's core, and a
    Python object per line there would cost the writer's time."""

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
    file itself, so the corpus' bytes never pass through the writer's process (pickled by a
    sender thread and written to a pipe, on the writer's core)."""

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


PROBE_ROWS = 5  # rows a JSONL file is judged on before its rows are read one by one


def probe_rows(path: Path, text_field: str | None) -> str | None:
    """Why a JSONL file is not one of captures, judged on its first rows (None: it may be): a
    JSON document rather than JSON lines, or rows none of which has a text field (a truth file,
    a log). One line for the file, where its rows would each give one."""
    with open_binary(path) as raw:
        head = raw.read(READ_BYTES)
    lines = [line for line in head.split(b"\n")[:-1 if len(head) == READ_BYTES else None] if line.strip()]
    rows = []
    for line in lines[:PROBE_ROWS]:
        try:
            rows.append(_loads(line))
        except (ValueError, RecursionError):
            rows.append(None)
    objects = [r for r in rows if isinstance(r, dict)]
    if rows and not objects:
        return "not JSON lines (its first lines are no JSON objects: a JSON document, or another format)"
    if len(objects) == len(rows) and objects and all(_row_text(r, text_field) is None for r in objects):
        fields = sorted({k for r in objects for k in r})
        return (f"no row has text in field '{text_field or '/'.join(TEXT_FIELDS)}' "
                f"(fields: {quote(', '.join(fields[:12]))}; --text-field names another)")
    return None


def read_jsonl(path: Path, text_field: str | None) -> Iterator[RowBlock | Problem]:
    why = probe_rows(path, text_field)
    if why is not None:
        raise InputError(why)
    with open_binary(path) as raw:
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


def read_parquet(path: Path, text_field: str | None) -> Iterator[Capture | Problem]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = str(path)
    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as err:
        raise InputError(f"not a readable Parquet file ({quote(err)})") from None
    names = pf.schema_arrow.names
    wanted = [text_field] if text_field else list(TEXT_FIELDS)
    if not any(f in names for f in wanted):
        raise InputError(f"no text column {'/'.join(wanted)} (columns: {quote(', '.join(names[:10]))})")
    columns = [c for c in names if c in set(wanted) | {"id", "title", "url", "date", *CAPTURED_FIELDS}]
    rowno = 0
    try:
        for batch in pf.iter_batches(batch_size=1024, columns=columns):
            for row in batch.to_pylist():
                rowno += 1
                cap = row_capture(row, text_field, f"{source}:{rowno}")
                yield cap if isinstance(cap, Capture) else Problem(source, cap, rowno)
    except (pa.ArrowException, OSError) as err:
        yield Problem(source, f"corrupt Parquet data after row {rowno} ({quote(err)})")
