"""Where the local engine keeps the verification sets of articles outside the batch it matches:
the last batches' in memory (engines/local_match.py), older ones of the same ingest in a spill
file, and those of articles stored by an earlier ingest made again from their texts, the ones
needed twice kept in a small LRU."""
from __future__ import annotations

import os
import tempfile
from collections import OrderedDict, deque
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

SPILL_PENDING = 64 << 20  # bytes of spilled sets waiting for the disk, at most
SPILL_MIN_FREE = 2 << 30  # free disk space the spill never takes


class PartnerCache:
    """Set blobs of older partners made again from their texts, least recently used first out,
    kept only for an article needed a second time (most are needed once)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.blobs: OrderedDict[int, bytes] = OrderedDict()
        self.seen = np.zeros(0, bool)  # by article id: needed before

    def take(self, ids: list[int]) -> tuple[dict[int, bytes], list[int]]:
        """(the blobs held of `ids`, the ids not held)."""
        held, missing = {}, []
        for aid in ids:
            blob = self.blobs.get(aid)
            if blob is None:
                missing.append(aid)
            else:
                held[aid] = blob
                self.blobs.move_to_end(aid)
        return held, missing

    def offer(self, made: dict[int, bytes]) -> None:
        """Blobs just made: kept if their article was needed before, else remembered as needed."""
        if not made:
            return
        ids = np.fromiter(made, np.int64, len(made))
        if ids.max() >= self.seen.size:
            self.seen = np.concatenate([self.seen, np.zeros(max(int(ids.max()) + 1 - self.seen.size, self.seen.size), bool)])
        for aid in ids[self.seen[ids]].tolist():
            self.blobs[aid] = made[aid]
        self.seen[ids] = True
        while len(self.blobs) > self.capacity:
            self.blobs.popitem(last=False)


class SetSpill:
    """This ingest's verification sets once they leave the recent batches: appended to an
    anonymous file next to the store (no name, so gone when the ingest ends or is killed), and
    read back when an older article of the same ingest is a partner: a read costs a tenth of
    making the sets again from the text. The file is a cache, ~2.5 KB an article, held by the
    page cache, not the process: it takes disk space while the ingest runs, never the last
    SPILL_MIN_FREE bytes of the disk, which are the store's. Writes go in order on a thread of
    their own (a writer of that many dirty pages is held back by the kernel), at most
    SPILL_PENDING bytes waiting; a blob not written yet is read from the write's bytes. Sets not
    spilled (no room, a failed write, an in-memory store: no disk of its own) are made again
    from the texts."""

    def __init__(self, directory: str | None) -> None:
        self.directory = directory  # None: nothing is spilled
        self.file = None  # opened at the first spill (after the workers are forked)
        self.thread: ThreadPoolExecutor | None = None
        self.base = -1  # the first spilled article id: the rest run on from it
        self.starts = np.zeros(0, np.int64)  # by article id - base: where its blob starts (-1: not here)
        self.ends = np.zeros(0, np.int64)
        self.size = 0  # bytes handed to the writing thread
        self.written = 0  # bytes on file, from the start: a failed write stops it growing
        self.stopped = directory is None  # nothing more is spilled
        self.failed = False  # a write failed: none after it is made
        self.writes: deque[tuple[int, bytes, Future]] = deque()  # (offset, bytes, write) not known done, oldest first

    def add(self, ids: np.ndarray, blobs: list[bytes]) -> None:
        """Append the blobs of articles `ids` (ascending, after any added before)."""
        if self.stopped or not ids.size or not self._room(sum(map(len, blobs))):
            return
        if self.base < 0:
            self.base = int(ids[0])
        at = ids - self.base
        if at[-1] >= self.starts.size:
            grown = max(int(at[-1]) + 1, 2 * self.starts.size)
            self.starts = np.concatenate([self.starts, np.full(grown - self.starts.size, -1, np.int64)])
            self.ends = np.concatenate([self.ends, np.full(grown - self.ends.size, -1, np.int64)])
        lengths = np.fromiter(map(len, blobs), np.int64, len(blobs))
        ends = self.size + np.cumsum(lengths)
        self.starts[at], self.ends[at] = ends - lengths, ends
        data = b"".join(blobs)
        self.writes.append((self.size, data, self.thread.submit(self._write, data, self.size)))
        self.size = int(ends[-1])
        while self.writes and (self.writes[0][2].done() or self.size - self.writes[0][0] > SPILL_PENDING):
            self.writes.popleft()[2].result()  # done, or waited for: memory stays bounded on a slow disk

    def _room(self, n: int) -> bool:
        """Whether n more bytes may be spilled (opening the file the first time)."""
        try:
            if self.file is None:
                self.file = tempfile.TemporaryFile(dir=self.directory, prefix=".newsfold-sets-")
                self.thread = ThreadPoolExecutor(1, thread_name_prefix="newsfold-spill")
            disk = os.statvfs(self.directory)
            if disk.f_bavail * disk.f_frsize - (self.size - self.written) - n >= SPILL_MIN_FREE:
                return True
        except OSError:
            pass
        self.stopped = True
        return False

    def _write(self, data: bytes, offset: int) -> None:
        if self.failed:
            return
        try:
            if os.pwrite(self.file.fileno(), data, offset) == len(data):
                self.written = offset + len(data)
                return
        except OSError:
            pass
        self.failed = self.stopped = True

    def take(self, ids: list[int]) -> tuple[dict[int, bytes], list[int]]:
        """(the blobs spilled of `ids`, the ids not spilled)."""
        if self.base < 0:
            return {}, ids
        at = np.array(ids, np.int64) - self.base
        inside = (at >= 0) & (at < self.starts.size)
        starts, ends = np.full(at.size, -1, np.int64), np.full(at.size, -1, np.int64)
        starts[inside], ends[inside] = self.starts[at[inside]], self.ends[at[inside]]
        found, missing = {}, []
        fd = self.file.fileno()
        pending = list(self.writes)
        for aid, start, end in zip(ids, starts.tolist(), ends.tolist()):
            blob = b""
            if 0 <= start and end <= self.written:
                try:
                    blob = os.pread(fd, end - start, start)
                except OSError:
                    pass
            elif 0 <= start:  # not on file (yet): in the bytes of a write not known done
                for offset, data, _ in pending:
                    if offset <= start < offset + len(data):
                        blob = data[start - offset : end - offset]
                        break
            if blob and len(blob) == end - start:
                found[aid] = blob
            else:
                missing.append(aid)
        return found, missing

    def close(self) -> None:
        self.stopped = True
        if self.thread is not None:
            self.thread.shutdown(wait=True, cancel_futures=True)
            self.thread = None
        if self.file is not None:
            self.file.close()
            self.file = None
        self.writes.clear()
