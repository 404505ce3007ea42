"""WAL checkpoints on a thread and connection of their own, so that a writer never waits for the disk."""
from __future__ import annotations

import sqlite3
import threading


def file_path(conn: sqlite3.Connection) -> str:
    """The file of the connection's main database ('' for an in-memory one); a name that is not
    UTF-8 comes back as Python spells such file names (surrogateescape), so it can be opened."""
    factory = conn.text_factory
    conn.text_factory = lambda raw: raw.decode("utf-8", "surrogateescape")
    try:
        return next((f for _, name, f in conn.execute("PRAGMA database_list") if name == "main"), "")
    finally:
        conn.text_factory = factory


class Checkpointer:
    """Copies the WAL into the database file from a connection and thread of its own, while the
    writer goes on.

    In WAL mode a commit only appends to the WAL; every ~1,000 pages the committing connection
    then copies the WAL into the database and waits for the disk (fsync) before it goes on. In a
    big ingest the single writer is the bottleneck, and those waits would be its own. While a
    Checkpointer is open the writer's own checkpoints are off, and after each `after_commit()` (a batch
    committed) its thread runs a PASSIVE checkpoint instead: it never blocks the writer, and the GIL
    is released while SQLite works. The same bytes reach the same file with the same guarantees.

    The WAL starts again from its beginning only when a write transaction begins with all of it
    copied, which a writer that never pauses rarely allows: the WAL would grow to gigabytes. So
    once it holds MAX_WAL_PAGES, `after_commit` waits for the thread's copy of what was just committed
    (one wait per ~250 MB instead of one fsync per 16 MB). The bound is soft: the WAL can pass it
    by what the writer commits during one checkpoint round.
    The thread starts at the first commit, so worker processes forked before then never inherit it."""

    MAX_WAL_PAGES = 16384  # 256 MiB of 16 KiB pages

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.writer = conn
        self.path = file_path(conn)
        self.changed = threading.Condition()
        self.requested = self.finished = 0  # checkpoint rounds asked for, and done
        self.wal_pages = 0  # frames in the WAL at the last checkpoint
        self.done = False
        self.thread: threading.Thread | None = None

    def after_commit(self) -> None:
        """A batch was committed: time for a checkpoint (and, with a long WAL, to wait for it)."""
        if not self.path:  # an in-memory store has no WAL
            return
        if self.thread is None:
            self.autocheckpoint = self.writer.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
            self.writer.execute("PRAGMA wal_autocheckpoint=0")
            self.thread = threading.Thread(target=self._run, name="newsfold-checkpoint", daemon=True)
            self.thread.start()
        with self.changed:
            self.requested += 1
            self.changed.notify_all()
            if self.wal_pages >= self.MAX_WAL_PAGES:
                # let the thread copy all that was just committed: the next write transaction then
                # starts the WAL over (unless a reader still reads from it: then the WAL grows, as
                # SQLite's own checkpoints let it, and the writer never waits on a reader)
                target = self.requested
                while self.finished < target and self.thread.is_alive():
                    self.changed.wait(1.0)
                self.wal_pages = 0  # the thread's next round reports what is there now

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
        try:
            while True:
                with self.changed:
                    while not self.done and self.finished >= self.requested:
                        self.changed.wait()
                    if self.done:
                        return
                    target = self.requested
                pages = self._checkpoint(conn)
                with self.changed:
                    self.wal_pages, self.finished = pages, target
                    self.changed.notify_all()
        finally:
            conn.close()

    def _checkpoint(self, conn: sqlite3.Connection) -> int:
        """One PASSIVE checkpoint; the number of frames in the WAL."""
        try:
            busy, pages, _ = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error:  # locked: the next round tries again
            return self.wal_pages
        return self.wal_pages if busy else pages  # busy: another checkpoint was running (its -1s say nothing)

    def close(self) -> None:
        """Stop the thread (after its checkpoint in progress) and give the writer its own checkpoints back."""
        if self.thread is None:
            return
        with self.changed:
            self.done = True
            self.changed.notify_all()
        self.thread.join()
        self.thread = None
        self.writer.execute(f"PRAGMA wal_autocheckpoint={self.autocheckpoint}")
