"""Cluster stage: verified edges → stories, without chaining.

Star clustering: articles are taken in order of completeness (most words first, ties by body
hash); each article not yet placed opens a story as its canonical version and takes every
unplaced article it has a verified edge to. Every member is therefore verified-close to its
story's canonical article: A~B and B~C never pull an unlike C into A's story. The result
depends only on the set of articles and edges, never on input order.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import NamedTuple


class Node(NamedTuple):  # a tuple: the end of a 1M ingest clusters hundreds of thousands
    id: int
    n_words: int
    body_hash: str


def completeness(node: Node) -> tuple:
    return (-node.n_words, node.body_hash, node.id)


def star_clusters(nodes: Iterable[Node], edges: Iterable[tuple[int, int]]) -> dict[int, list[int]]:
    """canonical id → member ids (canonical first)."""
    adj: dict[int, set[int]] = defaultdict(set)
    for a, b in edges:
        adj[a].add(b)
        adj[b].add(a)
    ordered = sorted(nodes, key=lambda n: (-n.n_words, n.body_hash, n.id))  # completeness, inlined
    rank = {n.id: i for i, n in enumerate(ordered)}
    placed: set[int] = set()
    stories: dict[int, list[int]] = {}
    for n in ordered:
        if n.id in placed:
            continue
        members = [n.id] + sorted((m for m in adj[n.id] if m not in placed and m in rank), key=rank.__getitem__)
        placed.update(members)
        stories[n.id] = members
    return stories
