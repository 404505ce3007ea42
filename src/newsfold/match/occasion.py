"""The story rules that keep two verified-close texts apart: same words, another story.

The shingle verification says whether two texts share their words; these rules say whether they
tell the same story. Each takes the `Facts` of two articles (match/facts.py) and returns a
`Verdict` with the evidence a reader needs ("published 1987-03-02 vs 1987-04-21, figures differ:
1.5 billion dlrs / 2.0 billion dlrs (1 of 2)"), or None when it has nothing to say.

- `occasion`: the same report of another occasion. Two notices whose figures disagree in the same
  places ("to arrange 1.5 billion dlrs" / "to arrange 2.0 billion dlrs") are other reports, a
  recurring one when published on other days, a successive one when most of their shared figures
  changed within the day; an update keeps most of its figures and revises a few, and a correction
  says so ("corrects", "CORRECTED"). Without figures, the same relative day word in the same
  words ("in today's tender") under datelines of other days names another day; and two texts
  each dated in its dateline, RECURRING_DAYS or more apart, are two reports whatever they say.
- `issuer`: one template, another issuer: the headlines' tickers differ, or each headline names
  someone the other text never mentions, or the opening sentence's subject of one text is absent
  from the other.
- `digest`: a text made of many dateline-led items ("BERNE - ...", "TOKYO - ...") lists stories;
  it takes none of the items it lists (and is never a story's canonical version: cluster.py).

Thresholds are module constants, measured on the judged pairs of the Reuters and BBC pools
(tests/data/judged_pairs.jsonl, benchmarks/judged_pairs.py). Stdlib only, pure functions.
"""
from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from .facts import DIGEST_ITEMS, Facts
from .figures import Figure, figure_slots, same_figure

SAME_DAY_HOURS = 20.0  # closer than this, two wire items are of one day's cycle
SUCCESSIVE_SHARE = 0.15  # within a day, a re-issued notice changing this share of its figures is a new one
SAME_FORM = 0.65  # ... when this share of its figure places (anchor word, rank) are the other's
RECURRING_SHARE = 0.1  # on another day, this share of changed figures in shared places makes another report
MIN_SLOTS = 1  # shared figure places needed to call figures different at all
# a text dated in its own dateline and another dated a week or more later are two reports, whatever
# their figures (a monthly tender announced in the same words); a re-sent story keeps its dateline
RECURRING_DAYS = 7


class Verdict(NamedTuple):
    """What a rule says of a pair: "recurring-report", "successive-notice", "other-issuer", "digest"
    keep it apart; "update", "retyped", "rewrite", "same text" make it one story."""

    rule: str
    apart: bool  # True: not the same story (an edge to drop); False: the same story (keep or add the edge)
    evidence: str


def hours_apart(a: str | None, b: str | None) -> float | None:
    """Hours between two ISO 8601 publication times (dates at midnight); None if either is unknown."""
    if not a or not b or a.startswith("--") or b.startswith("--"):
        return None
    return abs((_when(a) - _when(b)).total_seconds()) / 3600


def _when(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s.replace("Z", "")) if "T" in s else dt.datetime.fromisoformat(s)


def _show(f: Figure) -> str:
    return f.written


def occasion(a: Facts, b: Facts) -> Verdict | None:
    """Another report of the same kind (module doc); None when nothing says so."""
    if a.correction or b.correction:
        return Verdict("update", False, "one says it corrects or repeats the other")
    hours = hours_apart(a.published, b.published)
    when = f"published {a.published} vs {b.published}" if hours is not None else "publication dates unknown"
    if hours is not None and hours < SAME_DAY_HOURS and a.session and b.session and a.session != b.session:
        return Verdict("successive-notice", True, f"{when}, market reports of other sessions of the day")
    weeks_apart = bool(hours is not None and hours >= RECURRING_DAYS * 24 and a.dateline_day and b.dateline_day
                       and a.dateline_day != b.dateline_day)
    shared, agree, differ = figure_slots(a.figures, b.figures)
    title_differ = [(x, y) for x, y in zip(a.title_figures, b.title_figures) if not same_figure(x, y)]
    if a.title_template == b.title_template and title_differ and hours is not None:
        x, y = title_differ[0]
        rule = "successive-notice" if hours < SAME_DAY_HOURS else "recurring-report"
        return Verdict(rule, True, f"{when}, same headline with other figures: {_show(x)} / {_show(y)}")
    if shared >= MIN_SLOTS and differ and hours is not None:
        share = len(differ) / shared
        shown = ", ".join(f"{_show(x)} / {_show(y)}" for x, y in differ[:3])
        if hours >= SAME_DAY_HOURS and share >= RECURRING_SHARE:
            return Verdict("recurring-report", True, f"{when}, figures differ: {shown} ({len(differ)} of {shared})")
        # within a day: the same notice re-issued (same headline, figures in the same places) with
        # new figures; a desk's own version of a table has other labels, an update other wording
        keys_a, keys_b = {f.slot for f in a.figures}, {f.slot for f in b.figures}
        same_form = len(keys_a & keys_b) >= SAME_FORM * len(keys_a | keys_b)
        if hours < SAME_DAY_HOURS and share >= SUCCESSIVE_SHARE and same_form and a.title_template == b.title_template:
            return Verdict("successive-notice", True,
                           f"{when}, same headline and form, new figures: {shown} ({len(differ)} of {shared})")
        if not weeks_apart:
            return Verdict("update", False, f"{when}, keeps {agree} of {shared} figures, revises {shown}")
    # no figures to tell: the same relative day word in the same words under datelines of other days
    if a.dateline_day and b.dateline_day and a.dateline_day != b.dateline_day and hours is not None \
            and hours >= SAME_DAY_HOURS:
        same = set(a.relative_days) & set(b.relative_days)
        if same:
            context, offset = sorted(same)[0]
            return Verdict("recurring-report", True,
                           f"'{context}' in both, under datelines {a.dateline_day} vs {b.dateline_day}: other days")
    if weeks_apart:
        return Verdict("recurring-report", True, f"{when}, under datelines {a.dateline_day} vs {b.dateline_day}: "
                                                 f"reports {RECURRING_DAYS} days or more apart")
    return None


def _present(word: str, words: frozenset[str]) -> bool:
    """Is a name in the other text's words, a typo aside (one letter off in a word of 5 or more)."""
    if word in words:
        return True
    if len(word) < 5:
        return False
    return any(abs(len(w) - len(word)) <= 1 and w[:2] == word[:2] and _one_edit(w, word) for w in words)


def _one_edit(x: str, y: str) -> bool:
    if len(x) == len(y):
        diff = [i for i, (p, q) in enumerate(zip(x, y)) if p != q]
        return len(diff) <= 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and x[diff[0]] == y[diff[1]]
                                  and x[diff[1]] == y[diff[0]])
    if len(x) > len(y):
        x, y = y, x
    return any(x == y[:i] + y[i + 1:] for i in range(len(y)))


def issuer(a: Facts, b: Facts) -> Verdict | None:
    """One template, another issuer: the subject that opens one text (its first distinctive word)
    is nowhere in the other, or their tickers differ."""
    if a.correction or b.correction:
        return None
    if a.title_tickers and b.title_tickers and not a.title_tickers & b.title_tickers:
        return Verdict("other-issuer", True,
                       f"tickers {'/'.join(sorted(a.title_tickers))} vs {'/'.join(sorted(b.title_tickers))}")
    only_a = [w for w in a.title_names if not _present(w, b.words)]
    only_b = [w for w in b.title_names if not _present(w, a.words)]
    if only_a and only_b:
        return Verdict("other-issuer", True, f"headlines name '{only_a[0]}' and '{only_b[0]}', each absent from the other")
    for x, y in ((a, b), (b, a)):
        if x.subject and not any(_present(w, y.words) for w in x.subject):
            return Verdict("other-issuer", True,
                           f"'{' '.join(x.subject)}' opens one text and its headline, and is nowhere in the other"
                           f" ('{' '.join(y.subject) or '?'}')")
    return None


def is_digest(f: Facts) -> bool:
    """A text made of dateline-led items: at least DIGEST_ITEMS of them, and most of its lines."""
    return f.digest_items >= DIGEST_ITEMS and f.digest_items >= 0.5 * f.lines


def digest(a: Facts, b: Facts) -> Verdict | None:
    """A digest and one of the items it lists are not one story: the item is a story of its own,
    with no item-form paragraph ("BERNE - …"). Two versions of a digest are one story, and so are
    a digest and its abridged copy (which keeps an item or two)."""
    if is_digest(a) != is_digest(b) and min(a.digest_items, b.digest_items) == 0:
        n = max(a.digest_items, b.digest_items)
        return Verdict("digest", True, f"a digest of {n} dateline-led items and a single story it may list")
    return None


def judge_edge(a: Facts, b: Facts) -> Verdict | None:
    """The first rule that keeps a verified edge's two articles apart, or None (the edge stays)."""
    for rule in (digest, issuer, occasion):
        verdict = rule(a, b)
        if verdict is not None:
            return verdict if verdict.apart else None
    return None
