"""An article's headline: the most headline-like line above its first paragraph, by a small
ranking model (weights.HEADLINE over HEADLINE_NAMES: shape, distance, a byline or date under it,
words it shares with the body, copies elsewhere in the page), fitted by
benchmarks/train_extract.py."""
from __future__ import annotations

import math
import re
from collections import Counter

from . import content
from . import lines as L
from . import weights as W
from .blocks import Block

SENTENCE_HEADLINE = 3  # a line ending with a full stop is a headline candidate up to this many words
DATED_SENTENCE = 16  # a line ending with a full stop, with a date under it, is a candidate up to this many words
HEADLINE_WINDOW = 60  # how far above an article's first paragraph its headline may be (a share panel may lie between)

STEM = 5  # words are compared by their first letters: `hibernating` and `hibernation` say the same

_WORD = re.compile(r"\w+")


def headline_candidates(blocks: list[Block], first: int) -> list[int]:
    """Blocks that may be the headline of an article whose text starts at `first` (that block
    too: a headline scored as text opens the text): short lines above it that are no sentence,
    date, byline, credit or furniture."""
    out = []
    for j in range(max(0, first - HEADLINE_WINDOW), first + 1):
        t = blocks[j].text
        n = content.units(t)
        if not 2 <= n <= 40 or L.is_furniture(t, t.count(" ")) or L.meta_field(t) or L.is_list_header(t):
            continue
        if content.is_dateline(t) or L.is_byline(t) or L.is_credit_line(t):
            continue
        if t.endswith(".") and not t.endswith("...") and n > SENTENCE_HEADLINE and not _dated_sentence(blocks, j, n) \
                or t.endswith(("...", "…")) or content.is_artifact(t):
            continue
        # East Asian text with a full stop in it is a sentence (a headline has none)
        if "。" in t and n > SENTENCE_HEADLINE:
            continue
        # a section's label printed again as the start of the headline under it (`Fact Check` over
        # `Fact Check: Is ...`)
        if any(len(blocks[k].text) > len(t) and blocks[k].text.startswith(t) for k in range(j + 1, min(len(blocks), j + 3))):
            continue
        # a line of a paragraph hard-wrapped at a fixed width
        if j > 0 and blocks[j].gap == 0 and L.is_wrapped(blocks[j - 1].text, t) \
                or j + 1 < len(blocks) and blocks[j + 1].gap == 0 and L.is_wrapped(t, blocks[j + 1].text) \
                and content.units(blocks[j + 1].text) >= 3:
            continue
        out.append(j)
    return out


def _dated_sentence(blocks: list[Block], j: int, n: int) -> bool:
    """A short line ending with a full stop right above a date or byline: a headline written as
    a sentence (`... They just might be.`), not a paragraph, which no date follows."""
    return n <= DATED_SENTENCE and j + 1 < len(blocks) and (content.is_dateline(blocks[j + 1].text)
                                                           or L.is_byline(blocks[j + 1].text))


def headline_rows(blocks: list[Block], p: list[float], cands: list[int], body: list[int]) -> list[list[float]]:
    """The headline model's features of each candidate (HEADLINE_NAMES)."""
    first = body[0]
    # the words of the lead and of the whole text, each counted once a block: a candidate that is
    # a block of the text itself (a headline that opens it) is compared with the others only
    lead_blocks = set(body[:6])
    lead_n: Counter = Counter()
    for i in body[:6]:
        lead_n.update(_content_words(blocks[i].text))
    whole_n: Counter = Counter(lead_n)
    for i in body[6:]:
        whole_n.update(_content_words(blocks[i].text))
    body_set = set(body)
    counts: dict[str, int] = {}
    reach: dict[str, list[int]] = {}  # the first and the last block of each text
    for k, b in enumerate(blocks):
        counts[b.text] = counts.get(b.text, 0) + 1
        reach.setdefault(b.text, [k, k])[1] = k
    size = {j: content.units(blocks[j].text) for j in cands}
    longest = max(size.values(), default=0)
    indents = [blocks[i].indent for i in body]
    body_indent = min(indents) if indents else 0
    # the header's date or byline: the lowest one above the text
    dated = [k for k in range(max(0, first - HEADLINE_WINDOW), first)
             if content.is_dateline(blocks[k].text) or L.is_byline(blocks[k].text)]
    cwords = {j: _content_words(blocks[j].text) for j in cands}
    in_lead = {j: {w for w in cwords[j] if lead_n[w] > (j in lead_blocks)} for j in cands}
    in_whole = {j: {w for w in cwords[j] if whole_n[w] > (j in body_set)} for j in cands}
    decent = [j for j in cands if size[j] >= 4 and L.is_headline_shape(blocks[j].text) and j < first]
    decent_set = set(decent)
    # a headline-shaped line right under another one that speaks of the same thing is its standfirst
    under = {j: next((k for k in range(j - 1, j - 4, -1) if k in decent_set and blocks[k].text != blocks[j].text
                      and cwords[j] & cwords[k]), None) for j in cands}
    above_date = max((j for j in cands if dated and j < dated[-1]), default=None)
    while above_date is not None and under[above_date] is not None:
        above_date = under[above_date]
    shared = {j: len(in_lead[j]) / len(cwords[j]) if cwords[j] else 0.0 for j in cands}
    # how many of its words the lead says too: a label of one word the lead happens to use
    # shares all its words, a headline shares several
    shared_n = {j: len(in_lead[j]) for j in cands}
    most_shared_n = max(shared_n.values(), default=0)
    # printed inside a longer line somewhere in the page (one search of the whole page's text)
    lowered = [b.text.lower() for b in blocks]
    page_text = "\n".join(lowered)
    same = Counter(lowered)
    echoed = {j: size[j] >= 4 and page_text.count(lowered[j]) > same[lowered[j]] for j in cands}
    most_shared = max(shared.values(), default=0.0)
    # a copy of the line elsewhere in the page but not right beside it (a share text, a repeated
    # notice), apart from a headline printed twice
    far_copy = {j: reach[blocks[j].text][0] < j - 3 or reach[blocks[j].text][1] > j + 3 for j in cands}
    # the lines of two words or more between each line of the window and the text
    lo = max(0, first - HEADLINE_WINDOW - 3)
    units = {k: content.units(blocks[k].text) for k in range(lo, min(len(blocks), first + 4))}
    worded_below = {first: 0}
    for k in range(first - 1, lo - 1, -1):
        worded_below[k] = worded_below[k + 1] + (units[k + 1] >= 2 if k + 1 < first else 0)
    rows = []
    for j in cands:
        b = blocks[j]
        # the next and the previous line of three words or more that is no artifact (a label, a counter
        # between a headline and its standfirst is skipped)
        nxt = next((k for k in range(j + 1, min(len(blocks), j + 4)) if units[k] >= 3
                    and not content.is_artifact(blocks[k].text)), None)
        prv = next((k for k in range(j - 1, max(lo - 1, j - 4), -1) if units[k] >= 3
                    and not content.is_artifact(blocks[k].text)), None)
        t = b.text
        n = size[j]
        words = cwords[j]
        after = [blocks[k].text for k in range(j + 1, min(len(blocks), j + 5))]
        below = next((k for k in cands if k > j), None)
        above = max((k for k in cands if j - 3 <= k < j and blocks[k].text != t), default=None)
        near = [blocks[k].text for k in range(max(0, j - 2), min(len(blocks), j + 3)) if k != j]
        alpha = [w for w in _WORD.findall(t) if w[0].isalpha()]
        rows.append([
            math.log1p(first - j),
            math.log1p(worded_below[j]),
            float(j == first),
            p[j + 1] if j + 1 < len(p) else 0.0,
            math.log1p(n),
            n / longest if longest else 0.0,
            float(n == longest),
            float(L.is_headline_shape(t)),
            float(t.endswith(("?", "!"))),
            float(any(content.is_dateline(a) or L.is_byline(a) for a in after)),
            float(counts.get(t, 0) > 1),
            shared[j],
            len(in_whole[j]) / len(words) if words else 0.0,
            float(b.bullet),
            float(b.gap >= 2),
            float(t.isupper()),
            p[j],
            float(" | " in t or " - " in t or " – " in t),
            float(j > 0 and content.units(blocks[j - 1].text) <= 3),
            float(below is not None and size[below] > n),
            float(b.indent < body_indent),
            sum(1 for w in alpha if w[0].isupper()) / len(alpha) if alpha else 0.0,
            float(j == above_date),
            float(j > 0 and blocks[j - 1].text == t),
            float(above is not None and bool(words & cwords[above])),
            float(any(L.is_credit_line(x) or content.is_credit(x) for x in near)),
            float(bool(decent) and j == decent[-1]),
            float(len(decent) > 1 and j == decent[-2]),
            float(most_shared > 0 and shared[j] == most_shared),
            math.log1p(sum(1 for k in decent if k > j)),
            float(echoed[j]),
            float(n > 18),
            float(nxt is not None and nxt in decent_set and size[nxt] > n),
            float(j in decent_set and (prv is None or prv not in decent_set)),
            float(content.is_credit(t) or L.is_credit_line(t) or bool(L.credit_of(t))),
            float(far_copy[j]),
            float(j + 1 < len(blocks) and blocks[j + 1].text == t),
            float(j > 0 and j + 1 < len(blocks) and units[j - 1] <= 3 and units.get(j + 1, 0) <= 3),
            float(under[j] is not None),
            math.log1p(shared_n[j]),
            float(most_shared_n > 0 and shared_n[j] == most_shared_n),
        ])
    return rows


def _content_words(t: str) -> set[str]:
    """The words of `t` that say what it is about: of four letters or more, each by its first STEM
    letters, and in East Asian text (written without spaces) each pair of characters."""
    out = set()
    for w in _WORD.findall(t):
        if content._WIDE.search(w):
            out.update(w[i:i + 2] for i in range(len(w) - 1))
        elif len(w) >= 4 or not w.isascii():
            out.add(w.lower()[:STEM])
    return out


HEADLINE_NAMES = ["distance", "lines_between", "opens_text", "content_next", "units", "relative_units", "longest",
                  "headline_shape", "question", "dated_below", "repeated", "shared_lead", "shared_body", "bullet",
                  "gap", "upper", "content", "site_suffix", "after_menu", "longer_below", "outdented", "caps",
                  "above_date", "copy_above", "shares_with_above", "credit_near", "nearest_decent",
                  "second_decent", "most_shared", "decent_below", "echoed", "long", "dek_below", "opens_header", "credit",
                  "far_copy", "copy_below", "among_labels", "under_headline", "shared_count", "most_shared_count"]


def choose_headline(blocks: list[Block], p: list[float], body: list[int], model=W) -> int | None:
    """The most headline-like line above the article whose text blocks are `body`."""
    cands = headline_candidates(blocks, body[0])
    if not cands:
        return None
    scores = content.probabilities(headline_rows(blocks, p, cands, body), model.HEADLINE)
    return cands[max(range(len(cands)), key=lambda k: (scores[k], k))]
