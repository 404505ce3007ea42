"""`newsfold watch`: ingest captures as they land in folders.

A file is read once it is whole: never while its name says it is still being written (a
download's `.part`, an editor's `.tmp`, a `.open` file, a hidden file), and only after its size
and modification time have held still for `settle` seconds. Each file keeps the name a plain
`newsfold ingest FOLDER` gives it (its absolute path, links resolved), so the store's
own rule (a capture already stored by name and content is skipped) makes watching idempotent
across restarts: a restart reads what is there again and stores only what is new.
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable

from .model import IngestReport, Problem
from .terminal import print_problem

STILL_BEING_WRITTEN = (".part", ".partial", ".tmp", ".temp", ".open", ".crdownload", ".download", ".swp", "~")
WAKE_MS = 250  # how often the watcher looks at files that are settling


def being_written(name: str) -> bool:
    """Whether a file's name says it is not whole yet (or is hidden).

    >>> [being_written(n) for n in ("a.txt", "a.txt.part", "page.html.tmp", "x.open", ".a.txt.swp", "f.jsonl")]
    [False, True, True, True, True, False]
    """
    return name.startswith(".") or name.lower().endswith(STILL_BEING_WRITTEN)


class Settling:
    """Files seen changing, each with its (size, modification time) and since when it has held
    still; `ready` gives those that held still for `settle` seconds."""

    def __init__(self, settle: float) -> None:
        self.settle = settle
        self.files: dict[str, tuple[tuple[int, int], float]] = {}

    def saw(self, path: str, state: tuple[int, int] | None, now: float) -> None:
        if state is None:
            self.files.pop(path, None)
        elif path not in self.files or self.files[path][0] != state:
            self.files[path] = (state, now)

    def ready(self, now: float, state_of: Callable[[str], tuple[int, int] | None]) -> list[str]:
        out = []
        for path, (state, since) in list(self.files.items()):
            current = state_of(path)
            if current != state:  # changed again, or gone
                self.saw(path, current, now)
            elif now - since >= self.settle:
                out.append(path)
                del self.files[path]
        return sorted(out)


def file_state(path: str) -> tuple[int, int] | None:
    """(size, modification time in ns) of a regular file; None if it is gone or not a file."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns) if os.path.isfile(path) else None


def _files(folders: Iterable[str]) -> list[str]:
    from .read import discover

    return [str(p) for p in discover(folders) if not isinstance(p, Problem) and not being_written(p.name)]


def watch_folders(store, folders: list[str], text_field: str | None = None, settle: float = 1.0,
                  on_report: Callable[[IngestReport], None] = lambda r: None,
                  on_problem: Callable[[Problem], None] = print_problem,
                  on_watching: Callable[[], None] = lambda: None, stop: threading.Event | None = None) -> None:
    """Ingest into `store` (a newsfold.Store) what is in `folders`, then every file that lands
    there, until `stop` is set (or the process is interrupted); `on_watching` is called once
    the folders are watched. Each ingest brings the full-text index up to date, so the desk's
    search and watchlists see new captures."""
    import watchfiles

    from .pipeline import load_kernels

    for folder in folders:
        if not os.path.isdir(folder):
            raise NotADirectoryError(folder)
    load_kernels()  # before the first capture lands: it is read at once
    # an event's absolute path → the name `newsfold ingest FOLDER` gives the file
    roots = [(os.path.realpath(f), f) for f in folders]

    def name_of(path: str) -> str | None:
        real = os.path.realpath(path)
        for root, given in roots:
            if real == root or real.startswith(root + os.sep):
                return os.path.join(given, os.path.relpath(real, root))
        return None

    settling = Settling(settle)
    watcher = watchfiles.watch(*folders, watch_filter=lambda change, path: not being_written(os.path.basename(path)),
                               rust_timeout=WAKE_MS, yield_on_timeout=True, step=50, debounce=WAKE_MS,
                               stop_event=stop)
    changes = next(watcher, None)  # the watch starts here: what lands from now on is seen ...
    now = time.monotonic()
    for path in _files(folders):  # ... and what was there before is read as well
        settling.saw(path, file_state(path), now)
    on_watching()
    while changes is not None:
        now = time.monotonic()
        for change, path in changes:
            if change != watchfiles.Change.deleted:
                name = name_of(path)
                if name is not None and os.path.isdir(name):  # a folder moved in whole: its files
                    for inner in _files([name]):
                        settling.saw(inner, file_state(inner), now)
                elif name is not None:
                    settling.saw(name, file_state(name), now)
        ready = settling.ready(time.monotonic(), file_state)
        if ready:
            report = store.ingest(ready, text_field=text_field, progress=False, on_problem=on_problem)
            on_report(report)
        changes = next(watcher, None)
