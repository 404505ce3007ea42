#!/usr/bin/env python3
"""Fit the extraction models of newsfold.extract (content.py, page.py) and write weights.py.

    python benchmarks/train_extract.py                 # cross-validate, then fit on all and write
    python benchmarks/train_extract.py --cv-only       # cross-validate only
    python benchmarks/train_extract.py OUT [OUT ...]   # other realtext folders too

Data: realtext OUT folders (default ../shared/realpages: real pages from the scrapinghub
article-extraction benchmark, MIT licence, rendered by w3m, lynx, inscriptis and Chromium). Read in
place, never copied into the repository.

Two logistic models, fitted by Newton's method with an L2 penalty (deterministic, numpy only):
  - content: is a block article text? A block is labelled article text when most of its word
    4-grams are in the page's true article body (a short block: its words are, and article text
    lies on both sides of it).
  - headline: which of the lines above an article's first paragraph is its headline? A line is
    labelled a headline when its words match one of the page's own headline strings (og:title,
    h1, title; the realtext check).
Cross-validation: the pages are split in two halves by the sha1 of their id (as realpages.py
--halves does); each half is scored with models fitted on the other half only, every renderer of
a page in the same half. The figures that count are measured on pages outside these.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(BENCH))

import realpages  # noqa: E402
from newsfold.extract import content, headline, page  # noqa: E402
from newsfold.extract import lines as L  # noqa: E402
from newsfold.extract.blocks import to_blocks  # noqa: E402

WEIGHTS = REPO / "src" / "newsfold" / "extract" / "weights.py"
TOKEN = re.compile(r"\w+")
CONTENT_L2 = 1.0  # the L2 penalties on the standardised weights
HEADLINE_L2 = 10.0
# decoding constants (page.py): chosen by cross-validation, kept round
SPAN_PRIOR = 0.3  # a block adds to an article's run when its content probability is above this
SPAN_MIN = 4.0  # the least score of a run that is an article
KEEP = 0.2  # the least content probability of a block kept in an article's text


# ------------------------------------------------------------------ labels

def grams(text: str) -> dict[int, set]:
    toks = TOKEN.findall(text)
    return {n: {tuple(toks[i:i + n]) for i in range(len(toks) - n + 1)} for n in (1, 2, 3, 4)}


def block_labels(blocks, truth: str) -> list[float]:
    g = grams(truth)
    toks = [TOKEN.findall(b.text) for b in blocks]

    def share(t):
        if not t:
            return 0.0
        if len(t) < 4:
            return float(tuple(t) in g[len(t)])
        sh = [tuple(t[i:i + 4]) for i in range(len(t) - 3)]
        return sum(s in g[4] for s in sh) / len(sh)

    raw = [share(t) for t in toks]
    long = [len(t) >= 4 and r >= 0.5 for t, r in zip(toks, raw)]
    out = []
    for i, (t, r) in enumerate(zip(toks, raw)):
        if len(t) >= 4:
            out.append(r)
        else:  # a short block's words are in any text: only between article paragraphs
            above = any(long[max(0, i - 3):i])
            below = any(long[i + 1:i + 4])
            out.append(r if above and below else 0.0)
    return out


# ------------------------------------------------------------------ fitting

def fit_logistic(X: np.ndarray, y: np.ndarray, w: np.ndarray | None = None, l2: float = 1.0) -> dict:
    """L2-penalised logistic regression on standardised features, returned folded back onto the
    features as they are: {"coef": [...], "bias": b}."""
    mu, sd = X.mean(0), X.std(0)
    sd[sd == 0] = 1.0
    Xs = np.hstack([(X - mu) / sd, np.ones((len(X), 1))])
    w = np.ones(len(y)) if w is None else w
    beta = np.zeros(Xs.shape[1])
    reg = np.full(Xs.shape[1], l2)
    reg[-1] = 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-np.clip(Xs @ beta, -30, 30)))
        g = Xs.T @ (w * (p - y)) + reg * beta
        H = (Xs * (w * p * (1 - p))[:, None]).T @ Xs + np.diag(reg) + 1e-9 * np.eye(len(beta))
        step = np.linalg.solve(H, g)
        beta -= step
        if np.abs(step).max() < 1e-9:
            break
    coef = beta[:-1] / sd
    return {"coef": [round(float(c), 6) for c in coef], "bias": round(float(beta[-1] - (coef * mu).sum()), 6)}


def fit_ranking(X: np.ndarray, y: np.ndarray, groups: list[int], l2: float = 1.0) -> dict:
    """A conditional logit: within each group (one page's headline candidates) the probability of a
    candidate is the softmax of its score, fitted so that the right ones get most of it (Newton
    steps on the L2-penalised log-likelihood, the Fisher information as the curvature). Returned as
    {"coef", "bias": 0}: a score to rank by, not a probability."""
    mu, sd = X.mean(0), X.std(0)
    sd[sd == 0] = 1.0
    Xs = (X - mu) / sd
    g_idx = np.asarray(groups)
    bounds = np.flatnonzero(np.r_[True, g_idx[1:] != g_idx[:-1], True])
    spans = list(zip(bounds[:-1], bounds[1:]))

    def loss(beta):
        out = 0.5 * l2 * beta @ beta
        for a, b in spans:
            z = Xs[a:b] @ beta
            m = z.max()
            out -= np.log(np.exp(z[y[a:b] > 0] - m).sum()) - np.log(np.exp(z - m).sum())
        return out

    beta = np.zeros(X.shape[1])
    current = loss(beta)
    for _ in range(100):
        grad = l2 * beta
        hess = l2 * np.eye(len(beta))
        for a, b in spans:
            x, ok = Xs[a:b], y[a:b] > 0
            z = x @ beta
            pr = np.exp(z - z.max())
            pr /= pr.sum()
            q = pr * ok
            q /= q.sum()
            ex = pr @ x
            grad += ex - q @ x
            d = x - ex
            hess += (d * pr[:, None]).T @ d
        step = np.linalg.solve(hess, grad)
        # the Fisher information is no bound on the curvature of a group with several right
        # candidates: a full step may overshoot, so it is halved until the loss goes down
        t = 1.0
        while t > 1e-6 and loss(beta - t * step) > current:
            t /= 2
        beta -= t * step
        current = loss(beta)
        if np.abs(t * step).max() < 1e-9:
            break
    coef = beta / sd
    return {"coef": [round(float(c), 6) for c in coef], "bias": 0.0}


class Pages:
    """Every page of the data sets, rendered by every renderer, as blocks with features and labels.
    Each page also gives three cut versions for the content model (`extra`): the page up to the
    end of its article, from the start of its article, and its article alone, so that the model
    meets captures that end or start with an article, or hold nothing else (a dump of one
    article, a scroll's pages), not only whole pages with a footer below; and each page followed
    by the next of its half is a scroll of two."""

    def __init__(self, datasets: list[realpages.Dataset]) -> None:
        self.items = []
        self.extra = []
        for data in datasets:
            for r in data.renderers:
                for pid, truth in sorted(data.truth.items()):
                    blocks = to_blocks(L.repair(data.page(r, pid)))
                    labels = block_labels(blocks, truth.get("articleBody", ""))
                    item = SimpleNamespace(data=data, renderer=r, pid=pid, half=realpages.half(pid), blocks=blocks,
                                           rows=content.features(blocks), labels=labels, heads=data.heads.get(pid, []))
                    self.items.append(item)
                    text = [i for i, v in enumerate(labels) if v >= 0.5]
                    if not text:
                        continue
                    a, e = text[0], text[-1] + 1
                    for lo, hi in ((0, e), (a, len(blocks)), (a, e)):
                        part = blocks[lo:hi]
                        self.extra.append(SimpleNamespace(half=item.half, blocks=part, rows=content.features(part),
                                                          labels=labels[lo:hi]))
            # scrolls: each page followed by the next one of its half, as one capture
            for h in (0, 1):
                for r in data.renderers:
                    run = [it for it in self.items if it.data is data and it.renderer == r and it.half == h]
                    for x, y in zip(run, run[1:]):
                        blocks = x.blocks + y.blocks
                        self.extra.append(SimpleNamespace(half=h, blocks=blocks, rows=content.features(blocks),
                                                          labels=x.labels + y.labels))

    def subset(self, halves: set[int]):
        return [it for it in self.items if it.half in halves]

    def extra_subset(self, halves: set[int]):
        return [it for it in self.extra if it.half in halves]


def fit_content(items) -> dict:
    X = np.array([r for it in items for r in it.rows], float)
    y = np.array([float(v >= 0.5) for it in items for v in it.labels])
    w = np.array([np.log1p(content.units(b.text)) + 0.5 for it in items for b in it.blocks])
    return fit_logistic(X, y, w, CONTENT_L2)


_TITLE_PARTS = re.compile(r"\s[|\-\u2013\u2014:]\s")


def headline_refs(heads: list[str]) -> list[str]:
    """The page's headline strings that are its headline, not its site's name: a `<title>`'s last
    part after a separator (`... | Site`) and strings of one or two words are left out (the
    realtext check accepts them, but a line that says `BBC News` is no headline to learn)."""
    last = {_TITLE_PARTS.split(h)[-1].strip() for h in heads if _TITLE_PARTS.search(h)}
    keep = [h for h in heads if h.strip() not in last and len(TOKEN.findall(h)) >= 3]
    return keep or heads


def headline_rows(items, model):
    """(features, label, group) of every headline candidate of each page's main article."""
    rt = realpages.realtext()
    X, y, groups = [], [], []
    for g, it in enumerate(items):
        p = content.probabilities(it.rows, model.CONTENT)
        spans = page.article_spans(it.blocks, p, 0, len(it.blocks), model.SPAN_PRIOR, model.SPAN_MIN)
        if not spans:
            continue
        span = max(spans, key=lambda s: s.score)
        body = [i for i in range(span.start, span.end) if page._is_body(it.blocks, p, i, model.KEEP)]
        if not body:
            continue
        cands = headline.headline_candidates(it.blocks, body[0])
        refs = headline_refs(it.heads)
        labels = [float(rt.title_ok(it.blocks[j].text, refs)) for j in cands]
        if not any(labels):
            continue
        feats = headline.headline_rows(it.blocks, p, cands, body)
        X += feats
        y += labels
        groups += [g] * len(cands)
    return np.array(X, float), np.array(y), groups


def fit_models(items, extra=()) -> SimpleNamespace:
    model = SimpleNamespace(SPAN_PRIOR=SPAN_PRIOR, SPAN_MIN=SPAN_MIN, KEEP=KEEP, HEADLINE={"coef": [0.0] * len(headline.HEADLINE_NAMES), "bias": 0.0})
    model.CONTENT = fit_content([*items, *extra])
    X, y, groups = headline_rows(items, model)
    model.HEADLINE = fit_ranking(X, y, groups, HEADLINE_L2)
    return model


def segmenter(model):
    def segment(text, name):
        return page.page_articles(L.repair(text), name, {}, model)
    return segment


def write_weights(model, path: Path = WEIGHTS) -> None:
    def fmt(params, names):
        pairs = "".join(f"        {c!r},  # {n}\n" for c, n in zip(params["coef"], names))
        return f'{{\n    "coef": [\n{pairs}    ],\n    "bias": {params["bias"]!r},\n}}'

    path.write_text(
        '"""The fitted extraction models: written by benchmarks/train_extract.py, do not edit by hand.\n\n'
        "CONTENT: content.py's block model (one weight per content.NAMES feature); HEADLINE: page.py's\n"
        "headline model (headline.HEADLINE_NAMES); SPAN_PRIOR, SPAN_MIN, KEEP: how page.py decodes articles\n"
        'from the block probabilities (see train_extract.py)."""\n\n'
        f"SPAN_PRIOR = {model.SPAN_PRIOR!r}\nSPAN_MIN = {model.SPAN_MIN!r}\nKEEP = {model.KEEP!r}\n\n"
        f"CONTENT = {fmt(model.CONTENT, content.NAMES)}\n\nHEADLINE = {fmt(model.HEADLINE, headline.HEADLINE_NAMES)}\n",
        encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", nargs="*", default=[str(realpages.SHARED / "realpages")])
    ap.add_argument("--cv-only", action="store_true")
    args = ap.parse_args()
    datasets = [realpages.Dataset(Path(o)) for o in args.out]
    pages = Pages(datasets)
    for h in (0, 1):
        model = fit_models(pages.subset({1 - h}), pages.extra_subset({1 - h}))
        for data in datasets:
            res = realpages.run(data, segmenter(model), pages={p for p in data.truth if realpages.half(p) == h},
                                html=False)
            print(f"\nheld-out half {h} of {data.out.name}, models fitted on the other half")
            print(realpages.table(res))
    if not args.cv_only:
        write_weights(fit_models(pages.items, pages.extra))
        print(f"\nwrote {WEIGHTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
