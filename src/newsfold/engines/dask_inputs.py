"""The Dask engine's partitions of the input, and reading one: plain JSONL files cut into byte
ranges at line starts (a first pass counts each range's lines, so problems and row names carry
the same line numbers as in the local engine); other files grouped whole (pages, WARC, Parquet,
gzip JSONL: a gzip stream cannot be cut)."""
from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

from ..model import Problem
from ..read import format_of, read_path
from ..read.rows import read_jsonl_stream


class FileGroup(NamedTuple):
    """Whole input files read by one task (capture pages, WARC, Parquet, gzip JSONL)."""

    paths: tuple[str, ...]
    text_field: str | None


class LineRange(NamedTuple):
    """The lines of a plain JSONL file in bytes [start, end), both at line starts; first_lineno:
    the number of the first (known once the lines before it are counted)."""

    path: str
    start: int
    end: int
    text_field: str | None
    first_lineno: int = 1


def count_lines(part: LineRange) -> int:
    """How many lines the range holds (a last line without its end counts)."""
    n, at, last = 0, part.start, b"\n"
    with open(part.path, "rb") as fh:
        fh.seek(part.start)
        while at < part.end:
            piece = fh.read(min(1 << 22, part.end - at))
            if not piece:
                break
            n += piece.count(b"\n")
            at += len(piece)
            last = piece[-1:]
    return n + (last != b"\n")


def read_part(part: FileGroup | LineRange):
    """The captures, row blocks and problems of a partition, in input order (line numbers and
    problems counted from the file's first line)."""
    if isinstance(part, LineRange):
        with open(part.path, "rb") as fh:
            fh.seek(part.start)
            data = fh.read(part.end - part.start)
        if len(data) != part.end - part.start:
            yield Problem(part.path, "the file changed while it was being read")
            return
        for item in read_jsonl_stream(io.BytesIO(data), part.path, part.text_field):
            if isinstance(item, Problem):
                yield item if item.line is None else replace(item, line=item.line + part.first_lineno - 1)
            else:
                yield item._replace(first_lineno=item.first_lineno + part.first_lineno - 1)
        return
    for path in part.paths:
        yield from read_path(Path(path), part.text_field, blocks=True)

def cut_inputs(files: list[tuple[Path, int]], target: int, text_field: str | None) -> list[FileGroup | LineRange]:
    """Files (path, size) in order → partitions of about `target` bytes: a plain JSONL file
    bigger than that cut into line ranges, other files grouped until they reach it."""
    parts: list[FileGroup | LineRange] = []
    group: list[str] = []
    held = 0
    for path, size in files:
        if format_of(path) == "jsonl" and plain(path) and size > target:
            if group:
                parts.append(FileGroup(tuple(group), text_field))
                group, held = [], 0
            parts.extend(line_ranges(path, size, target, text_field))
            continue
        group.append(str(path))
        held += size
        if held >= target:
            parts.append(FileGroup(tuple(group), text_field))
            group, held = [], 0
    if group:
        parts.append(FileGroup(tuple(group), text_field))
    return parts


def numbered(parts: list[FileGroup | LineRange], counts: dict[int, int]) -> list[FileGroup | LineRange]:
    """The partitions with each line range's first line number, from the line counts of the
    ranges (`counts`: partition → lines) before it in its file."""
    line: dict[str, int] = {}
    out = list(parts)
    for k, n in sorted(counts.items()):
        first = line.get(out[k].path, 1)
        out[k] = out[k]._replace(first_lineno=first)
        line[out[k].path] = first + n
    return out


def plain(path: Path) -> bool:
    """Not gzip (a gzip stream cannot be cut into byte ranges)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(2) != b"\x1f\x8b"
    except OSError:
        return False


def line_ranges(path: Path, size: int, target: int, text_field: str | None) -> list:
    """A plain JSONL file cut into byte ranges of about `target` bytes, each starting at a line start."""
    cuts = [0]
    with open(path, "rb") as fh:
        while cuts[-1] + target < size:
            fh.seek(cuts[-1] + target)
            at = cuts[-1] + target
            while True:
                piece = fh.read(1 << 16)
                if not piece:
                    at = size
                    break
                end = piece.find(b"\n")
                if end >= 0:
                    at += end + 1
                    break
                at += len(piece)
            if at >= size:
                break
            cuts.append(at)
    cuts.append(size)
    return [LineRange(str(path), a, b, text_field) for a, b in zip(cuts[:-1], cuts[1:])]
