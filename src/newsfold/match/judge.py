"""Judging pairs: the story rules applied to what verification found.

Every verified edge is judged by the vetoes (match/occasion.py: digest, issuer, occasion); every
near miss of two dated articles by the rescues (match/rescue.py: re-typed table, rewrite). `why`
says, for one pair, which rule decides and on what evidence: the one explanation of whether two
articles are one story, which the ingest, `show` and `newsfold.compare` share.

The rules read an article's `Facts`, which cost about a millisecond to make; an ingest makes them
only where a rule could decide. Its prechecks read the headlines and the `Traits` every article
carries:

- a digest veto needs a digest (traits: dateline-led items and lines), and is decided on the
  traits when the other text's items were counted;
- an issuer veto needs two headlines with other tickers or other words (the names of one headline
  that the other text lacks are among those the other headline lacks: a text's words include
  its title);
- an occasion veto needs both publication dates (`occasion` says nothing without them);
- a rescue needs both dates, and a pair close enough in time and text for the rescue's own
  first conditions.

So an undated corpus pays for a set comparison per verified edge and nothing more. Two texts with
the same words (Jaccard 1: copies, re-sends) are one story whatever their headlines say.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from ..model import PairScores
from . import HIGH_CONTAINMENT, MIN_CONTAINMENT, MIN_LEAD, MIN_SCORE, same_story
from .facts import Facts, Traits, facts, head_words, tickers
from .occasion import Verdict, digest, hours_apart, issuer, judge_edge, occasion
from .rescue import (REWRITE_CONTAINMENT, REWRITE_HOURS, REWRITE_LEAD, TABLE_HOURS, TABLE_LINES, results, retyped,
                     rewrite)

SAME_TEXT = "same text"
Edge = tuple[int, int, PairScores]


class Known(NamedTuple):
    """What is known of an article without reading its text: its publication time, traits and headline."""

    published: str | None
    traits: Traits
    title: str


class Judged(NamedTuple):
    """Pairs judged: the edges that stand (verified and rescued, smaller id first), each one's rule
    and evidence (None: the same text, no rule had more to say), and the verified edges a rule
    dropped, as (a, b, rule, evidence)."""

    edges: list[Edge]
    notes: list[tuple[str, str] | None]
    apart: list[tuple[int, int, str, str]]


def dated(published: str | None) -> bool:
    """A full date (a day of a year), not a month-day only ('--03-02') nor nothing."""
    return bool(published) and not published.startswith("--")


def conditions(scores: PairScores) -> str:
    """The same-story conditions of match.same_story on one pair's scores, in words."""
    c, score, lead = scores.containment, scores.score, scores.lead_overlap
    parts = [f"containment {c:.2f} {'≥' if c >= MIN_CONTAINMENT else '<'} {MIN_CONTAINMENT:g}",
             f"with names/figures {score:.2f} {'≥' if score >= MIN_SCORE else '<'} {MIN_SCORE:g}"]
    if c >= HIGH_CONTAINMENT:
        parts.append(f"near-identical (containment ≥ {HIGH_CONTAINMENT:g})")
    else:
        parts.append(f"openings {lead:.2f} {'≥' if lead >= MIN_LEAD else '<'} {MIN_LEAD:g}")
    return ", ".join(parts)


def why(a: Facts, b: Facts, scores: PairScores) -> Verdict:
    """Whether two articles are one story, the rule that decides and its evidence: a verified pair
    (match.same_story) stays one story unless a veto keeps it apart; a pair that fails
    verification is one story if a rescue folds it (both publication dates known)."""
    if scores.jaccard >= 1.0:
        return Verdict(SAME_TEXT, False, "the same words")
    if same_story(*scores):
        for rule in (digest, issuer, occasion):
            verdict = rule(a, b)
            if verdict is not None:
                return verdict
        return Verdict(SAME_TEXT, False, conditions(scores))
    if dated(a.published) and dated(b.published):
        rescued = None
        if judge_edge(a, b) is None:
            rescued = retyped(a, b) or rewrite(a, b, scores.containment, scores.lead_overlap)
        if rescued is None:
            # one issuer's results of one period issued again with revised lines look like a
            # successive notice to the vetoes: the headlines' ticker and period say what it is
            rescued = results(a, b)
        if rescued is not None:
            return rescued
    return Verdict("other text", True, conditions(scores))


def _digest_apart(x: Traits, y: Traits) -> Verdict | bool:
    """occasion.digest on the traits: its verdict, or whether it may keep them apart (True: one is
    a digest, and the other's items were not counted)."""
    if x.digest == y.digest:
        return False
    other = y if x.digest else x
    if other.items < 0:
        return True
    if other.items == 0:
        return Verdict("digest", True, f"a digest of {max(x.items, y.items)} dateline-led items and a single "
                                       "story it may list")
    return False


def _veto_possible(x: Known, y: Known) -> bool:
    """Whether issuer or occasion could keep a verified pair apart (module doc)."""
    if dated(x.published) and dated(y.published):
        return True
    if x.title == y.title:
        return False
    if set(head_words(x.title)) != set(head_words(y.title)):
        return True
    tx, ty = tickers(x.title), tickers(y.title)
    return bool(tx and ty and not tx & ty)


def plain_key(published: str | None, traits_line: str, title: str) -> int:
    """An article's key for the prechecks: two articles with the same nonzero key are a verified
    edge no rule can touch (neither is dated nor has counted items: no digest, issuer or occasion
    veto, `_veto_possible` with the same headline), so an engine need not read what is known of
    them. A hash of the headline for such an article (Python's: keys are compared within one
    process), 0 for any other."""
    if traits_line or dated(published):
        return 0
    return (hash(title) & 0xFFFFFFFFFFFFFFFF) | 1


class PlainKeys:
    """The `plain_key` of every article a run has matched (ids from `base` on, 0: none known)."""

    def __init__(self) -> None:
        self.base = -1
        self.key = np.zeros(0, np.uint64)

    def add(self, ids: np.ndarray, keys: np.ndarray) -> None:
        """Remember articles' keys; ids ascending, none before the first ever added."""
        if not ids.size:
            return
        if self.base < 0:
            self.base = int(ids[0])
        at = ids - self.base
        if at[-1] >= self.key.size:  # room for as many again: a copy per doubling
            key = np.zeros(max(int(at[-1]) + 1, 2 * self.key.size, 1024), np.uint64)
            key[: self.key.size] = self.key
            self.key = key
        self.key[at] = keys

    def of(self, ids: np.ndarray) -> np.ndarray:
        """Each id's key, 0 for one this run has not matched."""
        out = np.zeros(ids.size, np.uint64)
        if self.base >= 0:
            at = ids - self.base
            seen = (at >= 0) & (at < self.key.size)
            out[seen] = self.key[at[seen]]
        return out


def _rescue_possible(x: Known, y: Known, scores: PairScores) -> bool:
    """Whether retyped or rewrite could fold a near miss (their first conditions, on the traits)."""
    hours = hours_apart(x.published, y.published)
    if hours is None:
        return False
    if (hours <= REWRITE_HOURS and scores.containment >= REWRITE_CONTAINMENT
            and scores.lead_overlap >= REWRITE_LEAD):
        return True
    return hours <= TABLE_HOURS and all(t.tables >= 2 and t.tables >= TABLE_LINES * t.lines
                                        for t in (x.traits, y.traits))


def judge_pairs(edges: list[Edge], near: list[Edge], known: dict[int, Known],
                texts: Callable[[list[int]], dict[int, tuple[str, str]]]) -> Judged:
    """Judge a batch's verified edges and near misses (pairs that failed verification; those of
    two dated articles may be rescued). `known`: every end's publication time and traits;
    `texts(ids)`: (title, text) of those whose facts a rule needs."""
    plain: list[int] = []  # positions in edges that no rule can touch
    vetoes: dict[int, Verdict] = {}
    full: list[tuple[int, int, PairScores, bool]] = []  # (a, b, scores, verified) needing facts
    for k, (a, b, scores) in enumerate(edges):
        if scores.jaccard >= 1.0:
            plain.append(k)
            continue
        x, y = known.get(a), known.get(b)
        if x is None or y is None:  # nothing known of one end (an engine that gave nothing): no rule applies
            plain.append(k)
            continue
        verdict = _digest_apart(x.traits, y.traits)
        if isinstance(verdict, Verdict):
            vetoes[k] = verdict
        elif verdict or _veto_possible(x, y):
            full.append((a, b, scores, True))
        else:
            plain.append(k)
    full += [(a, b, s, False) for a, b, s in near if a in known and b in known
             and _rescue_possible(known[a], known[b], s)]
    made = _facts_of({i for a, b, _, _ in full for i in (a, b)}, known, texts)
    out = Judged([edges[k] for k in plain], [None] * len(plain), [])
    for k, verdict in vetoes.items():
        a, b, _ = edges[k]
        out.apart.append((a, b, verdict.rule, verdict.evidence))
    for a, b, scores, verified in full:
        verdict = why(made[a], made[b], scores)
        if not verdict.apart:
            out.edges.append((a, b, scores))
            out.notes.append(None if verdict.rule == SAME_TEXT else (verdict.rule, verdict.evidence))
        elif verified:
            out.apart.append((a, b, verdict.rule, verdict.evidence))
    order = sorted(range(len(out.edges)), key=lambda k: out.edges[k][:2])
    return Judged([out.edges[k] for k in order], [out.notes[k] for k in order],
                  sorted(out.apart))


def _facts_of(ids: set[int], known: dict[int, Known], texts) -> dict[int, Facts]:
    if not ids:
        return {}
    found = texts(sorted(ids))
    return {i: facts(*found.get(i, ("", "")), known[i].published) for i in ids}
