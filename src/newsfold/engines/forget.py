"""Forgetting captures: what was ingested by mistake, or is to be replaced by a corrected file.

The captures' articles go with everything that names them (placements, evidence, edges, band
keys, full-text entries); the stories they were in are taken apart, and their other members
placed again as an ingest places pending articles. The store is then what a clean ingest of the
rest would have made: the same stories, since stories depend only on the articles and their
verified edges, and every edge among the rest was verified by the same rule.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import index
from ..cluster import EXACT_COPY
from ..model import IngestReport
from ..store import Transaction, reads, writes
from ..store import bands as stored_bands
from .local import _place_pending, ingest_lock


class Forgotten(NamedTuple):
    captures: int
    articles: int
    stories_replaced: int  # stories taken apart and placed again
    stories: int  # stories in the store after


def forget(conn, capture_ids: list[int]) -> Forgotten:
    """Remove the captures `capture_ids` and re-place the stories their articles were in."""
    with ingest_lock(conn):
        with Transaction(conn):
            articles = reads.articles_of_captures(conn, capture_ids)
            touched = reads.stories_of(conn, articles)
            rest = sorted(set(reads.members_of(conn, touched)) - set(articles))
            writes.unplace(conn, touched, rest)
            writes.delete_captures(conn, capture_ids, articles)
            writes.insert_edges(conn, _copy_links(reads.body_hashes_of(conn, rest)))
            _drop_band_keys(conn, np.array(articles, np.int64))
        report = IngestReport()
        _place_pending(conn, report)
        return Forgotten(len(capture_ids), len(articles), len(touched), reads.count_stories(conn))


def _copy_links(body_hashes: list[tuple[int, str]]) -> list[tuple[int, int, object]]:
    """Edges linking each exact copy to the first of its copies (an ingest links a copy to the
    first copy stored: that one may be among the forgotten)."""
    first: dict[str, int] = {}
    links = []
    for aid, body_hash in sorted(body_hashes):
        if body_hash in first:
            links.append((first[body_hash], aid, EXACT_COPY))
        else:
            first[body_hash] = aid
    return links


def _drop_band_keys(conn, articles: np.ndarray) -> None:
    """Rewrite the stored band runs that hold keys of `articles`, without them."""
    if not articles.size:
        return
    reader = stored_bands.BandStore(conn)
    for run_id, size, fences in reader.runs():
        keys, owners = index.StoredRun(reader, run_id, size, fences).read()
        keep = ~np.isin(owners, articles)
        if keep.all():
            continue
        stored_bands.delete_runs(conn, [run_id])
        if keep.any():
            stored_bands.save_run(conn, *index.stored_form((keys[keep], owners[keep])))
