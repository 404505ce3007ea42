"""The band index's stored runs: a run a row of `band_runs` (its size and fences), its chunks
rows of `band_chunks` (id = run id << CHUNK_BITS | chunk number), and up to which article the
runs hold every key (`covered_upto`: articles after it were stored by an ingest killed before
its end, and get their keys at the next one)."""
from __future__ import annotations

import json
from collections.abc import Iterable

import numpy as np

CHUNK_BITS = 24  # a chunk's row id is its run's id << CHUNK_BITS | its number in the run


class BandStore:
    """Reads a store's runs for the index (index.ChunkReader)."""

    def __init__(self, conn) -> None:
        self.conn = conn

    def runs(self) -> list[tuple[int, int, np.ndarray]]:
        """(run id, size, fences) of every stored run."""
        return [(rowid, size, np.frombuffer(fences, dtype=np.int64))
                for rowid, size, fences in self.conn.execute("SELECT id, size, fences FROM band_runs ORDER BY id")]

    def read_chunks(self, run_id: int, chunks: list[int] | None, n_chunks: int) -> tuple[np.ndarray, np.ndarray]:
        lo = run_id << CHUNK_BITS
        if chunks is None:
            rows = self.conn.execute("SELECT keys, owners FROM band_chunks WHERE id >= ? AND id < ? ORDER BY id",
                                     (lo, lo + n_chunks))
        else:
            rows = self.conn.execute("SELECT keys, owners FROM band_chunks WHERE id IN (SELECT value FROM json_each(?))"
                                     " ORDER BY id", (json.dumps([lo + c for c in chunks]),))
        key_parts, owner_parts = [], []
        for keys, owners in rows:
            key_parts.append(keys)
            owner_parts.append(owners)
        return np.frombuffer(b"".join(key_parts), dtype=np.int64), np.frombuffer(b"".join(owner_parts), dtype=np.int32)


def save_run(conn, size: int, fences: np.ndarray, chunks: Iterable[tuple[int, bytes, bytes]]) -> int:
    """Store a run (its size, fences and numbered chunks); its id."""
    rowid = conn.execute("INSERT INTO band_runs (size, fences) VALUES (?, ?)", (size, fences.tobytes())).lastrowid
    conn.executemany("INSERT INTO band_chunks (id, keys, owners) VALUES (?, ?, ?)",
                     (((rowid << CHUNK_BITS) + i, keys, owners) for i, keys, owners in chunks))
    return rowid


def save_run_chunks(conn, chunks: Iterable[tuple[int, bytes, bytes]]) -> int:
    """Store a run whose numbered chunks come one at a time (a run too big to hold whole): its
    size and fences are taken from the chunks as they pass. Its id."""
    rowid = conn.execute("INSERT INTO band_runs (size, fences) VALUES (0, x'')").lastrowid
    size, fences = 0, []

    def numbered():
        nonlocal size
        for i, keys, owners in chunks:
            size += len(keys) // 8
            fences.append(keys[:8])
            yield (rowid << CHUNK_BITS) + i, keys, owners

    conn.executemany("INSERT INTO band_chunks (id, keys, owners) VALUES (?, ?, ?)", numbered())
    conn.execute("UPDATE band_runs SET size=?, fences=? WHERE id=?", (size, b"".join(fences), rowid))
    return rowid


def delete_runs(conn, run_ids: Iterable[int]) -> None:
    for rowid in run_ids:
        conn.execute("DELETE FROM band_chunks WHERE id >= ? AND id < ?", (rowid << CHUNK_BITS, (rowid + 1) << CHUNK_BITS))
        conn.execute("DELETE FROM band_runs WHERE id=?", (rowid,))


def covered_upto(conn) -> int:
    """The last article whose band keys the stored runs hold."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'band_upto'").fetchone()
    return 0 if row is None else row[0]


def set_covered(conn, upto: int) -> None:
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('band_upto', ?)", (upto,))
