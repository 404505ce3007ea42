"""Cluster stage: verified edges → stories, without chaining.

Star clustering: articles are taken most complete first (most words, then body hash, then
article key), a digest (a text made of dateline-led items, match/occasion.py) after every other
article; each article not yet placed opens a story as its canonical version and takes every
unplaced article it has a verified edge to. Every member is therefore verified-close to its
story's canonical article: A~B and B~C never pull an unlike C into A's story; and a digest
never opens a story that another article could (it would take the items it lists).

Exact copies (one body hash) are one node: a copy of a member is a member, and an edge to any
copy is an edge to all of them (their texts are the same). So the stories depend only on the
set of articles and edges, never on input order nor on which copy an edge was found with, and
an engine that names articles by their content (`article_key`) gets the same stories.

A story's id is its canonical body's hash (`story_id`): stable across runs and engines.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple

import numpy as np
import xxhash
from numba import njit

from .model import PairScores
from .published import UNKNOWN, time_iso

STORY_ID_HEX = 16  # a story id: the first 64 bits of its canonical body hash, in hex
EXACT_COPY = PairScores(1.0, 1.0, 1.0, 1.0)  # what verification gives two copies of one body


def story_id(body_hash: str) -> str:
    return body_hash[:STORY_ID_HEX]


def article_key(capture: str, content_hash: str, position: int) -> int:
    """An article's engine-neutral name, as a signed 64-bit int: from its capture's name and
    content and its place there, never from the order articles were stored in."""
    return xxhash.xxh3_64_intdigest(f"{content_hash}\0{position}\0{capture}".encode("utf-8", "surrogatepass")) - (1 << 63)


def digest_halves(body_hashes: list[str]) -> np.ndarray:
    """Body hashes (hex) as (n, 2) uint64, big-endian halves: the hex strings' order."""
    return np.frombuffer(bytes.fromhex("".join(body_hashes)), ">u8").astype(np.uint64).reshape(-1, 2)


class Nodes(NamedTuple):
    """The articles to place, as arrays: id, word count, body hash halves, key, whether it is a
    digest, when it was published and captured (published.time_code), and (an id → title lookup)
    what a story row takes from its canonical."""

    ids: np.ndarray  # int64
    n_words: np.ndarray  # int64
    digests: np.ndarray  # (n, 2) uint64
    keys: np.ndarray  # int64 (article_key)
    is_digest: np.ndarray  # bool
    published: np.ndarray  # int64 time codes, published.UNKNOWN when unknown
    captured: np.ndarray  # int64 time codes
    titles: Callable[[np.ndarray], dict[int, str]]


StoryRow = tuple[str, int, int, str, "str | None", "str | None", "str | None", "str | None"]
Merge = tuple[int, str, int, PairScores, "str | None", "str | None"]


class Placement(NamedTuple):
    """Where articles go: stories rows (id, canonical, size, title, first and last published,
    first and last captured: ISO 8601) in story id order, (article, story) placements in article
    order, and each non-canonical member's evidence (member, story, canonical, scores, rule,
    evidence: those of the edge it was placed by; rule None: the same text)."""

    stories: Iterable[StoryRow]
    placements: Iterable[tuple[int, str]]
    merges: list[Merge]


def star_arrays(ids: np.ndarray, n_words: np.ndarray, digests: np.ndarray, keys: np.ndarray,
                pairs: np.ndarray, last: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Star clustering of the nodes (ids, word counts, body hash halves, keys) over the edges
    `pairs` ((m, 2) ids; an end outside the nodes is ignored); `last`: the nodes taken after all
    others (digests). Returns every node's id, story by story (canonical first), where each story
    starts (n_stories + 1 bounds), and each node's body (a number shared by exact copies alone)."""
    n = ids.size
    if n == 0:
        return ids[:0], np.zeros(1, np.int64), np.zeros(0, np.int64)
    order, rank, run_end = _completeness(n_words, digests, keys, np.zeros(n, bool) if last is None else last)
    body = (np.cumsum(np.concatenate(([True], run_end[1:] != run_end[:-1]))) - 1)[rank]
    by_id = np.argsort(ids)
    at = np.minimum(np.searchsorted(ids[by_id], pairs), n - 1)
    known = (ids[by_id][at] == pairs).all(axis=1) & (pairs[:, 0] != pairs[:, 1])
    a, b = by_id[at[known, 0]], by_id[at[known, 1]]
    # neighbour lists by rank: each node's neighbours' ranks, ascending
    codes = np.sort(np.concatenate([rank[a] * n + rank[b], rank[b] * n + rank[a]]))
    codes = codes[np.concatenate((codes[:1] == codes[:1], codes[1:] != codes[:-1]))]  # np.unique: 10× slower here
    indptr = np.searchsorted(codes // n, np.arange(n + 1))
    members, starts = _star_members(run_end, indptr, codes % n)
    return ids[order[members]], starts, body


def _completeness(n_words: np.ndarray, digests: np.ndarray, keys: np.ndarray,
                  last: np.ndarray) -> tuple[np.ndarray, ...]:
    """(nodes most complete first, those `last` after the others, each node's rank there, and for
    each rank where its run of exact copies ends: copies share word count and body hash (and so
    whether they are digests), so they are neighbours in it)."""
    order = np.lexsort((keys, digests[:, 1], digests[:, 0], -n_words, last))
    rank = np.empty(order.size, np.int64)
    rank[order] = np.arange(order.size)
    d, w = digests[order], n_words[order]
    new_body = np.concatenate(([True], (d[1:] != d[:-1]).any(axis=1) | (w[1:] != w[:-1])))
    starts = np.flatnonzero(new_body)
    ends = np.append(starts[1:], order.size)
    run_end = np.repeat(ends, ends - starts)
    return order, rank, run_end


@njit(cache=True, nogil=True)
def _star_members(run_end, indptr, neighbours):
    """Star clustering over ranks 0..n-1 (most complete first): each rank not yet placed opens a
    story with its run of copies (ranks up to run_end), and takes every unplaced run with an
    edge to one of them (neighbours[indptr[r]:indptr[r+1]], ascending). Returns the members
    (ranks) story by story and where each story starts."""
    n = run_end.size
    placed = np.zeros(n, np.bool_)
    members = np.empty(n, np.int64)
    starts = np.empty(n + 1, np.int64)
    taken = np.empty(n, np.int64)
    k = s = 0
    for r in range(n):
        if placed[r]:
            continue
        starts[s] = k
        s += 1
        first = k
        for c in range(r, run_end[r]):  # the canonical and its copies
            placed[c] = True
            members[k] = c
            k += 1
        m = 0
        for c in range(r, run_end[r]):
            for e in range(indptr[c], indptr[c + 1]):
                u = neighbours[e]
                if not placed[u]:
                    taken[m] = u
                    m += 1
        if m:
            for u in np.sort(taken[:m]):
                if placed[u]:
                    continue
                while u > 0 and run_end[u - 1] == run_end[u]:  # back to the start of u's run of copies
                    u -= 1
                for c in range(u, run_end[u]):
                    if not placed[c]:
                        placed[c] = True
                        members[k] = c
                        k += 1
        if k == first:  # unreachable: a story has its canonical
            break
    starts[s] = k
    return members, starts[: s + 1]


def plan_placement(nodes: Nodes, pairs: np.ndarray, scores: np.ndarray,
                   notes: list[tuple[str, str] | None] | None = None) -> Placement:
    """The stories of `nodes` over the verified edges `pairs` ((m, 2) ids) with their `scores`
    ((m, 4): PairScores' fields) and `notes` (each edge's rule and evidence, None: the same text;
    no list: none has any): rows for the stories, placements and merges. One function for every
    engine and every way in (a run's arrays, or a component read back from the store)."""
    ids, digests = nodes.ids, nodes.digests
    members, starts, body = star_arrays(ids, nodes.n_words, digests, nodes.keys, pairs, nodes.is_digest)
    sizes = np.diff(starts)
    by_id = np.argsort(ids)
    where = by_id[np.searchsorted(ids[by_id], members)]  # each member's index in the nodes' arrays
    canonical, story_hash = members[starts[:-1]], digests[where[starts[:-1]], 0]
    # in story id order, a story of several after a lone one with the same id (the later row wins)
    order = np.lexsort((canonical, sizes > 1, story_hash))
    story_ids = [f"{x:0{STORY_ID_HEX}x}" for x in story_hash.tolist()]
    title = nodes.titles(canonical)
    spans = [_span(codes[where], starts) for codes in (nodes.published, nodes.captured)]
    iso = {code: time_iso(code) for span in spans for column in span for code in np.unique(column).tolist()}
    stories = zip(map(story_ids.__getitem__, order.tolist()), canonical[order].tolist(), sizes[order].tolist(),
                  map(title.__getitem__, canonical[order].tolist()),
                  *(map(iso.__getitem__, column[order].tolist()) for span in spans for column in span))
    story_of = np.repeat(np.arange(sizes.size), sizes)
    placed = np.argsort(members, kind="stable")  # placements in article order: appended, not inserted
    placements = zip(members[placed].tolist(), map(story_ids.__getitem__, story_of[placed].tolist()))
    member_body = body[where]
    return Placement(stories, placements, _merge_evidence(ids, body, members, member_body, starts, story_ids, pairs,
                                                          scores, notes))


def _span(codes: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first and last known time code of each story (members in `codes`, stories from
    `starts`); UNKNOWN where none of a story's members has one."""
    if not codes.size:
        return codes, codes
    first = np.minimum.reduceat(np.where(codes == UNKNOWN, np.iinfo(np.int64).max, codes), starts[:-1])
    return np.where(first == np.iinfo(np.int64).max, UNKNOWN, first), np.maximum.reduceat(codes, starts[:-1])


def _merge_evidence(ids: np.ndarray, body: np.ndarray, members: np.ndarray, member_body: np.ndarray,
                    starts: np.ndarray, story_ids: list[str], pairs: np.ndarray, scores: np.ndarray,
                    notes: list[tuple[str, str] | None] | None) -> list[Merge]:
    """Each non-canonical member's scores, rule and evidence against its canonical: those of an
    edge between their bodies (any copy of either: copies score alike), or an exact copy's."""
    sizes = np.diff(starts)
    story = np.repeat(np.arange(sizes.size), sizes)
    folded = np.ones(members.size, bool)
    folded[starts[:-1]] = False
    m, bm, story = members[folded], member_body[folded], story[folded]
    c, bc = members[starts[:-1]][story], member_body[starts[:-1]][story]
    if not m.size:
        return []
    by_id = np.argsort(ids)
    at = np.minimum(np.searchsorted(ids[by_id], pairs), ids.size - 1)
    known = (ids[by_id][at] == pairs).all(axis=1)
    kept = np.flatnonzero(known)
    pairs, scores, at = pairs[kept], scores[kept], at[kept]
    notes = [notes[k] for k in kept.tolist()] if notes is not None else None
    ea, eb = body[by_id[at[:, 0]]], body[by_id[at[:, 1]]]
    base = int(body.max()) + 1
    edge_codes = np.minimum(ea, eb) * base + np.maximum(ea, eb)
    edge_order = np.argsort(edge_codes, kind="stable")
    wanted = np.minimum(bm, bc) * base + np.maximum(bm, bc)
    copies = bm == bc
    edge = edge_order[np.minimum(np.searchsorted(edge_codes[edge_order], wanted), max(edge_order.size - 1, 0))] \
        if edge_order.size else np.zeros(m.size, np.int64)
    if edge_order.size and not (copies | (edge_codes[edge] == wanted)).all():
        raise AssertionError("a story member with no verified edge to its canonical version")
    rows = scores[edge].tolist() if edge_order.size else [EXACT_COPY] * m.size
    rules = [notes[k] or (None, None) for k in edge.tolist()] if notes is not None and edge_order.size \
        else [(None, None)] * m.size
    return [(aid, story_ids[k], cid, EXACT_COPY if same else PairScores(*row), *((None, None) if same else rule))
            for aid, k, cid, row, same, rule in zip(m.tolist(), story.tolist(), c.tolist(), rows, copies.tolist(),
                                                    rules)]
