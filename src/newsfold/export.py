"""Exports: one row per article occurrence (or per story), as JSON lines or Parquet."""
from __future__ import annotations

import json
import sys
from collections.abc import Iterable

EXPORT_FIELDS = ("capture", "position", "title", "caption", "credit", "text", "story", "canonical")


def write_export(rows: Iterable[dict], out, fmt: str = "jsonl") -> int:
    """Write the export rows to `out` (a path, or None/'-' for stdout); how many."""
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
