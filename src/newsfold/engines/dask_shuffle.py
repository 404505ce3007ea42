"""How results move between the Dask engine's tasks: Dask's task shuffle, and what each stage costs.

A task that feeds a shuffle returns its output already cut into one piece per receiving
partition (a list), and the engine hands piece j to receiver j (`piece`), directly or, past a
few partitions, in two stages through groups (`pieces_for`, `join_senders`, `bundle`). Every
receiver takes a list of bundles (lists of pieces, senders in order) and flattens it (`flat`).
"""
from __future__ import annotations

import numpy as np
from dask.utils import key_split
from distributed.diagnostics.plugin import SchedulerPlugin


def piece(value, path: tuple, j: int) -> list:
    """Piece j of a task's result (found under `path` in it) as a bundle of one: what a shuffle's
    receiver j takes from one sender. Every receiver takes a list of bundles (lists of pieces)."""
    for step in path:
        value = value[step]
    return [value[j]]


def pieces_for(value, path: tuple, lo: int, hi: int) -> list:
    """A sender's pieces for receivers lo..hi-1 (the first stage of a two-stage shuffle)."""
    for step in path:
        value = value[step]
    return value[lo:hi]


def join_senders(cuts: list[list]) -> list[list]:
    """Several senders' pieces for a group of receivers → for each receiver, a bundle of their
    pieces in sender order (the second stage)."""
    return [[cut[d] for cut in cuts] for d in range(len(cuts[0]))] if cuts else []


def bundle(value: list, j: int) -> list:
    return value[j]


def flat(bundles: list[list]) -> list:
    """A receiver's bundles → its pieces, senders in order."""
    return [p for b in bundles for p in b]


class StageMeter(SchedulerPlugin):
    """On the scheduler: tasks run and bytes of their results, per stage (a key's prefix)."""

    name = "newsfold-stage-meter"

    def __init__(self) -> None:
        self.tasks: dict[str, int] = {}
        self.bytes: dict[str, int] = {}

    async def start(self, scheduler) -> None:
        self.scheduler = scheduler

    def transition(self, key, start, finish, *args, **kwargs) -> None:
        if finish != "memory":
            return
        prefix = key_split(key)
        ts = self.scheduler.tasks.get(key)
        self.tasks[prefix] = self.tasks.get(prefix, 0) + 1
        self.bytes[prefix] = self.bytes.get(prefix, 0) + max(ts.nbytes if ts is not None else 0, 0)


def owner_part(ids: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The partition of each article id (`starts`: each partition's first id, ascending)."""
    return np.searchsorted(starts, ids, side="right") - 1


def split_by(where: np.ndarray, n_parts: int, *columns: np.ndarray) -> list[tuple[np.ndarray, ...]]:
    """Rows of `columns` cut by their partition `where`, keeping their order within each."""
    order = np.argsort(where, kind="stable")
    bounds = np.searchsorted(where[order], np.arange(n_parts + 1))
    cut = [c[order] for c in columns]
    return [tuple(c[bounds[j]:bounds[j + 1]] for c in cut) for j in range(n_parts)]
