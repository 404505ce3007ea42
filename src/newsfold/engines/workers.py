"""A small ordered process pool for the extract + fingerprint stage.

Each worker has a task pipe and a result pipe. In the parent, one sender thread per worker
feeds its worker (a send blocks only until that worker reads, so a worker always has its next
task waiting), and one receiver thread drains every result pipe as results arrive; the caller
takes results in input order. So the workers keep computing while the caller is busy writing
a batch to the store (with one task in flight per worker and the main thread doing the I/O,
they sat idle through every write), and reading the input is off the caller's thread.

At most `ahead` results wait, computed or in flight, beyond the one the caller is on: memory
stays bounded. On exit, normal or not (Ctrl-C), the workers are killed outright; the threads
see their pipes close and end; nothing is joined that could hang. (multiprocessing.Pool was
dropped for that: terminating it joins a feeder thread that can be stuck writing to a worker.)
"""
from __future__ import annotations

import fcntl
import multiprocessing as mp
import os
import signal
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection, wait


def _serve(tasks: Connection, results: Connection, func: Callable, parent_ends: list[Connection], nice: int,
           init: Callable[[], None] | None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    if nice:
        os.nice(nice)
    if init is not None:
        init()
    for conn in parent_ends:  # copies forked with us: closed, a dead parent means EOF on `tasks`
        conn.close()
    while True:
        try:
            seq, item = tasks.recv()
        except (EOFError, OSError):
            return
        try:
            result = (seq, True, func(item))
        except Exception:  # the parent re-raises it with the worker's traceback
            result = (seq, False, traceback.format_exc())
        try:
            results.send(result)
        except OSError:  # the parent is gone
            return


def _widen_pipe(conn: Connection) -> None:
    """Give a result pipe a 1 MiB buffer where the system allows (Linux: 64 KiB by default), so a
    chunk's result (~1.7 MB for 256 JSONL rows of ~3 KB) goes through in two reads, not dozens,
    each a switch between the worker and the receiver thread."""
    try:
        fcntl.fcntl(conn.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_BYTES)
    except OSError:  # over /proc/sys/fs/pipe-max-size, or not Linux: the default stays
        pass


PIPE_BYTES = 1 << 20


class _Feed:
    """The shared input: numbered items for the sender threads, `ahead` at most not yet taken
    by the caller."""

    def __init__(self, items: Iterable, ahead: int) -> None:
        self.source = iter(items)
        self.lock = threading.Lock()
        self.slots = threading.Semaphore(ahead)
        self.stop = threading.Event()
        self.issued = 0  # items handed out so far
        self.exhausted = False
        self.error: BaseException | None = None

    def take(self) -> tuple[int, object] | None:
        """The next (seq, item), or None when the input is done or the map is stopping."""
        while not self.slots.acquire(timeout=0.2):
            if self.stop.is_set():
                return None
        with self.lock:
            if self.stop.is_set() or self.exhausted:
                return None
            try:
                item = next(self.source)
            except StopIteration:
                self.exhausted = True
                return None
            except BaseException as err:  # a read error: the caller raises it
                self.error = err
                self.stop.set()
                return None
            self.issued += 1
            return self.issued - 1, item


def ordered_map(func: Callable, items: Iterable, workers: int, ahead: int | None = None, nice: int = 0,
                init: Callable[[], None] | None = None) -> Iterator:
    """`map(func, items)` over `workers` forked processes, results in input order. `nice`: how much
    lower the workers' CPU priority is than the caller's (a caller that is the bottleneck then
    never waits for a core). `init`: run first in each worker."""
    if workers <= 1:
        yield from map(func, items)
        return
    ctx = mp.get_context("fork")
    feed = _Feed(items, ahead or 4 * workers)
    task_ends: list[Connection] = []
    result_ends: list[Connection] = []
    procs = []
    for _ in range(workers):
        task_r, task_w = ctx.Pipe(duplex=False)
        result_r, result_w = ctx.Pipe(duplex=False)
        _widen_pipe(result_w)
        task_ends.append(task_w)
        result_ends.append(result_r)
        p = ctx.Process(target=_serve, args=(task_r, result_w, func, task_ends + result_ends, nice, init), daemon=True)
        p.start()
        task_r.close()
        result_w.close()
        procs.append(p)

    done: dict[int, tuple[bool, object]] = {}
    arrived = threading.Condition()
    failure: list[str] = []

    def send(conn: Connection) -> None:
        while True:
            task = feed.take()
            if task is None:
                break
            try:
                conn.send(task)  # blocks until the worker reads it: its next task, waiting
            except OSError:  # the worker is gone (killed on exit)
                break
            except BaseException as err:  # e.g. a task that cannot be pickled: the caller raises
                failure.append(f"could not send task {task[0]}: {err!r}")
                break
        with arrived:
            arrived.notify_all()

    def receive() -> None:
        live = list(result_ends)
        while live and not feed.stop.is_set():
            for conn in wait(live, timeout=0.2):
                try:
                    seq, ok, value = conn.recv()
                except (EOFError, OSError):
                    live.remove(conn)
                    if not feed.stop.is_set():
                        failure.append("a worker process died")
                    seq = None
                except BaseException as err:  # a result that cannot be read back: the caller raises
                    failure.append(f"could not read a result: {err!r}")
                    seq = None
                with arrived:
                    if seq is not None:
                        done[seq] = (ok, value)
                    arrived.notify_all()

    threads = [threading.Thread(target=send, args=(c,), daemon=True) for c in task_ends]
    threads.append(threading.Thread(target=receive, daemon=True))
    for t in threads:
        t.start()
    try:
        seq = 0
        while True:
            with arrived:
                while seq not in done:
                    if feed.error is not None:
                        raise feed.error
                    if failure:
                        raise RuntimeError(f"worker failed: {failure[0]}")
                    if feed.exhausted and seq >= feed.issued:
                        return  # every item handed out has been taken
                    arrived.wait(timeout=0.2)
                ok, value = done.pop(seq)
            if not ok:
                raise RuntimeError(f"worker failed:\n{value}")
            feed.slots.release()
            seq += 1
            yield value
    finally:
        feed.stop.set()
        for p in procs:
            p.kill()
        for p in procs:
            p.join(timeout=5)
        for conn in task_ends + result_ends:
            conn.close()
