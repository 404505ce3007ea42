"""The memory settings of the local engine's processes: the garbage collector's in the writer
for the length of an ingest, and malloc's in each worker.
"""
from __future__ import annotations

import ctypes
import gc
import threading
from contextlib import contextmanager

from ..bounded import guard_worker

GC_YOUNG = 10_000  # allocations between collections of the youngest generation (see gc_tuned_for_ingest)

_gc_lock = threading.Lock()
_gc_users = 0  # ingests running in this process (in threads, on different stores)
_gc_threshold: tuple[int, ...] = ()
_gc_was_frozen = False  # the host program froze objects of its own: they stay frozen after


@contextmanager
def gc_tuned_for_ingest():
    """The garbage collector's settings for an ingest, restored after it. What is alive now
    (modules, numba's compiled code: 100k objects) is frozen out of collections, before workers
    are forked, so their collections neither walk it nor copy its pages; and the youngest
    generation is collected every GC_YOUNG allocations, not 700: an ingest allocates rows by the
    million, and few of them form cycles. Ingests running at once in one process share one
    setting: the first sets it, the last restores it."""
    global _gc_users, _gc_threshold, _gc_was_frozen
    with _gc_lock:
        if _gc_users == 0:
            _gc_threshold, _gc_was_frozen = gc.get_threshold(), gc.get_freeze_count() > 0
            gc.freeze()
            gc.set_threshold(GC_YOUNG, *_gc_threshold[1:])
        _gc_users += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_users -= 1
            if _gc_users == 0:
                gc.set_threshold(*_gc_threshold)
                if not _gc_was_frozen:
                    gc.unfreeze()


def init_worker() -> None:
    """A worker process of the local engine: malloc kept warm, extraction bounded in time."""
    _keep_heap()
    guard_worker()


def _keep_heap() -> None:
    """In a worker: glibc's malloc keeps freed memory up to 64 MB for reuse, where by default a
    block over ~128 KB is mapped afresh for each use and unmapped after (a JSONL block read, a
    chunk's arrays), and the kernel zeroes new pages on every chunk. No-op where the C library
    has no mallopt."""
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD: its largest value; setting it fixes it there
        libc.mallopt(-1, 64 << 20)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):
        pass
