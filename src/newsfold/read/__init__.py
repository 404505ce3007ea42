"""Read stage: find input files and turn them into decoded `Capture`s, or `Problem`s for bad input.

Everything here streams: a JSONL/Parquet/WARC file is read record by record, and every limit of
the one budget in `files.py` (sizes before and after decompression, line and header-line length,
field sizes, nesting, digits) is checked before the bytes are held. Whatever a parser raises on a
file, row or record becomes that one's `Problem`; what was read before it is kept.
`files.py`: paths, formats, decoding; `rows.py`: JSONL and Parquet rows; `warc.py`: WARC records.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..model import Capture, Problem
from .files import InputError, capture_name, decode, discover, format_of, looks_like_html, quote, read_page, valid_text
from .rows import RawRow, RowBlock, RowSpan, parse_row, read_jsonl, read_parquet, resolve
from .warc import read_warc

__all__ = ["InputError", "RawRow", "RowBlock", "RowSpan", "capture_name", "decode", "discover", "format_of",
           "looks_like_html", "parse_row", "read_path", "resolve", "valid_text"]


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
            for block in read_jsonl(path, text_field):
                if blocks or isinstance(block, Problem):
                    yield block
                else:
                    yield from block.rows()
        elif fmt == "parquet":
            yield from read_parquet(path, text_field)
        elif fmt == "warc":
            yield from read_warc(path)
        else:
            yield read_page(path, fmt)
    except InputError as err:
        yield Problem(source, str(err))
    except PermissionError:
        yield Problem(source, "permission denied")
    except OSError as err:
        yield Problem(source, f"cannot read ({err.strerror or err})")
    except Exception as err:  # noqa: BLE001 - a parser's failure on one file is that file's problem
        yield Problem(source, f"unreadable ({type(err).__name__}: {quote(err)})")
