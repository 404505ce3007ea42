"""WARC files: each HTML response record one capture, named by the file and its target URI."""
from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path

from ..model import Capture, Problem
from .files import MAX_CAPTURE_BYTES, decode, quote


def read_warc(path: Path) -> Iterator[Capture | Problem]:
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
                meta = {"url": uri, "captured": record.rec_headers.get_header("WARC-Date") or ""}
                yield Capture(name=f"{source}#{uri}", content=text, kind="html", meta=meta)
        except (ArchiveLoadFailed, EOFError, ValueError, zlib.error, gzip.BadGzipFile) as err:
            yield Problem(source, f"corrupt WARC record after {n} records ({quote(err)})")
