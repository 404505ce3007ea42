"""Serve stage: write exports and print things for people. Scraped text is untrusted: what goes
to a terminal has its control characters removed (no escape sequences reach the screen)."""
from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable

EXPORT_FIELDS = ("capture", "position", "title", "caption", "credit", "text", "story", "canonical")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def safe(text: str, width: int | None = None) -> str:
    """Text fit for a terminal: no control or bidi-override characters, one line, optionally cut."""
    s = _CONTROL.sub("", " ".join(str(text).split()))
    return s if width is None or len(s) <= width else s[: width - 1] + "…"


def write_export(rows: Iterable[dict], out, fmt: str = "jsonl") -> int:
    rows = ({k: r[k] for k in EXPORT_FIELDS} for r in rows)
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        data = list(rows)
        schema = pa.schema([("capture", pa.string()), ("position", pa.int32()), ("title", pa.string()),
                            ("caption", pa.string()), ("credit", pa.string()), ("text", pa.string()),
                            ("story", pa.string()), ("canonical", pa.bool_())])
        pq.write_table(pa.Table.from_pylist(data, schema=schema), out if out not in (None, "-") else sys.stdout.buffer)
        return len(data)
    n = 0
    fh = sys.stdout if out in (None, "-") else open(out, "w", encoding="utf-8")
    try:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
            n += 1
    finally:
        if fh is not sys.stdout:
            fh.close()
    return n
