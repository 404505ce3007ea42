"""The Dask engine's last tasks: connected components of the verified edges (large-star and
small-star steps of `components`, edges partitioned by node), then each component's articles and
edges gathered by label, star clustering there (`cluster.plan_placement`), and the rows the store
takes, cut and sorted by key."""
from __future__ import annotations

import numpy as np

from ..cluster import Nodes, plan_placement, story_id
from ..published import time_iso
from . import components
from .dask_shuffle import flat, owner_part, split_by
from .dask_tasks import SCORE_FIELDS, PartArticles


# ---- connected components: large-star / small-star, edges partitioned by node -----------------

def both_ways(n_parts: int, pairs: np.ndarray) -> list[np.ndarray]:
    """Edges as (node, neighbour) entries both ways, cut by the node's partition."""
    entries = np.concatenate([pairs, pairs[:, ::-1]]) if pairs.size else np.zeros((0, 2), np.int64)
    return [e[0] for e in split_by(components.node_partition(entries[:, 0], n_parts), n_parts, entries)]


def large_star_step(n_parts: int, starts: np.ndarray, bundles: list[list]) -> tuple[list, tuple[int, int], list]:
    """Large-star on one node partition: its new edges cut by the larger end's partition (for
    small-star), the digest of the edges it was given, and its nodes' labels so far cut by the
    article partition they belong to."""
    entries = np.concatenate(flat(bundles))
    linked, labels = components.large_star(entries)
    out = [e[0] for e in split_by(components.node_partition(linked[:, 0], n_parts), n_parts, linked)]
    return out, components.edge_digest(entries), split_by(owner_part(labels[:, 0], starts), starts.size, labels)


def small_star_step(n_parts: int, bundles: list[list]) -> list[np.ndarray]:
    """Small-star on one node partition: its new edges both ways, cut by node partition."""
    return both_ways(n_parts, components.small_star(np.concatenate(flat(bundles))))


# ---- placement: components gathered by label, star clustering in each -------------------------

def placement_pieces(n_parts: int, arts: PartArticles, edges: tuple, label_bundles: list[list]) -> tuple[list, list]:
    """A partition's articles in components, with their label, cut by the label's partition (and
    its edges, by their smaller end's label); and the stories of its articles with no edge (one
    each: story rows and placements)."""
    label_pieces = flat(label_bundles)
    labels = np.concatenate([p[0] for p in label_pieces]) if label_pieces else np.zeros((0, 2), np.int64)
    labels = labels[np.argsort(labels[:, 0])]
    at = (labels[:, 0] - arts.ids[0]) if arts.ids.size else labels[:, 0]
    label_of = np.full(arts.ids.size, -1, np.int64)
    label_of[at] = labels[:, 1]
    linked = np.flatnonzero(label_of >= 0)
    dest = components.node_partition(label_of[linked], n_parts)
    titles = arts.titles
    nodes = [(arts.ids[k], arts.n_words[k], arts.digests[k], arts.art_keys[k], [titles[i] for i in k.tolist()],
              arts.is_digest[k], arts.published[k], arts.captured[k])
             for (k,) in split_by(dest, n_parts, linked)]
    pairs, scores, notes = edges[:3]
    edge_dest = components.node_partition(label_of[pairs[:, 0] - arts.ids[0]], n_parts) if pairs.size else \
        np.zeros(0, np.int64)
    numbers = np.arange(len(notes), dtype=np.int64)
    edge_parts = [(p, s, [notes[i] for i in k.tolist()])
                  for p, s, k in split_by(edge_dest, n_parts, pairs, scores, numbers)]
    alone = np.flatnonzero(label_of < 0).tolist()
    sids = [story_id(f"{arts.digests[k, 0]:016x}") for k in alone]
    published = [time_iso(c) for c in arts.published[alone].tolist()]
    captured = [time_iso(c) for c in arts.captured[alone].tolist()]
    singles = ([(sid, int(arts.ids[k]), 1, titles[k], p, p, c, c)
                for sid, k, p, c in zip(sids, alone, published, captured)],
               [(int(arts.ids[k]), sid) for sid, k in zip(sids, alone)], [])
    return [(n, e) for n, e in zip(nodes, edge_parts)], singles


def place_components(bundles: list[list]) -> tuple[list, list, list]:
    """Star clustering of the components gathered here (`cluster.plan_placement`: components are
    independent, so this is the stories the whole graph gives them): story rows, placements and
    merge evidence."""
    pieces = flat(bundles)
    nodes = [n for n, _ in pieces]
    edges = [e for _, e in pieces]
    ids = np.concatenate([n[0] for n in nodes])
    if not ids.size:
        return [], [], []
    titles = dict(zip(ids.tolist(), (t for n in nodes for t in n[4])))
    plan = plan_placement(
        Nodes(ids, np.concatenate([n[1] for n in nodes]), np.concatenate([n[2] for n in nodes]).reshape(-1, 2),
              np.concatenate([n[3] for n in nodes]), np.concatenate([n[5] for n in nodes]),
              np.concatenate([n[6] for n in nodes]), np.concatenate([n[7] for n in nodes]),
              lambda chosen: {i: titles[i] for i in chosen.tolist()}),
        np.concatenate([e[0] for e in edges]).reshape(-1, 2), np.concatenate([e[1] for e in edges]).reshape(-1, SCORE_FIELDS),
        [note for e in edges for note in e[2]])
    return list(plan.stories), list(plan.placements), plan.merges


def cut_rows(n_parts: int, starts: np.ndarray, rows: tuple[list, list, list]) -> list[tuple]:
    """Story rows cut by story id range, placements and merge evidence by the partition of their
    article: the store takes each table in key order, appending to its b-tree."""
    stories, placements, merges = rows
    at = [(int(row[0], 16) * n_parts) >> 64 for row in stories]
    story_parts: list[list] = [[] for _ in range(n_parts)]
    for j, row in zip(at, stories):
        story_parts[j].append(row)
    by_article = []
    for rows in (placements, merges):
        where = owner_part(np.fromiter((r[0] for r in rows), np.int64, len(rows)), starts).tolist()
        parts: list[list] = [[] for _ in range(n_parts)]
        for j, row in zip(where, rows):
            parts[j].append(row)
        by_article.append(parts)
    return list(zip(story_parts, *by_article))


def sorted_rows(bundles: list[list]) -> tuple[list, list, list]:
    """One range's story rows in story id order (a story of several after a lone one with the
    same id, as `plan_placement` orders them), and placements and merges in article order."""
    pieces = flat(bundles)
    stories = sorted((row for p in pieces for row in p[0]), key=lambda row: (row[0], row[2] > 1, row[1]))
    placements = sorted((row for p in pieces for row in p[1]), key=lambda row: row[0])
    merges = sorted((row for p in pieces for row in p[2]), key=lambda row: row[0])
    return stories, placements, merges
