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
from ..model import shown_name
from .schema import StoreError, check, create, is_empty

__all__ = ["Checkpointer", "StoreError", "Transaction", "connect", "failure", "file_path"]


def connect(path: str | Path, create_missing: bool = True, timeout: float = 60,
            readonly: bool = False) -> sqlite3.Connection:
    """A connection to the store at `path`, made new there if the file is missing or empty and
    `create_missing`; StoreError with one line naming the path and the reason if it cannot be
    used as a store (a folder, a missing one, not a SQLite file, another program's database, a
    damaged store, a read-only place to write, several hard links to write through), checked
    before anything is written. `readonly`: a connection that cannot write (SQLite refuses it),
    for readers that must never take the write lock; it reads a store on a read-only mount too."""
    path = str(path)
    if path != ":memory:":
        _refuse_wrong_paths(path, create_missing and not readonly, readonly)
    try:
        if readonly:
            return _open_readonly(path, timeout)
        return _open(path, create_missing, timeout)
    except sqlite3.DatabaseError as err:  # what the checks above could not tell: a damaged database
        raise StoreError(failure(path, err)) from None


def _refuse_wrong_paths(path: str, create: bool, readonly: bool) -> None:
    """StoreError for a path that is no store, before SQLite opens (and so may write) anything."""
    shown = shown_name(path)
    if os.path.isdir(path):
        raise StoreError(f"{shown}: a folder, not a store")
    if not os.path.exists(path):
        folder = os.path.dirname(os.path.abspath(path))
        if not create:
            raise StoreError(f"{shown}: no such store")
        if not os.path.isdir(folder):
            raise StoreError(f"{shown}: no such folder ({shown_name(folder)})")
        if not os.access(folder, os.W_OK):
            raise StoreError(f"{shown}: read-only ({_why_read_only(folder)})")
        return
    # (whether it is a SQLite file at all, SQLite tells without writing: opening the file here and
    # closing it would drop the POSIX locks this process's connections to it hold)
    if readonly:
        return
    folder = os.path.dirname(os.path.abspath(path))
    if not (os.access(path, os.W_OK) and os.access(folder, os.W_OK)):  # the journal is made beside it
        raise StoreError(f"{shown}: read-only ({_why_read_only(folder)})")
    links = os.stat(path).st_nlink
    if links > 1:
        raise StoreError(f"{shown}: has {links} hard links; an ingest writes through one name only "
                         "(remove the others)")


def _why_read_only(folder: str) -> str:
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return "read-only file system"
    except OSError:
        pass
    return "permission denied"


def failure(path: str, err: sqlite3.DatabaseError) -> str:
    """One line for what SQLite said of the store at `path` (when opened, or later)."""
    message = str(err)
    if "readonly" in message or "read-only" in message:
        why = f"read-only ({_why_read_only(os.path.dirname(os.path.abspath(path)))})"
    elif "not a database" in message:  # SQLITE_NOTADB: no SQLite header
        why = "not a SQLite file, so not a store"
    elif "malformed" in message or "corrupt" in message:
        why = f"a damaged store ({message})"
    else:
        why = f"cannot be used as a store ({message})"
    return f"{shown_name(path)}: {why}"


def _open(path: str, create_missing: bool, timeout: float) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    try:
        if not is_empty(conn):
            check(conn, path)  # before anything is written: another program's file stays as it was
        elif not create_missing:
            raise StoreError(f"{shown_name(path)}: an empty file, not a store")
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
    """A mode=ro connection; on a read-only mount, where SQLite cannot make the WAL's index beside
    the file, and with no WAL left there (so no writer anywhere), an immutable one."""
    uri = f"file:{quote(os.fsencode(os.path.abspath(path)))}?mode=ro"
    try:
        return _checked_reader(uri, path, timeout)
    except sqlite3.OperationalError:
        folder = os.path.dirname(os.path.abspath(path))
        if os.access(folder, os.W_OK) or os.path.exists(path + "-wal"):
            raise
    return _checked_reader(uri + "&immutable=1", path, timeout)


def _checked_reader(uri: str, path: str, timeout: float) -> sqlite3.Connection:
    conn = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None, check_same_thread=False)
    try:
        if is_empty(conn):
            raise StoreError(f"{shown_name(path)}: an empty file, not a store")
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
