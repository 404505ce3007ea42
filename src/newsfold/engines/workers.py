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

A worker that dies (killed, a crash in compiled code, stopped past its CPU limit) is replaced
by a new one: the task it died on is reported through `on_lost`, the tasks waiting in its pipe
go to the others. The replacement is forked from the receiver thread; the child runs only
`_serve` (no lock another thread could hold is needed there: the kernels are loaded before).
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

    def take(self, interrupt: Callable[[], bool] = lambda: False) -> tuple[int, object] | None | bool:
        """The next (seq, item), or None when the input is done or the map is stopping, or False
        when `interrupt()` turns true while it waits for a slot."""
        while not self.slots.acquire(timeout=0.2):
            if self.stop.is_set():
                return None
            if interrupt():
                return False
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


MAX_DEATHS = 1000  # workers replaced in one map before it gives up (a bug that kills every task)


class _Worker:
    """One worker process with its pipes, and the items sent to it that it has not answered."""

    def __init__(self, ctx, func: Callable, parent_ends: list[Connection], nice: int,
                 init: Callable[[], None] | None) -> None:
        task_r, self.tasks = ctx.Pipe(duplex=False)
        self.results, result_w = ctx.Pipe(duplex=False)
        _widen_pipe(result_w)
        self.proc = ctx.Process(target=_serve, args=(task_r, result_w, func, [*parent_ends, self.tasks, self.results],
                                                     nice, init), daemon=True)
        self.proc.start()
        task_r.close()
        result_w.close()
        self.pending: dict[int, object] = {}
        self.dead = ""  # why it died; '' while it lives


def ordered_map(func: Callable, items: Iterable, workers: int, ahead: int | None = None, nice: int = 0,
                init: Callable[[], None] | None = None,
                on_lost: Callable[[object, str], object] | None = None) -> Iterator:
    """`map(func, items)` over `workers` forked processes, results in input order. `nice`: how much
    lower the workers' CPU priority is than the caller's (a caller that is the bottleneck then
    never waits for a core). `init`: run first in each worker. `on_lost(item, why)`: the result
    of an item whose worker died on it (killed, crashed in compiled code, out of memory); the
    worker is replaced and the map goes on. Without it, a dead worker is an error."""
    if workers <= 1:
        yield from map(func, items)
        return
    ctx = mp.get_context("fork")
    feed = _Feed(items, ahead or 4 * workers)
    pool: list[_Worker] = []

    def parent_ends() -> list[Connection]:
        return [end for w in pool for end in (w.tasks, w.results)]

    for _ in range(workers):
        pool.append(_Worker(ctx, func, parent_ends(), nice, init))

    done: dict[int, tuple[bool, object]] = {}
    arrived = threading.Condition()
    failure: list[str] = []
    orphans: list[tuple[int, object]] = []  # items a dead worker never started: for the others
    deaths = 0

    def lose(seq: int, item: object, why: str) -> None:  # under `arrived`
        try:
            done[seq] = (True, on_lost(item, why))
        except BaseException as err:  # noqa: BLE001 - the caller raises it
            failure.append(f"could not report a lost task: {err!r}")
        arrived.notify_all()

    def next_task() -> tuple[int, object] | None:
        """An orphan if there is one, else the next item; None when there is neither (yet)."""
        while True:
            with arrived:
                if orphans:
                    return orphans.pop(0)
            task = feed.take(lambda: bool(orphans))
            if task is not False:
                return task

    def send(worker: _Worker) -> None:
        while not feed.stop.is_set():
            task = next_task()
            if task is None:  # the input is done; a worker that dies yet may leave orphans
                if on_lost is None or feed.stop.wait(0.2):
                    break
                continue
            with arrived:
                if worker.dead:  # it died meanwhile: its replacement or another takes the task
                    orphans.append(task)
                    arrived.notify_all()
                    break
                worker.pending[task[0]] = task[1]
            try:
                worker.tasks.send(task)  # blocks until the worker reads it: its next task, waiting
            except OSError:  # the worker is gone (killed on exit, or died: `receive` reports its tasks)
                break
            except BaseException as err:  # e.g. a task that cannot be pickled: the caller raises
                failure.append(f"could not send task {task[0]}: {err!r}")
                break
        with arrived:
            arrived.notify_all()

    def start_sender(worker: _Worker) -> None:
        threading.Thread(target=send, args=(worker,), daemon=True).start()

    def died(worker: _Worker) -> _Worker | None:
        """`worker` ended without being told to: the map fails, or its first unanswered item is
        lost, the others go to the other workers, and a new worker takes its place (returned)."""
        nonlocal deaths
        worker.proc.join(timeout=5)
        code = worker.proc.exitcode
        why = (f"a worker process died ({signal.Signals(-code).name})" if code is not None and code < 0 else
               f"a worker process died (exit {code})")
        with arrived:
            worker.dead = why
            deaths += 1
            if on_lost is None or deaths > MAX_DEATHS:
                failure.append(why if on_lost is None else f"{deaths} worker processes died, the last: {why}")
                arrived.notify_all()
                return None
            # a worker takes its tasks in order: the first is the one it died on, the others
            # wait in its pipe
            for k, (seq, item) in enumerate(sorted(worker.pending.items())):
                if k == 0:
                    lose(seq, item, why)
                else:
                    orphans.append((seq, item))
            worker.pending.clear()
            arrived.notify_all()
        worker.tasks.close()
        worker.results.close()
        replacement = _Worker(ctx, func, [end for w in pool if w is not worker for end in (w.tasks, w.results)],
                              nice, init)
        pool[pool.index(worker)] = replacement
        start_sender(replacement)
        return replacement

    def receive() -> None:
        live = {w.results: w for w in pool}
        while live and not feed.stop.is_set():
            for conn in wait(list(live), timeout=0.2):
                worker = live[conn]
                try:
                    seq, ok, value = conn.recv()
                except (EOFError, OSError):
                    del live[conn]
                    if not feed.stop.is_set():
                        replacement = died(worker)
                        if replacement is not None:
                            live[replacement.results] = replacement
                    continue
                except BaseException as err:  # a result that cannot be read back: the caller raises
                    failure.append(f"could not read a result: {err!r}")
                    seq = None
                with arrived:
                    if seq is not None:
                        worker.pending.pop(seq, None)
                        done[seq] = (ok, value)
                    arrived.notify_all()

    for worker in pool:
        start_sender(worker)
    threading.Thread(target=receive, daemon=True).start()
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
        with arrived:
            workers_now = list(pool)
        for w in workers_now:
            w.proc.kill()
        for w in workers_now:
            w.proc.join(timeout=5)
        for w in workers_now:
            w.tasks.close()
            w.results.close()
