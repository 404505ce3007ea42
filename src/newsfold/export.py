"""Exports: one row per article occurrence (or per story), as JSON lines or Parquet."""
from __future__ import annotations

import json
import sys
from collections.abc import Iterable

# url, published and captured (ISO 8601 UTC, null when unknown): where and when a version was found
EXPORT_FIELDS = ("capture", "position", "title", "caption", "credit", "text", "story", "canonical", "url",
                 "published", "captured")
UNIQUE_FIELDS = EXPORT_FIELDS + ("occurrences",)  # one row per story: how many occurrences it has
_ARROW_TYPES = {"position": "int32", "canonical": "bool_", "occurrences": "int32"}  # the rest: strings


def write_export(rows: Iterable[dict], out, fmt: str = "jsonl", fields: tuple[str, ...] = EXPORT_FIELDS) -> int:
    """Write the export rows' `fields` to `out` (a path, or None/'-' for stdout); how many."""
    rows = ({k: r[k] for k in fields} for r in rows)
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        data = list(rows)
        schema = pa.schema([(k, getattr(pa, _ARROW_TYPES.get(k, "string"))()) for k in fields])
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
