"""Store stage: one SQLite file (WAL) holding captures, articles, sketches, the band index,
verified edges, stories, merge evidence and a full-text index. All SQL of newsfold is here:
`schema.py` (tables, mark, version), `writes.py` (what an ingest writes), `reads.py` (what an
ingest and the readers ask), `bands.py` (the band index's runs), `checkpoint.py` (WAL copies).
"""
from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from urllib.parse import quote

from .checkpoint import Checkpointer, file_path
from .schema import StoreError, check, create, is_empty

__all__ = ["Checkpointer", "StoreError", "Transaction", "connect", "file_path"]


def connect(path: str | Path, create_missing: bool = True, timeout: float = 60,
            readonly: bool = False) -> sqlite3.Connection:
    """A connection to the store at `path`, made new there if the file is missing or empty and
    `create_missing`; StoreError if it cannot be used as a store. `readonly`: a connection that
    cannot write (SQLite refuses it), for readers that must never take the write lock."""
    path = str(path)
    if path != ":memory:" and not os.path.exists(path) and (readonly or not create_missing):
        raise StoreError(f"{path}: no such store")
    try:
        if readonly:
            return _open_readonly(path, timeout)
        return _open(path, create_missing, timeout)
    except sqlite3.DatabaseError as err:  # a folder, a file of another kind, a damaged database
        raise StoreError(f"{path}: cannot be opened as a store ({err})") from None


def _open(path: str, create_missing: bool, timeout: float) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    try:
        if not is_empty(conn):
            check(conn, path)  # before anything is written: another program's file stays as it was
        elif not create_missing:
            raise StoreError(f"{path}: an empty file, not a store")
        _configure(conn, timeout)
        if is_empty(conn):
            with Transaction(conn):
                if is_empty(conn):
                    create(conn)
            check(conn, path)
    except BaseException:
        conn.close()
        raise
    return conn


def _open_readonly(path: str, timeout: float) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{quote(os.path.abspath(path))}?mode=ro", uri=True, timeout=timeout,
                           isolation_level=None, check_same_thread=False)
    try:
        if is_empty(conn):
            raise StoreError(f"{path}: an empty file, not a store")
        check(conn, path)
        conn.execute("PRAGMA query_only=ON")
        conn.execute("PRAGMA cache_size=-32768")
    except BaseException:
        conn.close()
        raise
    return conn


def _configure(conn: sqlite3.Connection, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:  # switching a new file to WAL ignores the busy timeout: retry while another process creates it
        try:
            # a new file only: several article rows a page, where a 4 KiB page held one, a third left empty
            conn.execute("PRAGMA page_size=16384")
            conn.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a commit survives a killed process
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA cache_size=-32768")  # 32 MiB of page cache: index pages stay in memory in bulk ingests
    conn.execute("PRAGMA temp_store=MEMORY")


class Transaction:
    """`with Transaction(conn):` — BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any error."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        self.conn.execute("COMMIT" if exc_type is None else "ROLLBACK")
