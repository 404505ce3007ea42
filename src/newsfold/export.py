"""Exports: one row per article occurrence (or per story), as JSON lines or Parquet.

A file is written beside its final name and renamed over it at the end: an export killed or
failing part-way leaves the previous file as it was. Rows stream through in bounded memory in
both formats (Parquet in row groups of PARQUET_ROWS)."""
from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice

from .terminal import is_terminal, json_for_terminal

# url, published and captured (ISO 8601 UTC, null when unknown): where and when a version was found
EXPORT_FIELDS = ("capture", "position", "title", "caption", "credit", "text", "story", "canonical", "url",
                 "published", "captured")
UNIQUE_FIELDS = EXPORT_FIELDS + ("occurrences",)  # one row per story: how many occurrences it has
_ARROW_TYPES = {"position": "int32", "canonical": "bool_", "occurrences": "int32"}  # the rest: strings
PARQUET_ROWS = 8192  # rows a Parquet row group holds: ~25 MB of news text in memory at a time


def write_export(rows: Iterable[dict], out, fmt: str = "jsonl", fields: tuple[str, ...] = EXPORT_FIELDS) -> int:
    """Write the export rows' `fields` to `out` (a path, or None/'-' for stdout); how many."""
    rows = ({k: r[k] for k in fields} for r in rows)
    to_stdout = out in (None, "-")
    if fmt == "parquet":
        if to_stdout:
            return _write_parquet(rows, sys.stdout.buffer, fields)
        with _replacing(str(out), "wb") as fh:
            return _write_parquet(rows, fh, fields)
    if to_stdout:
        return _write_jsonl(rows, sys.stdout, is_terminal(sys.stdout))
    with _replacing(str(out), "w") as fh:
        return _write_jsonl(rows, fh, False)


def _write_jsonl(rows: Iterator[dict], fh, terminal: bool) -> int:
    n = 0
    for r in rows:
        line = one_json_line(r)
        fh.write((json_for_terminal(line) if terminal else line) + "\n")
        n += 1
    return n


def one_json_line(row: dict) -> str:
    """`row` as JSON on one line for any reader: U+0085, U+2028 and U+2029, which JSON allows raw
    but str.splitlines() and older JavaScript take for line ends, are escaped (the same data)."""
    line = json.dumps(row, ensure_ascii=False)
    if line.isascii():
        return line
    return line.replace("\x85", "\\u0085").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _write_parquet(rows: Iterator[dict], fh, fields: tuple[str, ...]) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(k, getattr(pa, _ARROW_TYPES.get(k, "string"))()) for k in fields])
    n = 0
    with pq.ParquetWriter(fh, schema) as writer:
        while True:
            group = list(islice(rows, PARQUET_ROWS))
            if not group and n:
                break
            writer.write_table(pa.Table.from_pylist(group, schema=schema))  # an empty export: one empty group
            n += len(group)
            if len(group) < PARQUET_ROWS:
                break
    return n


@contextmanager
def _replacing(path: str, mode: str):
    """A file to write that takes the place of `path` only once it is whole."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, partial = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".partial", dir=folder)
    try:
        with os.fdopen(fd, mode, **({"encoding": "utf-8"} if "b" not in mode else {})) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        try:  # mkstemp made it private: the export gets the mode of the file it replaces, or 0644
            os.chmod(partial, os.stat(path).st_mode & 0o7777)
        except FileNotFoundError:
            os.chmod(partial, 0o644)
        os.replace(partial, path)
    except BaseException:
        try:
            os.unlink(partial)
        except OSError:
            pass
        raise
