"""Connected components of a graph cut across partitions: alternating large-star and small-star
steps (Kiveris et al., "Connected Components in MapReduce and Beyond", 2014), each a pure
function of one partition's edges, with the edges re-partitioned by node between steps. No step
ever holds more than its partition's edges; O(log n) rounds; a component's label is its
smallest node. Node ids are non-negative and under 2^32 (article ids of one store).

Edges are (m, 2) int64 arrays of (node, neighbour) entries, as a step receives them: grouped by
the node, which is in the partition that runs the step.
"""
from __future__ import annotations

import numpy as np

MIX = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: spreads consecutive ids over partitions


def node_partition(nodes: np.ndarray, n_parts: int) -> np.ndarray:
    """Which of n_parts partitions a node's edges go to (a hash of its id, so a run of ids that
    form one big component is spread out)."""
    return ((nodes.astype(np.uint64) * MIX) >> np.uint64(33)).astype(np.int64) % n_parts


def _grouped(entries: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (node, neighbour) entries sorted by node: nodes, neighbours, where each node's
    group starts, and each group's node."""
    codes = np.unique((entries[:, 0] << 32) | entries[:, 1])
    u, v = codes >> 32, codes & 0xFFFFFFFF
    starts = np.flatnonzero(np.concatenate(([True], u[1:] != u[:-1]))) if u.size else np.zeros(0, np.int64)
    return u, v, starts, u[starts]


def large_star(entries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Large-star over the (node, neighbour) entries of some nodes (each edge given both ways):
    each node u links every larger neighbour to the smallest of u and its neighbours. Returns the
    new edges as (larger, smaller) rows, and each node with that smallest (its label so far)."""
    u, v, starts, nodes = _grouped(entries)
    if not u.size:
        return np.zeros((0, 2), np.int64), np.zeros((0, 2), np.int64)
    low = np.minimum(np.minimum.reduceat(v, starts), nodes)
    each = np.repeat(low, np.diff(np.append(starts, u.size)))
    larger = v > u
    return np.stack([v[larger], each[larger]], axis=1), np.stack([nodes, low], axis=1)


def small_star(entries: np.ndarray) -> np.ndarray:
    """Small-star over (node, smaller neighbour) entries: each node links itself and its smaller
    neighbours to the smallest of them. Returns the new edges as (node, smallest) rows."""
    u, v, starts, nodes = _grouped(entries)
    if not u.size:
        return np.zeros((0, 2), np.int64)
    low = np.minimum(np.minimum.reduceat(v, starts), nodes)
    each = np.repeat(low, np.diff(np.append(starts, u.size)))
    linked = np.concatenate([v, nodes])
    to = np.concatenate([each, low])
    keep = linked != to
    return np.stack([linked[keep], to[keep]], axis=1)


def edge_digest(entries: np.ndarray) -> tuple[int, int]:
    """(how many, a sum of mixed codes) of the distinct undirected edges among (node, neighbour)
    entries that a partition holds with node < neighbour: summed over partitions, equal digests of
    two rounds mean the edge set did not change (the steps reached their fixed point, a star per
    component)."""
    codes = np.unique((entries[:, 0] << 32) | entries[:, 1])
    codes = codes[(codes >> 32) < (codes & 0xFFFFFFFF)].astype(np.uint64)
    mixed = (codes * MIX) ^ (codes >> np.uint64(29))
    return int(codes.size), int(mixed.sum(dtype=np.uint64))
