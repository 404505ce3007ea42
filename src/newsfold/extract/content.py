"""Which blocks of a page dump are article text: a small logistic model over the shape of each
block and of its neighbourhood.

The features are what any page shows whatever its site or language: how long a block is, whether
it is made of sentences (end punctuation, commas, short function words), whether it is a list
item among list items, a capitalised menu entry, a date or byline, a known kind of furniture
(`lines.is_furniture`), a line repeated elsewhere in the capture, and how much prose lies around
it. The weights are fitted by `benchmarks/train_extract.py` on rendered real pages and live in
`weights.py`; the model is deterministic and ships with the package.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from itertools import accumulate

import numpy as np

from . import lines as L
from .blocks import Block

_TOKEN = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"[.!?。！？](?=[\s\"”’')\]]|$)")
_END_PUNCT = (".", "!", "?", "。", "！", "？", "…", '."', ".”", "?”", "!”", ".’", '?"', '!"', ".'", ".)")
_COMMAS = re.compile(r"[,;，、；]")
_URL = re.compile(r"https?://|www\.|\.(com|org|net|html?)\b|@\w")
_WIDE = re.compile("[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]")
_BRACKETED = re.compile(r"\[[^\]]*\]|\(BUTTON\)|_{4,}")


# dates and times as pages print them: 18.11.2019, 2019-11-18, 11/18/19, 21:17, Nov. 18, 2019, 2 hours ago
_DATEISH = re.compile(
    r"\b\d{1,4}[./-]\d{1,2}[./-]\d{2,4}\b|\b\d{1,2}:\d{2}\b|\b\d+\s*(?:min|mins|minutes?|hours?|hrs?|days?|weeks?)\s+ago\b"
    r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b|\b\d{1,2}\s+(?:jan|feb|mar|apr|may"
    r"|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b", re.IGNORECASE)


def is_dateline(text: str) -> bool:
    """A short line that is mostly a date or time (a timestamp, `Updated 21:17 18.11.2019`)."""
    if not _DATEISH.search(text):
        return False
    n = units(text)
    return n <= 12 and sum(len(m.group()) for m in _DATEISH.finditer(text)) >= 0.25 * len(text) or n <= 6


_CREDIT_WORDS = re.compile(r"\b(?:photo|photograph|image|picture|credit|copyright|getty|shutterstock|istock|file photo)\b|©",
                           re.IGNORECASE)


def is_credit(text: str) -> bool:
    """A photo credit or image caption line: `Image copyright Getty Images`, `(Photo: Jane Doe/AP)`."""
    return units(text) <= 30 and bool(_CREDIT_WORDS.search(text))


# the header of a readers' comment section, in the words sites use for it
_COMMENTS_HEADER = re.compile(
    r"^\W*(?:\d+\s+)?(?:top rated |reader |readers' |latest |most recent )?(?:comments?|replies|responses|discussion)"
    r"\b|^\W*(?:leave|post|add|write) a (?:comment|reply|response)\b|^\W*join the (?:conversation|discussion)\b"
    r"|^\W*(?:show|view|read|see) (?:all )?(?:\d+ )?comments\b|\bmust be logged in to (?:post a )?comment",
    re.IGNORECASE)
# words of the text pages wrap around articles: consent, subscriptions, accounts, legal notes
_BOILERPLATE_WORDS = re.compile(
    r"\b(?:cookies?|privacy|consent|personal data|newsletters?|subscribe|subscription|subscribers?|sign up|sign in"
    r"|log in|account|terms of (?:use|service)|copyright|all rights reserved|commission|affiliate|advertis\w*"
    r"|sponsored|unsubscribe|email address|notifications?)\b", re.IGNORECASE)


def is_comments_header(text: str) -> bool:
    """`Comments`, `167 comments`, `Leave a Reply`, `Join the discussion`: a comment section opens."""
    return units(text) <= 8 and bool(_COMMENTS_HEADER.search(text))


def is_artifact(text: str) -> bool:
    """A renderer's mark, no text: `[audio-play]` (an image's name), `(BUTTON)`, `[ ]`, `____`."""
    return not _BRACKETED.sub("", text).strip(" -|")


def has_link(text: str) -> bool:
    """An address, a domain or a handle: `https://…`, `www.…`, `example.com`, `@name`."""
    return bool(_URL.search(text))


def units(text: str) -> int:
    """Words, counting two East Asian characters (written without spaces) as one."""
    return len(_TOKEN.findall(text)) + len(_WIDE.findall(text)) // 2


def block_shape(b: Block) -> dict[str, float]:
    """What a block looks like on its own."""
    t = b.text
    toks = _TOKEN.findall(t)
    n = len(toks) + len(_WIDE.findall(t)) // 2
    alpha = [w for w in toks if w[0].isalpha()]
    caps = sum(1 for w in alpha if w[0].isupper())
    short = sum(1 for w in alpha if len(w) <= 3)
    digits = sum(1 for w in toks if not w.isalpha() and any(c.isdigit() for c in w))  # (a letter is no digit)
    spaces = t.count(" ")
    return {
        "units": math.log1p(n),
        "chars": math.log1p(len(t)),
        "end_punct": float(t.endswith(_END_PUNCT)),
        "sentences": math.log1p(len(_SENTENCE_END.findall(t))),
        "commas": min(1.0, len(_COMMAS.findall(t)) / max(1, n) * 5),
        "caps": caps / len(alpha) if alpha else 0.0,
        "all_caps_words": float(len(alpha) >= 2 and caps == len(alpha)),
        "short_words": short / len(alpha) if alpha else 0.0,
        "digits": digits / len(toks) if toks else 0.0,
        "bullet": float(b.bullet),
        "furniture": float(L.is_furniture(t, spaces)),
        "navigation": float(L.is_navigation(t)),
        "byline": float(L.is_byline(t)),
        "dateline": float(is_dateline(t)),
        "credit": float(L.is_credit_line(t) or bool(L.credit_of(t)) and n <= 8 or is_credit(t)),
        "list_header": float(L.is_list_header(t)),
        "url": float(bool(_URL.search(t))),
        "bracketed": float(bool(_BRACKETED.search(t))),
        "one_word": float(n <= 1),
        "wrapped": float(b.wrapped),
        "ellipsis": float(t.endswith(("...", "…", "[…]", "[...]", "…]"))),
        "boilerplate": min(1.0, 3 * len(_BOILERPLATE_WORDS.findall(t)) / max(n, 3)),
        "headline_like": float(_headline_like(t, n)),
        "gap": float(min(b.gap, 3)) / 3,
    }


def _headline_like(t: str, n: int) -> bool:
    """A short line that is no sentence: a headline, a teaser's title, a crosshead, a menu entry."""
    return 2 <= n <= 20 and not t.endswith(_END_PUNCT) and not t.endswith((",", ";", ":"))


SHAPE = list(block_shape(Block("x", 0, 0, False, 1, False)))


def _prose(shape: dict[str, float]) -> float:
    """A rough prior that a block is a paragraph of prose (used for the neighbourhood features)."""
    return float(shape["units"] >= math.log1p(8) and (shape["end_punct"] or shape["units"] >= math.log1p(20)))


def features(blocks: list[Block]) -> list[list[float]]:
    """One row of features per block (NAMES): its shape, the repeats and indentation of the
    capture, and its neighbourhood above and below."""
    shapes = [block_shape(b) for b in blocks]
    n = len(blocks)
    counts = Counter(b.text for b in blocks)
    prose = [_prose(s) for s in shapes]
    size = [math.expm1(s["units"]) for s in shapes]
    prose_units = [p * u for p, u in zip(prose, size)]
    # running sums for the window sums below (of prose blocks, their units, dates, two prose blocks in a row)
    sum_prose = list(accumulate(prose, initial=0.0))
    sum_units = list(accumulate(prose_units, initial=0.0))
    # the indentation of the prose blocks: less is a heading (lynx), more is nested furniture
    indents = Counter(b.indent for b, p in zip(blocks, prose) if p)
    body_indent = indents.most_common(1)[0][0] if indents else 0
    dated = [s["dateline"] for s in shapes]
    heads = [s["headline_like"] for s in shapes]
    bullets = [float(b.bullet) for b in blocks]
    in_list = list_items(blocks)
    # how much of the capture is prose at all: a page is mostly menus and links, a dump of
    # articles mostly their paragraphs
    prose_share = sum(prose) / n if n else 0.0
    rows = []
    for i, (b, s) in enumerate(zip(blocks, shapes)):
        row = [s[k] for k in SHAPE]
        row.append(float(counts[b.text] > 1))
        row.append(float(b.indent < body_indent))
        row.append(float(b.indent > body_indent))
        # the capture's edges say nothing of what lies beyond them: a side with nothing on it is
        # taken to be like the other side (a dump may start or end in the middle of an article)
        prev_, next_ = (prose[i - 1] if i else None), (prose[i + 1] if i + 1 < n else None)
        row += [_either(prev_, next_), _either(next_, prev_),
                bullets[i - 1] if i else 0.0, bullets[i + 1] if i + 1 < n else 0.0,
                heads[i - 1] if i else 0.0, heads[i + 1] if i + 1 < n else 0.0]
        for k in (3, 10):
            a, b = max(0, i - k), min(n, i + 1 + k)  # above: a..i-1, below: i+1..b-1
            share_above = (sum_prose[i] - sum_prose[a]) / (i - a) if i > a else None
            share_below = (sum_prose[b] - sum_prose[i + 1]) / (b - i - 1) if b > i + 1 else None
            units_above = math.log1p((sum_units[i] - sum_units[a]) * k / (i - a)) if i > a else None
            units_below = math.log1p((sum_units[b] - sum_units[i + 1]) * k / (b - i - 1)) if b > i + 1 else None
            row += [_either(share_above, share_below), _either(share_below, share_above),
                    _either(units_above, units_below), _either(units_below, units_above)]
        near = [j for j in range(i - 4, i + 5) if 0 <= j < n and j != i]
        row.append(sum(dated[j] for j in near) / 4)
        wide = [j for j in range(i - 6, i + 7) if 0 <= j < n - 1]
        runs = sum(prose[j] * prose[j + 1] for j in wide)
        row.append(runs / max(1.0, sum(prose[j] for j in wide)))
        row.append(float(in_list[i]))
        row.append(prose_share)
        # a short line between two paragraphs: a crosshead (or a caption, a link to another story)
        row.append(float(not prose[i] and 0 < i < n - 1 and prose[i - 1] and prose[i + 1]))
        rows.append(row)
    return rows


NAMES = SHAPE + ["repeated", "outdented", "indented", "prose_prev", "prose_next", "bullet_prev",
                 "bullet_next", "headline_prev", "headline_next"] + [
    f"{k}_{w}" for w in ("near", "far") for k in ("prose_above", "prose_below", "units_above", "units_below")] + [
    "dates_near", "prose_runs", "in_list", "capture_prose", "between_prose"]


def _either(value: float | None, other: float | None) -> float:
    return value if value is not None else other if other is not None else 0.0


def list_items(blocks: list[Block]) -> list[bool]:
    """The blocks of a list under a list header ("Related stories", "Most read"): the header and
    the short lines or bullets that follow it closely."""
    out = [False] * len(blocks)
    in_list = False
    for i, b in enumerate(blocks):
        t = b.text
        if L.is_list_header(t):
            out[i] = in_list = True
            continue
        if in_list and b.gap <= 1 and (b.bullet or units(t) <= 20 and not t.endswith(_END_PUNCT)):
            out[i] = True
            continue
        in_list = False
    return out


def probabilities(rows: list[list[float]], params: dict) -> list[float]:
    """The logistic model `params` ({"coef": [...], "bias": b}, fitted on features as they are)
    applied to each row."""
    if not rows:
        return []
    z = np.asarray(rows, dtype=np.float64) @ np.asarray(params["coef"]) + params["bias"]
    return (1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))).tolist()
