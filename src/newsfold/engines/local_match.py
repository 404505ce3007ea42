"""The local engine's matching state: the band index, this run's sketches and recent sets, the
spill and partner caches, exact copies seen, and (for a run into an empty store) the arrays its
stories are planned from. It answers `pipeline.match_batch`'s questions (`MatchSources`)."""
from __future__ import annotations

import os
from collections import deque
from typing import NamedTuple

import numpy as np

from .. import index
from ..cluster import Nodes, digest_halves
from ..config import SETTINGS
from ..fingerprint import fingerprint_packed
from ..match.facts import Traits
from ..match.judge import PlainKeys
from ..match.prefilter import Sketches
from ..match.verify import pack_all_sets
from ..model import PairScores
from ..pipeline import CAPTURED, PUBLISHED, TITLE, TRAITS, Batch, Matched, MatchSources, match_batch
from ..published import time_code
from ..store import file_path
from ..store import reads as db
from ..store.bands import BandStore
from .set_cache import PartnerCache, SetSpill

# recent articles whose verification sets are kept in memory (~4 KB each); older ones' sets are
# read back from the spill file
RECENT_ARTICLES = 8192
# partners stored by an earlier ingest (or not spilled) whose sets were made again from their
# texts, kept (~2.7 KB each) once they are needed a second time
PARTNER_CACHE = 20_000


class StoredBatch(NamedTuple):
    """A batch about to be stored (its rows in `batch.rows`), with its captures' ingest time and its
    articles' keys."""

    batch: Batch
    seen_at: float
    keys: np.ndarray


class RunArticles:
    """What placing this run's articles in stories needs, kept as they are stored when the store
    held no article before the run: the end of the run then plans its stories from these arrays,
    not from SQL reads of what it just wrote. ~70 bytes an article and ~50 an edge."""

    def __init__(self) -> None:
        self.ids: list[np.ndarray] = []
        self.n_words: list[np.ndarray] = []
        self.digests: list[np.ndarray] = []  # body hashes as two big-endian halves (uint64 pairs)
        self.keys: list[np.ndarray] = []
        self.is_digest: list[np.ndarray] = []
        self.published: list[np.ndarray] = []  # time codes (published.time_code)
        self.captured: list[np.ndarray] = []
        self.pairs: list[np.ndarray] = []  # edges (a < b) and their PairScores fields
        self.scores: list[np.ndarray] = []
        self.notes: dict[int, tuple[str, str]] = {}  # edge number → its rule and evidence, for the few that have one
        self.n_edges = 0
        # titles (a story row carries its canonical's), a batch's as one UTF-8 blob and where each
        # ends: a str each would cost twice the memory
        self.title_blobs: list[bytes] = []
        self.title_ends: list[np.ndarray] = []

    def add(self, stored: StoredBatch, matched: Matched) -> None:
        (ids, where, prints, rows), seen_at, keys = stored
        taken = [rows[i] for i in where.tolist()]
        encoded = [r[TITLE].encode("utf-8", "surrogatepass") for r in taken]
        self.title_blobs.append(b"".join(encoded))
        self.title_ends.append(np.cumsum(np.fromiter(map(len, encoded), np.int64, len(encoded))))
        self.ids.append(ids)
        self.n_words.append(prints.n_words[where].astype(np.int32))
        self.digests.append(digest_halves(list(map(prints.body_hashes.__getitem__, where.tolist()))))
        self.keys.append(keys)
        # most articles' traits are empty (no digest): decoded only where there is something
        self.is_digest.append(np.array([bool(r[TRAITS]) and Traits.decode(r[TRAITS]).digest for r in taken], bool))
        self.published.append(np.fromiter((time_code(r[PUBLISHED]) for r in taken), np.int64, len(taken)))
        ingested = 2 * int(seen_at) + 1
        self.captured.append(np.fromiter((time_code(r[CAPTURED]) if r[CAPTURED] else ingested for r in taken),
                                         np.int64, len(taken)))
        edges = matched.edges
        self.pairs.append(np.array([(a, b) for a, b, _ in edges], np.int64).reshape(-1, 2))
        self.scores.append(np.array([s for *_, s in edges], np.float64).reshape(-1, len(PairScores._fields)))
        self.notes.update((self.n_edges + k, note) for k, note in enumerate(matched.notes) if note is not None)
        self.n_edges += len(edges)

    def nodes(self) -> tuple[Nodes, np.ndarray, np.ndarray, list[tuple[str, str] | None]]:
        """The run's articles as clustering nodes, its edges, their scores and notes."""
        ids, n_words, digests, keys, is_digest, published, captured, pairs, scores = (
            np.concatenate(parts) for parts in (self.ids, self.n_words, self.digests, self.keys, self.is_digest,
                                                self.published, self.captured, self.pairs, self.scores))
        notes = [None] * self.n_edges
        for k, note in self.notes.items():
            notes[k] = note
        return (Nodes(ids, n_words.astype(np.int64), digests, keys, is_digest, published, captured, self.titles),
                pairs, scores, notes)

    def titles(self, ids: np.ndarray) -> dict[int, str]:
        """id → title of some of this run's articles."""
        firsts = np.array([b[0] for b in self.ids], np.int64)  # a batch's ids run on from its first
        batch = np.searchsorted(firsts, ids, side="right") - 1
        out: dict[int, str] = {}
        for k in np.unique(batch).tolist():
            chosen = ids[batch == k]
            blob, ends = self.title_blobs[k], self.title_ends[k]
            at = chosen - firsts[k]
            starts = np.where(at > 0, ends[np.maximum(at - 1, 0)], 0)
            for aid, a, b in zip(chosen.tolist(), starts.tolist(), ends[at].tolist()):
                out[aid] = blob[a:b].decode("utf-8", "surrogatepass")
        return out


class LocalMatcher:
    """Finds and verifies each batch's same-story pairs as the batch is written."""

    def __init__(self, conn) -> None:
        self.conn = conn
        self.store_had_articles = db.has_articles(conn)
        self.index = index.load(BandStore(conn))
        self.first_copy: dict[str, int] = {}  # this run's first article per body hash
        # the last batches, newest first, for verifying against recent articles without a store read
        self.recent: deque[Batch] = deque()
        self.sketches = Sketches(SETTINGS.bins)  # what the prefilter needs of this run's articles
        self.plain = PlainKeys()  # and the story rules' prechecks
        self.run = None if self.store_had_articles else RunArticles()
        self.partners = PartnerCache(PARTNER_CACHE)
        path = file_path(conn)
        self.spill = SetSpill(os.path.dirname(os.path.abspath(path)) if path else None)

    def release(self) -> None:
        """Let go of the index, the caches and the sketches (hundreds of MB at scale), and delete
        the spilled sets: matching is over."""
        self.index, self.recent, self.sketches, self.first_copy, self.run = None, deque(), None, {}, None
        self.plain = None
        self.partners = PartnerCache(0)
        self.spill.close()

    def edges_for(self, stored: StoredBatch) -> Matched:
        """The edges of a batch after the story rules, before its articles are stored (in the same
        transaction, after); its band keys join the index. A batch whose transaction fails ends
        the ingest (its ids would be handed out again)."""
        batch = stored.batch
        self._remember(batch._replace(rows=[]))  # its own sets are among the recent ones (its rows go)
        matched = match_batch(batch, MatchSources(
            self.index, self.sketches, self._stored_sketches, self._set_blobs, self._earlier_copies,
            lambda ids: db.known(self.conn, ids), lambda ids: db.titled_texts(self.conn, ids),
            lambda keys, lo, hi: db.keyed(self.conn, keys, lo, hi), self.plain))
        for aid, i in zip(batch.ids.tolist(), batch.where.tolist()):
            self.first_copy.setdefault(batch.prints.body_hashes[i], aid)
        if self.run is not None:
            self.run.add(stored, matched)
        return matched

    def _earlier_copies(self, hashes: list[str]) -> list[tuple[int, str]]:
        found = [(self.first_copy[h], h) for h in hashes if h in self.first_copy]
        if self.store_had_articles:
            found += db.with_body_hashes(self.conn, hashes)
        return found

    def _stored_sketches(self, ids: list[int]) -> dict[int, tuple[np.ndarray, int]]:
        return {aid: (sketch, n) for aid, sketch, n in db.sketches(self.conn, ids)}

    def _set_blobs(self, ids: np.ndarray) -> dict[int, bytes]:
        """The set blobs of `ids`: recent ones from memory, older ones of this run from the spill,
        the rest (stored before the run, or not spilled) made again from their texts."""
        blobs = self._recent(ids)
        missing = [aid for aid in ids.tolist() if aid not in blobs]
        if missing:
            spilled, missing = self.spill.take(missing)
            blobs.update(spilled)
        if missing:
            held, missing = self.partners.take(missing)
            made = self._sets_from_texts(missing)
            self.partners.offer(made)
            blobs.update(held)
            blobs.update(made)
        return blobs

    def _sets_from_texts(self, ids: list[int]) -> dict[int, bytes]:
        """The set blobs of stored articles, made again from their texts (without signature and
        band keys: verification needs the sets alone)."""
        if not ids:
            return {}
        texts = db.article_texts(self.conn, ids)
        return dict(zip(texts, pack_all_sets(fingerprint_packed(list(texts.values()), minhash=False))))

    def _remember(self, batch: Batch) -> None:
        self.recent.appendleft(batch)
        while sum(b.ids.size for b in self.recent) - self.recent[-1].ids.size >= RECENT_ARTICLES:
            old = self.recent.pop()
            self.spill.add(old.ids, [old.prints.sets[i] for i in old.where.tolist()])

    def _recent(self, ids: np.ndarray) -> dict[int, bytes]:
        """The set blobs of those of `ids` that are in one of the recent batches."""
        found: dict[int, bytes] = {}
        for batch in self.recent:
            if not batch.ids.size:
                continue
            here = ids[(ids >= batch.ids[0]) & (ids <= batch.ids[-1])]
            at = np.searchsorted(batch.ids, here)
            for aid, i in zip(here.tolist(), at.tolist()):
                if batch.ids[i] == aid:
                    found[aid] = batch.prints.sets[int(batch.where[i])]
        return found
