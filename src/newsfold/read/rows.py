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
from .files import (MAX_CAPTURE_BYTES, MAX_DECOMPRESSED_BYTES, MAX_FIELD_CHARS, MAX_GZIP_RATIO, MAX_JSON_DEPTH,
                    MAX_NUMBER_DIGITS, InputError, capture_name, looks_like_html, open_binary, quote, shown_name,
                    valid_text)

TEXT_FIELDS = ("text", "body", "content")
META_FIELDS = ("title", "url", "date")
# a row's own capture time (what a crawler records), the first of these it has: Capture.meta["captured"]
CAPTURED_FIELDS = ("captured", "captured_at", "crawled_at", "crawl_date", "fetched_at", "fetch_time", "retrieved_at")
_CAPTURED = frozenset(CAPTURED_FIELDS)
MAX_RECORD_BYTES = MAX_CAPTURE_BYTES  # one JSONL line


def _row_text(row: dict, text_field: str | None) -> str | None:
    fields = (text_field,) if text_field else TEXT_FIELDS
    for f in fields:
        value = row.get(f)
        if isinstance(value, str) and value.strip():
            return value
    return None


def row_capture(row: dict, text_field: str | None, source: str, lineno: int, repair: bool = False) -> Capture | str:
    """One JSONL/Parquet row (line or row `lineno` of the file `source`) as a capture, or the
    reason it is not one. `repair`: its strings may hold lone surrogates (see `valid_text`)."""
    text = _row_text(row, text_field)
    if text is None:
        wanted = text_field or "/".join(TEXT_FIELDS)
        return f"no text in field '{wanted}'"
    rid = row.get("id")
    rid = str(rid) if isinstance(rid, (str, int)) and not isinstance(rid, bool) else ""
    if len(rid) > MAX_FIELD_CHARS:
        return f"field 'id' longer than the {MAX_FIELD_CHARS:,}-character limit"
    meta = {}
    for k in META_FIELDS:
        value = row.get(k)
        if isinstance(value, (str, int, float)) and value != "":
            value = str(value)
            if len(value) > MAX_FIELD_CHARS:
                return f"field '{k}' longer than the {MAX_FIELD_CHARS:,}-character limit"
            meta[k] = valid_text(value) if repair else value
    if not _CAPTURED.isdisjoint(row):
        captured = next((str(row[k]) for k in CAPTURED_FIELDS if isinstance(row.get(k), (str, int, float))
                         and not isinstance(row.get(k), bool) and row[k] != ""), "")
        if captured and len(captured) <= MAX_FIELD_CHARS:
            meta["captured"] = valid_text(captured) if repair else captured
    if rid:
        name, alias = (valid_text(rid) if repair else rid), ""
    else:  # named by where it is: the file's capture name (and the name as spelled, for older stores)
        name, alias = f"{capture_name(source)}:{lineno}", f"{shown_name(source)}:{lineno}"
        alias = "" if alias == name else alias
    if repair:
        text = valid_text(text)
    kind = "html" if looks_like_html(text) else "text"
    return Capture(name=name, content=text, kind=kind, meta=meta, alias=alias)


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


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise InputError(f"a number of {len(digits):,} digits (the limit is {MAX_NUMBER_DIGITS:,})")
    return int(digits)


def _loads(data: bytes) -> tuple[object, bool]:
    """(the parsed row, whether its strings may hold lone surrogates). orjson (3× the standard
    parser's speed on news rows); the standard parser for what orjson refuses and it accepts (NaN,
    integers over 64 bits, lone surrogates), and for its error message; InputError past the budget
    (nesting, digits)."""
    try:
        return orjson.loads(data), False
    except orjson.JSONDecodeError as err:
        if "depth" in str(err) or "recursion" in str(err).lower():
            raise InputError(f"nested deeper than {MAX_JSON_DEPTH:,} levels") from None
    try:
        return json.loads(data, parse_int=_bounded_int), True
    except RecursionError:
        raise InputError(f"nested deeper than {MAX_JSON_DEPTH:,} levels") from None


def parse_row(raw: RawRow) -> Capture | Problem:
    """A JSONL line as a capture, or its problem: whatever goes wrong with one line is that line's
    problem, never the run's."""
    try:
        row, repair = _loads(raw.data)
        if not isinstance(row, dict):
            return Problem(raw.source, f"a JSON {type(row).__name__}, not an object", raw.lineno)
        cap = row_capture(row, raw.text_field, raw.source, raw.lineno, repair)
    except InputError as err:
        return Problem(raw.source, str(err), raw.lineno)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        return Problem(raw.source, f"malformed JSON ({err.msg if hasattr(err, 'msg') else err})", raw.lineno)
    except Exception as err:  # noqa: BLE001 - untrusted input: any failure is this line's
        return Problem(raw.source, f"unreadable row ({type(err).__name__}: {quote(err)})", raw.lineno)
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
            rows.append(_loads(line)[0])
        except (ValueError, InputError):
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
    """The rows of a Parquet file as captures. Strings are read as bytes and checked against the
    budget before Python sees them (a 400 MB value is never decoded), then decoded as UTF-8 with
    bad bytes marked (a careless producer's string column need not be valid); a column that
    expands like a bomb is refused from the file's metadata, before it is decompressed."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = str(path)
    try:
        pf = pq.ParquetFile(path)
        schema = pf.schema_arrow
    except Exception as err:  # noqa: BLE001 - any damage to the footer
        raise InputError(f"not a readable Parquet file ({quote(err)})") from None
    names = schema.names
    wanted = [text_field] if text_field else list(TEXT_FIELDS)
    if not any(f in names for f in wanted):
        raise InputError(f"no text column {'/'.join(wanted)} (columns: {quote(', '.join(names[:10]))})")
    # the columns a row is read from, of the types it can use (a nested column is never built)
    usable = (pa.types.is_string, pa.types.is_large_string, pa.types.is_binary, pa.types.is_large_binary,
              pa.types.is_integer, pa.types.is_floating, pa.types.is_dictionary)
    columns: list[str] = []
    for fld in schema:
        if fld.name in {*wanted, "id", *META_FIELDS, *CAPTURED_FIELDS} and fld.name not in columns and any(
                ok(fld.type) for ok in usable):
            columns.append(fld.name)
    _refuse_bombs(pf, columns, path.stat().st_size)
    rowno = 0
    try:
        for batch in pf.iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=columns):
            values, too_big = _batch_values(batch, set(wanted))
            for i in range(batch.num_rows):
                rowno += 1
                if i in too_big:
                    yield Problem(source, too_big[i], rowno)
                    continue
                cap = row_capture({c: v[i] for c, v in values.items()}, text_field, source, rowno)
                yield cap if isinstance(cap, Capture) else Problem(source, cap, rowno)
    except Exception as err:  # noqa: BLE001 - whatever a damaged page raises
        yield Problem(source, f"corrupt Parquet data after row {rowno} ({type(err).__name__}: {quote(err)})")


def _size(n: int) -> str:
    return f"{n >> 20} MiB" if n >= 1 << 20 else f"{n >> 10} KiB"


PARQUET_BATCH_ROWS = 256  # rows decoded at a time (each at most MAX_CAPTURE_BYTES of text)


def _refuse_bombs(pf, columns: list[str], file_bytes: int) -> None:
    """InputError if a column chunk expands past the budget: past MAX_CAPTURE_BYTES at more than
    MAX_GZIP_RATIO:1, or the columns read past max(MAX_DECOMPRESSED_BYTES, ratio × file size)."""
    meta = pf.metadata
    at = {meta.schema.column(j).path: j for j in range(meta.num_columns)}
    total = 0
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        for name in columns:
            if name not in at:
                continue
            chunk = group.column(at[name])
            size, packed = chunk.total_uncompressed_size, max(chunk.total_compressed_size, 1)
            total += size
            if size > MAX_CAPTURE_BYTES and size > MAX_GZIP_RATIO * packed:
                raise InputError(f"column '{quote(name)}' of row group {g} expands {size // packed:,} times, to "
                                 f"{size >> 20:,} MiB: past the {MAX_GZIP_RATIO}:1 limit (a bomb?)")
    if total > max(MAX_DECOMPRESSED_BYTES, MAX_GZIP_RATIO * file_bytes):
        raise InputError(f"decompresses to {total >> 20:,} MiB: past the limit (a bomb?)")


def _batch_values(batch, text_columns: set[str]) -> tuple[dict[str, list], dict[int, str]]:
    """A batch's columns as Python lists (strings decoded leniently), and the rows with a value
    over the budget (row in the batch → reason), which are never decoded."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values: dict[str, list] = {}
    too_big: dict[int, str] = {}
    for name, column in zip(batch.schema.names, batch.columns):
        if pa.types.is_dictionary(column.type):
            column = column.dictionary_decode()
        kind = column.type
        if not (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind)
                or pa.types.is_large_binary(kind)):
            values[name] = column.to_pylist()
            continue
        raw = column.view(pa.large_binary() if kind in (pa.large_string(), pa.large_binary()) else pa.binary())
        limit = MAX_CAPTURE_BYTES if name in text_columns else 4 * MAX_FIELD_CHARS
        sizes = pc.binary_length(raw)
        if (pc.max(sizes).as_py() or 0) > limit:
            over = pc.greater(sizes, limit)
            for i in pc.indices_nonzero(over).to_pylist():
                too_big.setdefault(i, f"field '{quote(name)}' larger than the {_size(limit)} limit")
            raw = pc.if_else(over, pa.scalar(None, raw.type), raw)
        values[name] = [None if v is None else v.decode("utf-8", "replace") for v in raw.to_pylist()]
    return values, too_big
