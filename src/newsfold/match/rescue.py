"""The story rules that fold two texts the shingle verification keeps apart: same story, other words.

- `retyped`: a results table typed by two desks ("Revs" / "Sales", "12 mths" / "Year", "12.2 mln" /
  "12,231,000"): figures compared as numbers within rounding, labels through synonyms
  (LABEL_SYNONYMS, learned from the Reuters pool by `learn_label_synonyms`).
- `results`: one issuer's results for one period issued again (operating beside reported
  figures, a revised line): the same ticker and headline period, half the table's figures kept.
- `rewrite`: a rewrite or update under the containment threshold: within REWRITE_HOURS, nothing
  keeps them apart (match/occasion.py), at most a quarter of the figures in shared places
  revised, the names and figures of one (case and typos aside) in the other, and each text's
  opening facts in the other (a follow-up opens on a fact the other lacks).

All need the two articles' publication dates (a rescue across days would fold recurring
reports). Thresholds are module constants, measured on the judged pairs of the Reuters and BBC
pools (benchmarks/judged_pairs.py). Stdlib only, pure functions.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from .facts import Facts
from .figures import figure_slots, found_share, same_figure
from .occasion import Verdict, _present, _show, hours_apart, issuer, judge_edge

REWRITE_CONTAINMENT = 0.4  # rewrites are rescued from here up ...
REWRITE_NAMES = 0.7  # ... when this share of the smaller text's names and figures are in the other ...
REWRITE_REVISED = 0.25  # ... and at most this share of the figures in shared places differ
# a desk's own version comes within its day's cycle (an evening story and its next-morning version)
REWRITE_HOURS = 20.0
REWRITE_LEAD = 0.3  # a rewrite keeps some of its opening; a follow-up writes a new one ...
REWRITE_LEAD_KEPT = 0.6  # ... whose facts (content words, figures) the other text lacks
TABLE_FIGURES = 4  # figures two tables must share to be compared
TABLE_AGREEMENT = 0.8  # share of the smaller table's figures found equal in the other ...
TABLE_WHOLE = 0.6  # ... and of all the smaller text's figures
TABLE_LINES = 0.5  # a results notice is mostly its table: this share of its lines are table rows
TABLE_HOURS = 48.0  # two desks' tables of one results notice come within two days
RESULTS_AGREEMENT = 0.5  # one issuer's results of one period issued again keep half their table figures
# labels two desks give one row of a results table: learned (learn_label_synonyms, pairs of tables
# sharing a figure key, at least 2 pairs a label pair) from the Reuters pool by benchmarks/judged_pairs.py
LABEL_SYNONYMS = {"sales": "revs"}


def learn_label_synonyms(pairs: Iterable[tuple[Facts, Facts]], min_count: int = 2) -> dict[str, str]:
    """Label → its canonical synonym, learned from table pairs whose figures agree row by row:
    where two tables give the same figures under other labels ("revs 41.1 mln vs 20.3 mln" /
    "sales 41.1 mln vs 20.3 mln"), the labels name the same thing. A pair of labels seen in at least
    `min_count` table pairs is kept; each class is named by its most frequent label."""
    seen: Counter[tuple[str, str]] = Counter()
    freq: Counter[str] = Counter()
    for x, y in pairs:
        for la, fa in x.table:
            freq[la] += 1
            for lb, fb in y.table:
                if la != lb and fa and len(fa) == len(fb) and all(same_figure(p, q) for p, q in zip(fa, fb)) \
                        and any(p.value != 0 for p in fa):
                    seen[tuple(sorted((la, lb)))] += 1
    parent: dict[str, str] = {}

    def root(w: str) -> str:
        while parent.get(w, w) != w:
            w = parent[w]
        return w
    for (la, lb), n in seen.items():
        if n >= min_count:
            ra, rb = root(la), root(lb)
            if ra != rb:
                parent[max(ra, rb, key=lambda w: (freq[w], w))] = max(ra, rb, key=lambda w: (freq[w], w))
                parent[min(ra, rb, key=lambda w: (freq[w], w))] = max(ra, rb, key=lambda w: (freq[w], w))
    return {w: root(w) for w in parent if root(w) != w}


def retyped(a: Facts, b: Facts, synonyms: Mapping[str, str] | None = None) -> Verdict | None:
    """Two results tables of one issuer typed by two desks: their figures agree within rounding
    (labels through `synonyms`), and nothing else says other occasion or issuer."""
    if len(a.table) < 2 or len(b.table) < 2 or not (a.opens_table and b.opens_table):
        return None
    if len(a.table) < TABLE_LINES * a.table_lines or len(b.table) < TABLE_LINES * b.table_lines:
        return None  # a table among prose lines is not a results notice (the notes after it aside)
    if not (a.tickers & b.tickers or set(a.head_names) & set(b.head_names)):
        return None  # one issuer's report: both headlines name it
    synonyms = LABEL_SYNONYMS if synonyms is None else synonyms
    n, found = table_figures_found(a, b)
    if n < TABLE_FIGURES or found < TABLE_AGREEMENT * n:
        return None
    # the tables are the notices: most figures of the whole texts agree, not just a shared table
    whole_small, whole_large = (a.figures, b.figures) if len(a.figures) <= len(b.figures) else (b.figures, a.figures)
    whole_n, whole_found = found_share(whole_small, whole_large)
    if whole_found < TABLE_WHOLE * whole_n:
        return None
    label = {lb: synonyms.get(lb, lb) for lb, _ in a.table + b.table}

    def rows(table):  # a label's n-th row (a results table gives "Net" for the quarter, then the year)
        seen: Counter[str] = Counter()
        out = {}
        for lb, fs in table:
            seen[label[lb]] += 1
            out[(label[lb], seen[label[lb]])] = fs
        return out
    rows_a, rows_b = rows(a.table), rows(b.table)
    clash = [key for key in rows_a.keys() & rows_b.keys() if rows_a[key] and rows_b[key]
             and not any(same_figure(x, y) for x, y in zip(rows_a[key], rows_b[key]))]
    if clash or issuer(a, b) is not None:
        return None
    hours = hours_apart(a.published, b.published)
    if hours is not None and hours > TABLE_HOURS:
        return None
    renamed = sorted({f"{x}/{label[x]}" for x in label if label[x] != x})
    return Verdict("retyped", False, f"{found} of {n} table figures equal within rounding"
                   + (f"; labels {', '.join(renamed)}" if renamed else ""))


def table_figures_found(a: Facts, b: Facts) -> tuple[int, int]:
    """(figures in the smaller of the two tables, how many of them the other table holds)."""
    fa = [f for _, fs in a.table for f in fs]
    fb = [f for _, fs in b.table for f in fs]
    return found_share(*((fa, fb) if len(fa) <= len(fb) else (fb, fa)))


def results(a: Facts, b: Facts) -> Verdict | None:
    """One issuer's results for one period, issued again: operating beside reported figures, net
    before and after preferred dividends, a revised line, a note rewritten ("Oper net 2,877,000 vs
    1,363,000" / "Oper net 2,877,000 vs 1,838,000"). Both are results notices (they open with
    their tables, which are most of their lines), both headlines give the same ticker and name
    the same period ("2ND QTR"), they come within TABLE_HOURS, and at least RESULTS_AGREEMENT of
    the smaller table's figures are in the other. Two issuers' tables share no ticker; another
    period (the quarter, the year) is named so in the headline."""
    if not (a.title_tickers and a.title_tickers == b.title_tickers and a.period and a.period == b.period):
        return None
    for x in (a, b):
        if len(x.table) < 2 or not x.opens_table or len(x.table) < TABLE_LINES * x.table_lines:
            return None
    hours = hours_apart(a.published, b.published)
    if hours is None or hours > TABLE_HOURS:
        return None
    n, found = table_figures_found(a, b)
    if n < TABLE_FIGURES or found < RESULTS_AGREEMENT * n:
        return None
    return Verdict("results", False, f"{'/'.join(sorted(a.title_tickers))} {' '.join(a.period)} results published "
                   f"{a.published} vs {b.published}, {found} of {n} table figures equal")


def rewrite(a: Facts, b: Facts, containment: float, lead_overlap: float = 1.0) -> Verdict | None:
    """A rewrite or an update under the containment threshold: published within REWRITE_HOURS,
    nothing keeps them apart (issuer, digest, occasion), at most REWRITE_REVISED of the figures in
    shared places differ (an update revises a few), and the smaller text's names (case aside, a
    typo aside) and figures are mostly in the other."""
    if containment < REWRITE_CONTAINMENT:
        return None
    hours = hours_apart(a.published, b.published)
    if hours is None or hours > REWRITE_HOURS or lead_overlap < REWRITE_LEAD:
        return None
    if judge_edge(a, b) is not None:
        return None
    shared, agree, differ = figure_slots(a.figures, b.figures)
    if shared and len(differ) > REWRITE_REVISED * shared and not (a.correction or b.correction):
        return None
    small, large = (a, b) if len(a.names) <= len(b.names) else (b, a)
    if len([w for w in small.names if not w.startswith("#")]) < 3:
        small, large = large, small  # a copy typed in lower case has no capitals: read the other's names
    names = [w for w in small.names if not w.startswith("#")]
    if not names:
        return None
    named = sum(_present(w, large.words) for w in names)
    figs_n, figs_found = found_share(small.figures, large.figures)
    share = (named + figs_found) / (len(names) + figs_n)
    if share < REWRITE_NAMES:
        return None
    kept = min(lead_kept(a, b), lead_kept(b, a))
    if kept < REWRITE_LEAD_KEPT:  # one opens on a fact the other lacks: a follow-up, another angle
        return None
    revised = f", revises {', '.join(f'{_show(x)} / {_show(y)}' for x, y in differ[:2])}" if differ else ""
    return Verdict("rewrite", False, f"published {a.published} vs {b.published}, {named + figs_found} of "
                   f"{len(names) + figs_n} names and figures shared, containment {containment:.2f}{revised}")


def lead_kept(x: Facts, y: Facts) -> float:
    """Share of the facts of x's opening sentence (its content words and figures) found in y."""
    n = sum(_present(w, y.words) for w in x.lead_names)
    figs, found = found_share(x.lead_figures, y.figures)
    return (n + found) / (len(x.lead_names) + figs) if x.lead_names or figs else 1.0
