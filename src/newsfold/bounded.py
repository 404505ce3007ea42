"""Extraction under a time bound: a capture whose extraction runs past Settings.extract_seconds
of CPU is stopped and is its own problem (`extract_capture` under `timed()`); in a worker
process (`guard_worker`), the kernel's CPU limit backs the bound up where compiled code does
not let the signal handler run."""
from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import xxhash

from . import config
from .extract import extract
from .model import Article, Capture, Problem, one_line


class OverTime(BaseException):
    """Raised in the extracting thread when a capture's extraction runs past its time bound. A
    BaseException: the `except Exception` of a library it runs through must not swallow it."""


class _Clock:
    """The time bound of extraction, as a periodic CPU-time signal (SIGVTALRM, every TICK seconds
    of the process's CPU) while a chunk is extracted: the handler raises OverTime in the capture
    that has been running for more than the bound. Setting which capture runs is two attribute
    writes, so the bound costs nothing per capture; a capture that swallows the exception gets it
    again at the next tick. Python code (regular expressions included) is stopped at the next
    tick; a call into compiled code that never returns does not let the handler run: in a worker
    process (`guard_worker`), the kernel's CPU limit (RLIMIT_CPU), moved forward at each chunk and
    each new capture, then stops the worker itself, and the pool reports its task."""

    TICK = 0.25

    def __init__(self) -> None:
        self.capture = 0  # the capture running (a counter), or 0 between captures
        self.seen = 0
        self.ticks = 0
        self.limit = 0
        self.watchdog = False  # a worker process: the CPU limit backs the signal up

    def on_tick(self, signum, frame) -> None:
        if not self.capture:
            return
        if self.capture != self.seen:
            self.seen, self.ticks = self.capture, 0
            if self.watchdog:
                self.push_cpu_limit()
        self.ticks += 1
        if self.ticks > self.limit:
            raise OverTime

    @staticmethod
    def push_cpu_limit() -> None:
        """Let the process run WATCHDOG_FACTOR × the bound more of CPU before the kernel stops it
        (SIGXCPU, whose default action ends the process)."""
        import resource

        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        soft = int(time.process_time()) + int(WATCHDOG_FACTOR * config.SETTINGS.extract_seconds) + 2
        resource.setrlimit(resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))

    @contextmanager
    def armed(self) -> Iterator[bool]:
        """Tick while the block runs, where signals can be had (the main thread); yields whether."""
        if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
            yield False
            return
        self.limit = int(config.SETTINGS.extract_seconds / self.TICK)
        if self.watchdog:
            self.push_cpu_limit()
        before = signal.signal(signal.SIGVTALRM, self.on_tick)
        signal.setitimer(signal.ITIMER_VIRTUAL, self.TICK, self.TICK)
        try:
            yield True
        finally:
            signal.setitimer(signal.ITIMER_VIRTUAL, 0)
            self.capture = 0
            signal.signal(signal.SIGVTALRM, before)


_clock = _Clock()
_runs = 0  # captures extracted by this process: the clock's counter


def extract_capture(capture: Capture) -> tuple[str, tuple[Article, ...] | Problem]:
    """(the capture's content hash, its articles or why it has none). Never raises: untrusted
    input must never stop a run. Under `timed()`, a capture that runs past the time bound
    (Settings.extract_seconds of CPU) is stopped and is its own problem."""
    global _runs
    content_hash = xxhash.xxh3_128_hexdigest(capture.content.encode("utf-8", "surrogatepass"))
    try:
        _runs += 1
        _clock.capture = _runs
        try:
            articles = tuple(extract(capture))
        finally:
            _clock.capture = 0
    except OverTime:
        return content_hash, Problem(capture.name, f"extraction ran past the {config.SETTINGS.extract_seconds:g} s limit")
    except Exception as err:  # noqa: BLE001
        return content_hash, Problem(capture.name, f"extraction failed ({type(err).__name__}: {one_line(err)})")
    if not articles:
        return content_hash, Problem(capture.name, "no article found")
    return content_hash, articles


def timed():
    """`with timed():` extraction in the block is under the time bound (see `_Clock`)."""
    return _clock.armed()


WATCHDOG_FACTOR = 2  # a worker stuck in compiled code is stopped after 2 × the bound (+ 1-2 s) of CPU


def guard_worker() -> None:
    """In a worker process, before its first task: a capture stuck in compiled code past the
    bound ends the worker (the CPU limit, SIGXCPU), with no core file left behind."""
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    _clock.watchdog = True
    _clock.push_cpu_limit()
