"""A small ordered process pool for the extract + fingerprint stage.

multiprocessing.Pool feeds tasks from a helper thread; when a run is interrupted, terminating
the pool joins that thread, which can be stuck writing a large task into a worker's pipe, and
the process hangs (seen with Ctrl-C during an ingest). Here the main thread does all the
sending: each worker has one task in flight, gets its next one as soon as its result is read,
and on exit the workers are killed outright — no thread to join, nothing to hang on.
"""
from __future__ import annotations

import multiprocessing as mp
import signal
import traceback
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection, wait


def _serve(conn: Connection, func: Callable) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        seq, item = task
        try:
            conn.send((seq, True, func(item)))
        except Exception:  # the parent re-raises it with the worker's traceback
            conn.send((seq, False, traceback.format_exc()))


def ordered_map(func: Callable, items: Iterable, workers: int) -> Iterator:
    """`map(func, items)` over `workers` forked processes, results in input order."""
    if workers <= 1:
        yield from map(func, items)
        return
    ctx = mp.get_context("fork")
    procs, conns = [], []
    for _ in range(workers):
        parent, child = ctx.Pipe()
        p = ctx.Process(target=_serve, args=(child, func), daemon=True)
        p.start()
        child.close()
        procs.append(p)
        conns.append(parent)
    source = enumerate(items)
    idle = list(conns)
    done: dict[int, object] = {}
    next_out = 0
    busy = 0
    exhausted = False
    try:
        while True:
            while idle and not exhausted:  # every idle worker gets a task before we wait
                try:
                    idle.pop().send(next(source))
                    busy += 1
                except StopIteration:
                    exhausted = True
            if busy == 0:
                break
            for conn in wait([c for c in conns if c not in idle]):
                seq, ok, value = conn.recv()
                busy -= 1
                idle.append(conn)
                if not ok:
                    raise RuntimeError(f"worker failed:\n{value}")
                done[seq] = value
            while idle and not exhausted:  # hand out work before the caller spends time on results
                try:
                    idle.pop().send(next(source))
                    busy += 1
                except StopIteration:
                    exhausted = True
            while next_out in done:
                yield done.pop(next_out)
                next_out += 1
        while next_out in done:
            yield done.pop(next_out)
            next_out += 1
    finally:
        for p in procs:
            p.kill()
        for p in procs:
            p.join(timeout=5)
        for c in conns:
            c.close()
