"""The engine-neutral steps of an ingest: what any engine runs, in the order the README's diagram
draws, with the engine deciding only where data lives and how work is spread.

1. `process_chunk`: read rows, extract articles, date them (`published.py`), note their traits
   (`match.facts`), fingerprint them (a worker's task);
2. `match_batch`: a batch's candidate pairs (its own, the band index's, exact copies, and for
   dated articles the fact keys'), the prefilter, verification on the sets, and the story rules
   (`judge_batch`: vetoes on verified edges, rescues of near misses): its edges;
3. placement: `cluster.plan_placement` over the articles and their edges.
The engine hands each step what it needs (the index, where sketches and sets are found) as
values and callables: no step reads the store itself.
"""
from __future__ import annotations

import os
import zlib
from collections.abc import Callable, Iterator
from typing import NamedTuple

import numpy as np

from . import config
from .ascii_texts import ascii_texts
from .bounded import WATCHDOG_FACTOR, extract_capture, timed
from .cluster import article_key, star_arrays
from .config import SETTINGS
from .extract import segment_text
from .fingerprint import PackedPrints, fingerprint_packed
from .index import BandIndex
from .index.runs import sorted_run
from .match.candidates import candidate_pairs, decode_pairs, exact_copy_pairs, pair_codes, weighted_pairs
from .match.facts import Traits, traits
from .match.items_scan import item_line_counts
from .match.judge import Judged, Known, PlainKeys, dated, judge_pairs, plain_key
from .match.prefilter import Sketches, prefilter_rows
from .match.verify import checked_pairs, pack_all_sets
from .model import Article, Capture, PairScores, Problem, one_line
from .published import captured_of, html_date, opening_tops, published_of, time_code
from .read import InputError, RawRow, RowBlock, RowSpan, resolve

# An article as the store takes it: (position, key, title, caption, credit, text, url, date, published,
# captured, traits): date is the container's as written, published and captured ISO 8601 (captured
# None: the container states none, the store records the ingest time), traits encoded (Traits.encode)
ArticleRow = tuple[int, int, str, str, str, str, str, str, "str | None", "str | None", str]
TITLE, TEXT, PUBLISHED, CAPTURED, TRAITS = 2, 5, 8, 9, 10  # where they are in an ArticleRow
Edge = tuple[int, int, PairScores]
HEADER_CHARS = 600  # how far after its headline a capture's byline and date stamp may be
# a fact key (a dated article's masked headline or table figures) meets articles published this close
KEY_HOURS = 48.0
KEY_BUCKET = 50  # a key more articles share within those hours is a routine template, not a candidate


class Extracted(NamedTuple):
    """A worker's result for one capture: what the writer needs, not the raw content."""

    name: str
    kind: str
    content_hash: str
    size: int  # bytes read, for the progress bar
    n_articles: int = 0
    problem: Problem | None = None
    page: bytes | None = None  # a page capture's text, zlib-compressed (store.schema: capture_texts)
    alias: str = ""  # the name an older newsfold gave it (Capture.alias)


class BatchPrints(NamedTuple):
    """What matching needs of some articles' fingerprints, in article order: body hash, word
    count, MinHash sketch (the low 8 bits of each bin: all the prefilter reads) and band keys,
    and the verification sets as one blob each (match/verify.py)."""

    body_hashes: list[str]
    n_words: np.ndarray
    sketches: np.ndarray  # uint8, n × bins
    keys: np.ndarray
    sets: list[bytes]

    @classmethod
    def of(cls, prints: PackedPrints) -> BatchPrints:
        return cls(prints.body_hashes, prints.n_words, prints.signatures.astype(np.uint8), prints.keys,
                   pack_all_sets(prints))

    @classmethod
    def concat(cls, parts: list[BatchPrints]) -> BatchPrints:
        return cls([h for p in parts for h in p.body_hashes], np.concatenate([p.n_words for p in parts]),
                   np.concatenate([p.sketches for p in parts]), np.concatenate([p.keys for p in parts]),
                   [b for p in parts for b in p.sets])


class ChunkResult(NamedTuple):
    """The result of a chunk of captures: their articles in order as store rows, and the
    articles' fingerprints (cheap to send between processes; nothing left for a writer to compute)."""

    captures: list[Extracted]
    rows: list[ArticleRow]
    prints: BatchPrints


def load_kernels() -> None:
    """Load (compiling on first use) every compiled loop an ingest runs, on a few words: so that
    worker processes forked afterwards share them instead of each loading them again, and a
    first ingest compiles them all at once, saying so (see `kernels_compiled`)."""
    segment_text("Load the kernels\n\nof extraction, and the \u2018non-ASCII\u2019 path", "", {"title": "Kernels"})
    opening_tops(["LONDON, March 3 - Load the kernels of dating"])
    item_line_counts(["Load the kernels\nBERNE - of digest items"])
    words = "load the kernels of matching and the \u2018non-ASCII\u2019 path, Once"
    texts = [words, words, words + " more", words + " more"]
    prints = BatchPrints.of(fingerprint_packed(texts))
    rows = [(0, 0, "Kernels", "", "", text, "", "", None, None, traits("Kernels", text, None).encode()) for text in texts]
    sources = MatchSources(BandIndex(), Sketches(SETTINGS.bins), lambda ids: {},
                           lambda ids: {aid: prints.sets[aid - 1] for aid in ids.tolist()}, lambda hashes: [])
    edges = [e for first in (1, 3) for e in match_batch(Batch(np.array([first, first + 1]), np.array([first - 1, first]),
                                                              prints, rows), sources).edges]
    sources.index.one_run()
    star_arrays(np.arange(1, 5), prints.n_words.astype(np.int64), np.zeros((4, 2), np.uint64), np.arange(4),
                np.array([e[:2] for e in edges], np.int64).reshape(-1, 2))


def kernels_compiled() -> bool:
    """Whether the compiled loops an ingest runs are in numba's cache on disk already (False: the
    first ingest after an install compiles them, which takes a while, once)."""
    from . import cluster, published_scan
    from .extract import linescan
    from .fingerprint import kernels as fingerprint_kernels
    from .index import kernels as index_kernels
    from .match import items_scan
    from .match import kernels as match_kernels

    loops = (fingerprint_kernels.fingerprint_texts, linescan.scan_lines, match_kernels.pair_overlaps,
             match_kernels.prefilter_pairs, index_kernels.band_spans, index_kernels.span_pairs,
             index_kernels.merge_into, cluster._star_members, published_scan.scan_tops, items_scan.count_item_lines)
    try:
        return all(os.path.exists(loop._cache._cache_file._index_path) for loop in loops)
    except AttributeError:  # another numba's internals: say nothing rather than guess
        return True


def lost_chunk(items: list, why: str) -> ChunkResult:
    """The result of a chunk whose worker died on it (crashed, killed, stopped past the CPU limit):
    a problem for each of its files or runs of rows. Which capture it died on is not known."""
    if "SIGXCPU" in why:
        why = f"extraction ran past {WATCHDOG_FACTOR} × the {config.SETTINGS.extract_seconds:g} s limit in compiled code"
    captures = []
    for item in items:
        if isinstance(item, Problem):
            captures.append(Extracted("", "", "", 0, problem=item))
            continue
        if isinstance(item, (RowBlock, RowSpan)):
            last = item.first_lineno + item.n_lines - 1
            problem = Problem(item.source, f"{why}; lines {item.first_lineno}-{last} not read", item.first_lineno)
        elif isinstance(item, RawRow):
            problem = Problem(item.source, why, item.lineno)
        else:  # a file: named as it was given, as its other problems are
            problem = Problem(item.alias or item.name, why)
        captures.append(Extracted("", "", "", 0, problem=problem))
    return ChunkResult(captures, [], BatchPrints.of(fingerprint_packed([])))


def _each(items: list[Capture | RawRow | RowBlock | RowSpan | Problem]) -> Iterator[Capture | RawRow | Problem]:
    for item in items:
        if isinstance(item, (RowBlock, RowSpan)):
            try:
                yield from item.rows()
            except InputError as err:  # a span's file changed under the ingest
                yield Problem(item.source, str(err), item.first_lineno)
        else:
            yield item


def process_chunk(items: list[Capture | RawRow | RowBlock | RowSpan | Problem]) -> ChunkResult:
    """Parse rows, extract, date, then fingerprint all bodies of the chunk at once (pure work: a
    worker's task). Whatever goes wrong with one capture is that capture's problem; the reader's
    problems pass through in their place."""
    captures: list[Extracted] = []
    found: list[tuple[Capture, tuple[Article, ...], str]] = []  # each capture with articles, its content hash
    with timed():
        for item in _each(items):
            cap = resolve(item)
            # bytes read, for the progress bar (a row's line end included)
            size = len(item.data) + 1 if isinstance(item, RawRow) else len(cap.content) if isinstance(cap, Capture) else 0
            if isinstance(cap, Problem):
                captures.append(Extracted("", "", "", size, problem=cap))
                continue
            content_hash, arts = extract_capture(cap)
            if isinstance(arts, Problem):
                if isinstance(item, RawRow):  # a row is found by its file and line; its id says which
                    arts = Problem(item.source, f"{arts.reason} (row {one_line(cap.name, 80)})", item.lineno)
                captures.append(Extracted(cap.name, cap.kind, content_hash, size, problem=arts, alias=cap.alias))
            else:
                page = zlib.compress(cap.content.encode("utf-8", "surrogatepass")) if cap.page else None
                captures.append(Extracted(cap.name, cap.kind, content_hash, size, len(arts), page=page,
                                          alias=cap.alias))
                found.append((cap, arts, content_hash))
    texts = [a.text for _, arts, _ in found for a in arts]  # joined from the paragraphs at each reading: once
    chunk = ascii_texts(texts)  # the chunk's texts as one buffer: scanned at once for datelines and digest items
    tops = iter(opening_tops(texts, chunk))
    item_lines = iter(item_line_counts(texts, chunk))
    rows: list[ArticleRow] = []
    at = 0
    for cap, arts, content_hash in found:
        captured = captured_of(cap.meta.get("captured"))
        mine = texts[at:at + len(arts)]
        at += len(arts)
        for a, text, published in zip(arts, mine, article_dates(cap, arts, mine, captured, tops)):
            rows.append((a.position, article_key(cap.name, content_hash, a.position), a.title, a.caption,
                         a.credit, text, a.url, a.date, published, captured,
                         traits(a.title, text, published if dated(published) else None, next(item_lines)).encode()))
    return ChunkResult(captures, rows, BatchPrints.of(fingerprint_packed(texts)))


def article_dates(cap: Capture, arts: tuple[Article, ...], texts: list[str], captured: str | None,
                  tops: Iterator[tuple] | None = None) -> list[str | None]:
    """Each article's publication date (published.published_of), ISO 8601, or its month and day
    alone ('--02-26') when a dateline is all it states and the capture has no date to take the
    year from: the container's date, its capture time, the page's metadata, or a date stamp of
    another of its articles. Never the ingest time. `tops`: the texts' `opening_tops`, in order,
    when the caller scanned them already."""
    page = html_date(cap.content) if cap.kind == "html" else None
    row_date = cap.meta.get("date")
    stated = [d for d in (row_date, captured, page) if d]
    if len(arts) == 1 and (cap.kind != "text" or "title" in cap.meta):  # a row or a page: one article
        found = published_of(arts[0].date or row_date, page, texts[0], stated,
                             top=next(tops) if tops is not None else None)
        return [found.value or found.month_day]
    mine = [next(tops) for _ in texts] if tops is not None else [None] * len(texts)
    # a text file's byline and date stamp lie between an article's headline and its body
    headers = _headers(cap.content, arts) if cap.kind == "text" else [""] * len(arts)
    found = [published_of(a.date or row_date, page, text, stated, header, top)
             for a, text, header, top in zip(arts, texts, headers, mine)]
    if len(arts) > 1 and any(p.value is None and p.month_day for p in found):
        stated += [p.value for p in found if p.source in ("row", "html", "stamp")]
        found = [published_of(a.date or row_date, page, text, stated, header, top) if p.value is None else p
                 for a, text, header, top, p in zip(arts, texts, headers, mine, found)]
    return [p.value or p.month_day for p in found]


def _headers(content: str, arts: tuple[Article, ...]) -> list[str]:
    """The lines of a text capture between each article's headline and its first paragraph (a
    byline, a date stamp): extraction keeps them out of the body. Empty where the headline or
    the paragraph is not found as written."""
    out, at = [], 0
    for a in arts:
        header = ""
        title = content.find(a.title, at) if a.title else -1
        if title >= 0 and a.paragraphs:
            start = title + len(a.title)
            body = content.find(a.paragraphs[0][:60], start, start + HEADER_CHARS + 60)
            if body >= 0:
                header, at = content[start:body], body
        out.append(header)
    return out


class Batch(NamedTuple):
    """Articles about to be stored together: their ids (ascending) and where their fingerprints
    and rows are in `prints` and `rows`."""

    ids: np.ndarray
    where: np.ndarray
    prints: BatchPrints
    rows: list[ArticleRow] = []  # the title, text, publication time and traits the story rules read


def _none(*_) -> dict:
    return {}


class MatchSources(NamedTuple):
    """Where matching finds what it needs of articles outside the batch (the engine's business)."""

    index: BandIndex  # band keys of the articles matched before
    sketches: Sketches  # sketches of this run's articles
    stored_sketches: Callable[[list[int]], dict[int, tuple[np.ndarray, int]]]  # id → (sketch, word count)
    set_blobs: Callable[[np.ndarray], dict[int, bytes]]  # id → verification-set blob
    earlier_copies: Callable[[list[str]], list[tuple[int, str]]]  # body hashes → (id, body hash) stored before
    # the story rules': id → (publication time, encoded traits, title), id → (title, text), of
    # articles matched before; and the articles matched before that hold one of some fact keys,
    # published within some times: (keys, from, to) → [(key, id, time)] (times: seconds since 1970)
    known: Callable[[list[int]], dict[int, tuple[str | None, str, str]]] = _none
    texts: Callable[[list[int]], dict[int, tuple[str, str]]] = _none
    keyed: Callable[[list[int], float, float], list[tuple[int, int, float]]] = lambda keys, lo, hi: []
    plain: PlainKeys | None = None  # the run's articles' plain keys: edges the rules cannot touch, unread


class Matched(NamedTuple):
    """A batch's edges after the story rules (match.judge.Judged), and its articles' fact keys to
    store: (key, id, publication time)."""

    edges: list[Edge]
    notes: list[tuple[str, str] | None]  # each edge's rule and evidence (None: the same text)
    apart: list[tuple[int, int, str, str]]  # verified edges a rule dropped: (a, b, rule, evidence)
    keys: list[tuple[int, int, float]]


def match_batch(batch: Batch, sources: MatchSources) -> Matched:
    """The edges of a batch (smaller id first): candidates from its own band keys, the index's
    and exact copies, prefiltered on sketches, verified on sets; for its dated articles, the fact
    keys' candidates too; then judged by the story rules (`verify_candidates`). The batch's keys and
    sketches join the index and the run's sketches."""
    ids, where, prints = batch.ids, batch.where, batch.prints
    keys = prints.keys[where]
    # sorted once (owners ascending within a key) for the batch's own pairs, the index lookup and the index
    run_keys, run_owners = sorted_run(keys.ravel(), np.repeat(ids, keys.shape[1]))
    indexed, indexed_weights, earlier = sources.index.pairs(run_keys, run_owners, presorted=True)
    found = [candidate_pairs(run_keys, run_owners, presorted=True, earlier=earlier),
             weighted_pairs(indexed, indexed_weights),
             exact_copy_pairs(ids.tolist(), map(prints.body_hashes.__getitem__, where.tolist()), sources.earlier_copies)]
    pairs = np.unique(np.concatenate(found))
    sources.index.add(run_keys, run_owners, presorted=True)
    sources.sketches.add(ids, prints.sketches[where], prints.n_words[where])
    times = publication_times([batch.rows[i][PUBLISHED] for i in where.tolist()]) if batch.rows else \
        np.zeros(ids.size)
    if sources.plain is not None and batch.rows:
        sources.plain.add(ids, np.fromiter((plain_key(batch.rows[i][PUBLISHED], batch.rows[i][TRAITS], batch.rows[i][TITLE])
                                            for i in where.tolist()), np.uint64, ids.size))
    fact_keys = article_fact_keys(ids, times, [batch.rows[i][TRAITS] for i in where.tolist()] if batch.rows else [])
    keyed = keyed_pairs(fact_keys, _keyed_others(fact_keys, sources))
    at = dict(zip(ids.tolist(), where.tolist()))

    def known(wanted: list[int]) -> dict[int, Known]:
        out = {i: known_of(batch.rows[at[i]]) for i in wanted if i in at}
        stored = sources.known([i for i in wanted if i not in at])
        out.update((i, Known(published, Traits.decode(line), title)) for i, (published, line, title) in stored.items())
        return out

    def texts(wanted: list[int]) -> dict[int, tuple[str, str]]:
        out = {i: (batch.rows[at[i]][TITLE], batch.rows[at[i]][TEXT]) for i in wanted if i in at}
        out.update(sources.texts([i for i in wanted if i not in at]))
        return out
    judged = verify_candidates(pairs, sources.sketches, sources.stored_sketches, sources.set_blobs, keyed,
                               ids[times > 0], known, texts, sources.plain)
    return Matched(judged.edges, judged.notes, judged.apart, fact_keys)


def known_of(row: ArticleRow) -> Known:
    """What the story rules' prechecks read of an article (match.judge.Known), from its row."""
    return Known(row[PUBLISHED], Traits.decode(row[TRAITS]), row[TITLE])


def verify_candidates(codes: np.ndarray, sketches: Sketches,
                      other_sketches: Callable[[list[int]], dict[int, tuple[np.ndarray, int]]],
                      set_blobs: Callable[[np.ndarray], dict[int, bytes]],
                      keyed: np.ndarray | None = None, dated_ids: np.ndarray | None = None,
                      known: Callable[[list[int]], dict[int, Known]] | None = None,
                      texts: Callable[[list[int]], dict[int, tuple[str, str]]] | None = None,
                      plain: PlainKeys | None = None) -> Judged:
    """The edges among candidate pairs (sorted codes), for every engine: those the prefilter lets
    through (on `sketches`, or `other_sketches` for articles they do not hold) and the fact keys'
    pairs `keyed` (a re-typed table shares few words: no prefilter), checked on their sets, then
    judged by the story rules (match.judge.judge_pairs): vetoes on verified edges, rescues of the
    near misses whose larger id is among `dated_ids`. `known(ids)`: what the rules' prechecks
    read of articles; `texts(ids)`: their (title, text). Without `known`, no rule applies. `plain`:
    the articles' plain keys (match.judge.plain_key), for not reading what is known of the two ends
    of an edge that share one (judge_pairs leaves an edge it knows nothing of as it is)."""
    codes = codes[_worth_checking(codes, sketches, other_sketches)]
    if keyed is not None and keyed.size:
        codes = np.sort(np.concatenate([codes, keyed[~np.isin(keyed, codes)]]))
    misses = np.isin(codes & 0xFFFFFFFF, dated_ids) if dated_ids is not None and dated_ids.size else None
    edges, near = checked_pairs(codes, set_blobs(np.unique(decode_pairs(codes))), misses)
    if known is None:
        return Judged(edges, [None] * len(edges), [])
    judged = [(a, b) for a, b, s in edges if s.jaccard < 1.0]
    if plain is not None and judged:
        ends = np.array(judged, np.int64)
        key_a, key_b = plain.of(ends[:, 0]), plain.of(ends[:, 1])
        judged = ends[(key_a == 0) | (key_a != key_b)].tolist()
    wanted = {i for pair in judged for i in pair} | {i for a, b, _ in near for i in (a, b)}
    return judge_pairs(edges, near, known(sorted(wanted)), texts)


def publication_times(published: list[str | None]) -> np.ndarray:
    """Each article's publication time (seconds since 1970; 0 when it has no full date)."""
    out = np.zeros(len(published))
    for k, value in enumerate(published):
        if dated(value):
            out[k] = max(time_code(value) >> 1, 1)
    return out


def article_fact_keys(ids: np.ndarray, times: np.ndarray, traits_lines: list[str]) -> list[tuple[int, int, float]]:
    """(key, id, publication time) of the dated articles' fact keys (match.facts.traits)."""
    out = []
    for k in np.flatnonzero(times > 0).tolist():
        for key in Traits.decode(traits_lines[k]).keys:
            out.append((key, int(ids[k]), float(times[k])))
    return out


def _keyed_others(fact_keys: list[tuple[int, int, float]], sources: MatchSources) -> list[tuple[int, int, float]]:
    """The articles matched before that share one of `fact_keys` within KEY_HOURS of it."""
    if not fact_keys:
        return []
    window = KEY_HOURS * 3600
    times = [t for *_, t in fact_keys]
    return list(sources.keyed(sorted({k for k, _, _ in fact_keys}), min(times) - window, max(times) + window))


def keyed_pairs(mine: list[tuple[int, int, float]], others: list[tuple[int, int, float]]) -> np.ndarray:
    """Sorted codes of the pairs that share a fact key and were published within KEY_HOURS of each
    other: each article of `mine` with the articles of smaller id among `mine` and `others`
    ((key, id, time) each). A key that KEY_BUCKET or more of those share within those hours is a
    routine template and gives the article none. Each pair is found from its larger id alone, so
    the pairs do not depend on how articles are cut into batches or partitions."""
    if not mine:
        return np.zeros(0, np.int64)
    window = KEY_HOURS * 3600
    members: dict[int, list[tuple[int, float]]] = {}
    for key, aid, t in (*others, *mine):
        members.setdefault(key, []).append((aid, t))
    a, b = [], []
    for key, aid, t in mine:
        near = {other for other, u in members[key] if other < aid and abs(u - t) <= window}
        if len(near) >= KEY_BUCKET:
            continue
        a += near
        b += [aid] * len(near)
    return np.unique(pair_codes(np.array(a, np.int64), np.array(b, np.int64)))


def _worth_checking(codes: np.ndarray, sketches: Sketches,
                    other_sketches: Callable[[list[int]], dict[int, tuple[np.ndarray, int]]]) -> np.ndarray:
    """Which candidate pairs (sorted codes) pass the prefilter (match/prefilter.py)."""
    if not codes.size:
        return np.zeros(0, bool)
    pairs = decode_pairs(codes)
    at = sketches.rows(pairs)
    unseen = np.unique(pairs[at < 0])  # not in `sketches` (stored before this run, or another partition's)
    other_sig, other_size = np.zeros((unseen.size, SETTINGS.bins), np.uint8), np.zeros(unseen.size, np.int64)
    if unseen.size:
        stored = other_sketches(unseen.tolist())
        for k, aid in enumerate(unseen.tolist()):
            other_sig[k], other_size[k] = stored[aid]
        at = np.where(at < 0, -np.searchsorted(unseen, pairs) - 1, at)
    return prefilter_rows(sketches, other_sig, other_size, at[:, 0], at[:, 1])
