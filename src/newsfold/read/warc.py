"""WARC files: each HTML response record one capture, named by the file and its target URI.

warcio parses the records, under the read budget: the file is decompressed by `open_binary`
(the same bomb guard as any .gz), a header line is cut off at MAX_HEADER_LINE_BYTES instead of
being gathered whole, a record's payload is read up to MAX_CAPTURE_BYTES, and warcio's warnings
(written to stderr) become problem lines. A record that cannot be used is its own problem; the
records before it and after it are kept where warcio can go on.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from ..model import Capture, Problem
from .files import MAX_CAPTURE_BYTES, MAX_HEADER_LINE_BYTES, InputError, decode, names, open_binary, quote


def read_warc(path: Path) -> Iterator[Capture | Problem]:
    source = str(path)
    name, alias = names(source)
    with open_binary(path) as fh:
        start = fh.peek(256)[:256].lstrip()
        if not start.startswith((b"WARC/", b"filedesc://")):  # a WARC, or the ARC format before it
            first = start.split(b"\n", 1)[0].decode("utf-8", "replace").strip()
            raise InputError(f"not a WARC file (it starts with {quote(first)!r})")
        records = _records(fh)
        n = html = 0
        try:
            for record in records:
                n += 1
                try:
                    item = _capture(record, n, source, name, alias)
                except InputError:
                    raise
                except Exception as err:  # noqa: BLE001 - this record's problem, not the file's
                    item = Problem(source, f"record {n}: unreadable ({type(err).__name__}: {quote(err)})")
                if item is not None:
                    html += isinstance(item, Capture)
                    yield item
        except Exception as err:  # noqa: BLE001 - the stream cannot be followed past this point
            yield Problem(source, f"corrupt WARC record after {n} records ({quote(err)})")
            return
        if records.warnings:
            yield Problem(source, f"{records.warnings} records not followed by a blank line (a wrong Content-Length?)")
        elif not html and n:
            yield Problem(source, "no HTML response record")


def _capture(record, n: int, source: str, name: str, alias: str) -> Capture | Problem | None:
    """The capture of an HTML response record, its problem, or None for any other record."""
    if record.rec_type != "response":
        return None
    ctype = (record.http_headers.get_header("Content-Type") if record.http_headers else "") or ""
    if "html" not in ctype.lower():
        return None
    uri = record.rec_headers.get_header("WARC-Target-URI")
    if not uri:
        return Problem(source, f"record {n}: a response record without WARC-Target-URI")
    data = record.content_stream().read(MAX_CAPTURE_BYTES + 1)
    if len(data) > MAX_CAPTURE_BYTES:
        return Problem(source, f"record {quote(uri)} larger than the {MAX_CAPTURE_BYTES >> 20} MiB limit")
    text = decode(data, f"{source}#{uri}")
    if isinstance(text, Problem):
        return text
    meta = {"url": uri, "captured": record.rec_headers.get_header("WARC-Date") or ""}
    return Capture(name=f"{name}#{uri}", content=text, kind="html", meta=meta,
                   alias=f"{alias}#{uri}" if alias else "", page=True)


def _records(fh):
    """warcio's record iterator over a decompressed stream, under the read budget."""
    # warcio logs what it repairs (spaces in a target URI) through `logging`, which with no handler
    # set writes to stderr: a capture's problems are problem lines, and these were repaired
    quiet = logging.getLogger("warcio")
    if not quiet.handlers:
        quiet.addHandler(logging.NullHandler())
    from warcio.archiveiterator import ArchiveIterator
    from warcio.bufferedreaders import DecompressingBufferedReader
    from warcio.recordloader import ArcWarcRecordLoader

    class Reader(DecompressingBufferedReader):
        def readline(self, length=None):
            """warcio's, cut off at the budget (warcio gathers a line whole, however long)."""
            cap = MAX_HEADER_LINE_BYTES + 1
            limit = cap if length is None else min(length, cap)
            parts, got = [], 0
            while got < limit:
                self._fillbuff()
                if self.empty():
                    break
                part = self.buff.readline(limit - got)
                parts.append(part)
                got += len(part)
                if part.endswith(b"\n"):
                    break
            if got >= cap and not parts[-1].endswith(b"\n"):
                raise InputError(f"a header line longer than the {MAX_HEADER_LINE_BYTES >> 10} KiB limit")
            return b"".join(parts)

    class Loader(ArcWarcRecordLoader):
        def load_http_headers(self, rec_type, uri, stream, length):
            # a record without WARC-Target-URI: its HTTP headers are still read (warcio would fail)
            return super().load_http_headers(rec_type, uri or "http:", stream, length)

    class Records(ArchiveIterator):
        warnings = 0

        def __init__(self, stream) -> None:
            super().__init__(stream)
            self.loader = Loader()
            self.reader = Reader(self.fh, block_size=16384, decomp_type=None)  # decompressed already

        def _consume_blanklines(self):
            """warcio's, with its warning counted instead of written to stderr."""
            empty_size = 0
            first_line = True
            while True:
                line = self.reader.readline()
                if len(line) == 0:
                    return None, empty_size
                if len(line.rstrip()) == 0 or first_line:
                    empty_size += len(line)
                    if len(line.rstrip()) != 0:
                        self.warnings += 1
                    first_line = False
                    continue
                return line, empty_size

    return Records(fh)
