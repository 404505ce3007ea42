"""Plain readings of definitions that newsfold computes by compiled or packed code: the tests
hold the fast code to these (each is what the module docstring it names says, and nothing else)."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from newsfold.config import SETTINGS
from newsfold.match import compare
from newsfold.match.verify import DIGEST, HEADER_WORDS, N_LEAD, N_SHINGLES, N_WORDS, SETS_TAG, TAG


def prefilter(sig_a: np.ndarray, sig_b: np.ndarray, n_a: np.ndarray, n_b: np.ndarray) -> np.ndarray:
    """match/prefilter.py's two tests, in numpy, for pairs given as rows of two signature arrays."""
    j = (sig_a == sig_b).mean(axis=1)
    n_a, n_b = np.maximum(n_a.astype(np.float64), 1), np.maximum(n_b.astype(np.float64), 1)
    small = np.minimum(n_a, n_b)
    estimate = j * (n_a + n_b) / ((1 + j) * small)
    c = SETTINGS.min_containment
    j_at_threshold = np.clip(c * small / (n_a + n_b - c * small), 0, 1)
    error = np.sqrt(j_at_threshold * (1 - j_at_threshold) / sig_a.shape[1])
    return (estimate >= SETTINGS.prefilter_containment) | (j >= j_at_threshold - SETTINGS.prefilter_sigmas * error)


def unpack_sets(blob: bytes) -> tuple[str, int, np.ndarray, np.ndarray, np.ndarray]:
    """(body hash, word count, shingles, lead, names/figures) of a set blob (match/verify.py's layout)."""
    arr = np.frombuffer(blob, dtype=np.uint32)
    if not arr.size or arr[TAG] != SETS_TAG:
        raise ValueError("not a verification-set blob")
    n_words, n_shingles, n_lead = int(arr[N_WORDS]), int(arr[N_SHINGLES]), int(arr[N_LEAD])
    body = arr[HEADER_WORDS:]
    digest = blob[4 * DIGEST : 4 * DIGEST + 16].hex()
    return digest, n_words, body[:n_shingles], body[n_shingles : n_shingles + n_lead], body[n_shingles + n_lead :]


def verify(pairs, prints) -> list:
    """The pairs (ids into `prints`, id → Fingerprint) that are one story, one `compare` at a time."""
    out = []
    for a, b in sorted({(min(a, b), max(a, b)) for a, b in pairs if a != b}):
        s = compare(prints[a], prints[b])
        if s.same_story:
            out.append((a, b, s))
    return out


class Node(NamedTuple):
    id: int
    n_words: int
    body_hash: str
    key: int


def star_clusters(nodes: list[Node], edges) -> dict[int, list[int]]:
    """Star clustering as cluster.py's docstring defines it, a set and a sort at a time: nodes most
    complete first (words, body hash, key); exact copies (one body hash and word count) are one
    node; an unplaced node opens a story with its copies and takes every unplaced node with an
    edge to one of them, with that node's copies. canonical id → members, in that order."""
    ordered = sorted(nodes, key=lambda n: (-n.n_words, n.body_hash, n.key))
    rank = {n.id: i for i, n in enumerate(ordered)}
    copies: dict[tuple[int, str], list[int]] = {}
    for n in ordered:
        copies.setdefault((n.n_words, n.body_hash), []).append(n.id)
    group = {n.id: copies[(n.n_words, n.body_hash)] for n in ordered}
    adj: dict[int, set[int]] = {}
    for a, b in edges:
        if a in rank and b in rank and a != b:
            adj.setdefault(a, set()).add(b)
            adj.setdefault(b, set()).add(a)
    placed: set[int] = set()
    stories = {}
    for n in ordered:
        if n.id in placed:
            continue
        members = list(group[n.id])
        placed.update(members)
        near = {m for c in members for m in adj.get(c, ()) if m not in placed}
        for m in sorted(near, key=rank.__getitem__):
            if m not in placed:
                taken = [c for c in group[m] if c not in placed]
                members += taken
                placed.update(taken)
        stories[n.id] = members
    return stories
