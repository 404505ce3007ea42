"""Cut a page dump into its articles: one page as a browser or text renderer printed it (menus,
the article, link lists, footer), or several pages scrolled into one file.

1. The dump's blocks (paragraphs, list items, lines) are scored by the content model: how likely
   each is article text (`content.py`).
2. Explicit article starts cut the dump into sections first: a headline printed again a few lines
   later (an infinite-scroll dump), a separator line, a `Title:` line, a headline with a byline
   under it after a wide gap.
3. In each section an article is a run of blocks where article text outweighs the rest (the best
   segment of the scores, then the best ones left either side while they are strong enough), so
   menus, link lists and footers around it, and a page's other pages in a scroll, stay out.
4. The headline is the most headline-like line above the article's first paragraph (a small
   model: shape, distance, a byline under it, words it shares with the body); bylines, dates,
   captions and credits between the headline and the body are header, not body.
"""
from __future__ import annotations

import math
from collections import Counter
from typing import NamedTuple

from ..model import Article
from . import content
from . import lines as L
from . import weights as W
from .blocks import Block, to_blocks
from .headline import choose_headline

REPEAT_WINDOW = 10  # how far (in blocks) a headline's repeat may follow it
HEAD_LINES = 6  # how many lines an article's head (headline, bylines, dates, share bar) takes above its text
HEAD_STRETCH = 10  # blocks of no text above an article's head that cut a run there (a scroll's page ends)
HEADED = 0.2  # a run with an article's head above it is an article at this share of the least score
RELATIVE_PRIOR = 0.25  # in a capture with no strong run, the prior is this share of its likeliest block's probability
PROSE_LIFT = 0.1  # a sentence of prose adds at least this much to a run, per unit of length weight
FURNITURE_COST = 0.15  # what a line of known furniture takes from a run
STRETCH = 5  # blocks of a stretch without article text after which each next one costs twice as much
PROSE_WITHIN = 12  # an explicit start has a paragraph of prose this close below it
PLAIN_SHARE = 0.6  # the least share of prose blocks in the section of an explicit start that cuts a dump
# in a section the dump opens with a headline of its own (repeated, `Title:`, after a separator),
# a block is article text on weaker evidence
OPENED_PRIOR = 0.05
OPENED_KEEP = 0.05
ANNOUNCING_UNITS = 6  # a line ending with a colon announces a list or table under it when it is this long
ANNOUNCED_ROWS = 3  # and this many rows follow it, of this many words on average (not a menu's labels):
ROW_UNITS = 3


class Span(NamedTuple):
    start: int  # first block of the article's text
    end: int  # one past its last block
    score: float


def page_articles(text: str, capture: str, meta: dict, model=W) -> list[Article]:
    """All articles of a page dump, in order."""
    blocks = to_blocks(text)
    if not blocks:
        return []
    p = content.probabilities(content.features(blocks), model.CONTENT)
    starts = plain_starts(blocks, explicit_starts(blocks))
    bounds = sorted({0, *starts, len(blocks)})
    out: list[Article] = []
    for lo, hi in zip(bounds, bounds[1:]):
        if lo in starts:  # the dump says an article opens here: it is one article, however plain
            spans = article_spans(blocks, p, lo, hi, OPENED_PRIOR, 0.0)
            if spans:
                spans = [Span(spans[0].start, spans[-1].end, sum(x.score for x in spans))]
            keep = OPENED_KEEP
        else:
            spans = [part for span in article_spans(blocks, p, lo, hi, model.SPAN_PRIOR, model.SPAN_MIN)
                     for part in _cut_at_heads(blocks, p, span, model.SPAN_PRIOR, model.KEEP)]
            keep = model.KEEP
        opener = lo if lo in starts else None
        last = None  # the run of the article built last in this section
        for span in spans:
            art, head = _build_article(blocks, p, span, keep, opener, capture, len(out), meta, model)
            if art is None:
                last = None
                continue
            if last is not None and head is not None and head < last.start and last.score < span.score:
                # the run's headline lies above the weaker run before it: that run lies between
                # the headline and the text (a standfirst, a gallery's captions), and the two are
                # one article
                span = Span(last.start, span.end, last.score + span.score)
                art, head = _build_article(blocks, p, span, keep, opener, capture, len(out) - 1, meta, model)
                out.pop()
                if art is None:
                    last = None
                    continue
            out.append(art)
            last = span
    if not out:
        # no run strong enough anywhere: the capture's most article-like run, with the prior
        # scaled to the capture's likeliest block (a table of figures, a list: text all the same)
        top = max((q for b, q in zip(blocks, p) if not L.is_furniture(b.text, b.text.count(" "))), default=0.0)
        prior = min(model.SPAN_PRIOR, RELATIVE_PRIOR * top)
        best = _best_run(_gains(blocks, p, prior, FURNITURE_COST * prior / model.SPAN_PRIOR), 0, len(blocks))
        art = best and build_article(blocks, p, best, min(model.KEEP, prior), None, capture, 0, meta, model)
        out = [art] if art else []
    return out


# ------------------------------------------------------------------ explicit starts

def explicit_starts(blocks: list[Block]) -> dict[int, str]:
    """Blocks that open an article by the dump's own markup: {index: "title" | "repeat" |
    "separator" | "byline"} for a `Title:` line, a headline printed again a few lines below (an
    infinite-scroll dump), and, with prose below them, the line after a separator and a headline
    with a byline under it after a wide gap."""
    starts: dict[int, str] = {}
    texts = [b.text for b in blocks]
    again: set[int] = set()  # the second printing of a repeated headline
    for i, b in enumerate(blocks):
        t = b.text
        if i in again:
            continue
        meta = L.meta_field(t)
        if meta and meta[0] in ("title", "headline"):
            kind = "title"
        elif i > 0 and L.is_separator(texts[i - 1]) and L.is_headline_candidate(t):
            kind = "separator"
        elif L.is_headline_candidate(t) and _repeated_below(texts, i) is not None:
            kind = "repeat"
            again.add(_repeated_below(texts, i))
        elif b.gap >= 2 and i > 0 and L.is_headline_shape(t) and _byline_then_prose(blocks, i):
            kind = "byline"
        else:
            continue
        if kind in ("title", "repeat") or any(L.is_prose(texts[j]) for j in range(i + 1, min(len(blocks), i + 1 + PROSE_WITHIN))):
            starts[i] = kind
    # a start right under another one's header is part of that header
    for i in sorted(starts):
        if i - 1 in starts:
            del starts[i]
    return starts


def plain_starts(blocks: list[Block], starts: dict[int, str]) -> dict[int, str]:
    """The starts whose section (up to the next start) is plain article text: mostly prose once
    furniture is set aside. A dump of articles is cut at them; a page's own separators and
    repeated lines, among menus and link lists, cut nothing."""
    bounds = sorted(starts) + [len(blocks)]
    listed = content.list_items(blocks)
    texts = [b.text for b in blocks]
    out = {}
    for lo, hi in zip(bounds, bounds[1:]):
        if starts[lo] in ("title", "repeat"):  # the dump's own markup, never a page's
            out[lo] = starts[lo]
            continue
        prose = other = 0
        for j in range(lo + 1, hi):
            t = blocks[j].text
            if L.is_furniture(t, t.count(" ")) or t == blocks[lo].text or L.is_byline(t) or listed[j] \
                    or L.meta_field(t) or _duplicated_nearby(texts, j) or _looks_like_caption(t):
                continue
            if L.is_prose(t):
                prose += 1
            else:
                other += 1
        if prose >= PLAIN_SHARE * (prose + other):
            out[lo] = starts[lo]
    # a dump cut by one kind of start at least twice is cut by all starts of that kind (an
    # article of figures is no less an article)
    kinds = Counter(out.values())
    return {i: k for i, k in starts.items() if i in out or kinds[k] >= 2}


def _repeated_below(texts: list[str], i: int) -> int | None:
    """Where the line comes again a few blocks further down with nothing between but a line
    printed twice (a photo caption) and widgets: an infinite-scroll page prints a headline, its
    photo's caption twice, share counters, then all of it again above the text."""
    if content.is_credit(texts[i]) or content.is_dateline(texts[i]):
        return None
    for j in range(i + 2, min(len(texts), i + 1 + REPEAT_WINDOW)):
        if texts[j] == texts[i]:
            between = range(i + 1, j)
            if all(L.is_furniture(texts[k], texts[k].count(" ")) or _duplicated_nearby(texts, k) for k in between) \
                    and any(texts[k] == texts[k + 1] and content.units(texts[k]) >= 3 for k in between):
                return j
            return None
    return None


def _duplicated_nearby(texts: list[str], j: int) -> bool:
    t = texts[j]
    return any(texts[k] == t for k in range(max(0, j - 3), min(len(texts), j + 4)) if k != j)


def _byline_then_prose(blocks: list[Block], i: int) -> bool:
    """`Headline / By Name (or Published ...) / a paragraph`: an article's head."""
    if i + 2 >= len(blocks):
        return False
    by = blocks[i + 1].text
    return bool(L._BYLINE.match(by) or L._STAMP.match(by)) and L.is_prose(blocks[i + 2].text)


# ------------------------------------------------------------------ spans

def article_spans(blocks: list[Block], p: list[float], lo: int, hi: int, prior: float, least: float) -> list[Span]:
    """The runs of blocks[lo:hi] that hold an article: the best-scoring run, then the best runs
    left on either side, while they score at least `least`. A block adds to a run as much as its
    content probability is above `prior`, more for a longer block."""
    gain = _gains(blocks, p, prior)
    found: list[Span] = []
    # no article runs on into a readers' comment section
    walls = [i for i in range(lo, hi) if content.is_comments_header(blocks[i].text)]
    bounds = [lo, *walls, hi]
    todo = list(zip(bounds, bounds[1:]))
    while todo:
        a, b = todo.pop()
        best = _best_run(gain, a, b)
        if best is None or best.score < least and not (best.score >= HEADED * least and _headed(blocks, best.start)):
            continue
        found.append(best)
        todo += [(a, best.start), (best.end, b)]
    return sorted(found)


def _cut_at_heads(blocks: list[Block], p: list[float], span: Span, prior: float, keep: float) -> list[Span]:
    """`span` cut where an article's head (a headline with a date or byline beside it) opens text
    after a long stretch of no text (a footer, a related list, the next page's menu): a scroll's
    pages that the run bridged."""
    cuts = []
    for i in range(span.start + HEAD_STRETCH, span.end):
        if not (p[i] >= prior and L.is_prose(blocks[i].text)) or p[i - 1] >= prior:
            continue
        k = _article_head(blocks, i)
        if k is None or k - HEAD_STRETCH <= (cuts[-1] if cuts else span.start):
            continue
        if all(p[j] < prior and not _is_body(blocks, p, j, keep) for j in range(k - HEAD_STRETCH, k)):
            cuts.append(k)
    if not cuts:
        return [span]
    bounds = [span.start, *cuts, span.end]
    size = span.end - span.start
    return [Span(a, b, span.score * (b - a) / size) for a, b in zip(bounds, bounds[1:])]


def _article_head(blocks: list[Block], start: int) -> int | None:
    """The headline of an article's head within HEAD_LINES above `start`: a headline-shaped line
    with a date or byline right above it or one of the two lines under it (a standfirst between)."""
    for k in range(start - 1, max(0, start - HEAD_LINES) - 1, -1):
        if not L.is_headline_shape(blocks[k].text):
            continue
        near = [blocks[m].text for m in (k - 1, k + 1, k + 2) if 0 <= m < len(blocks)]
        if any(content.is_dateline(t) or L.is_byline(t) for t in near):
            return k
    return None


def _headed(blocks: list[Block], start: int) -> bool:
    """An article's head right above the run: a headline, then bylines or dates (and furniture)."""
    j = start - 1
    while j >= 0 and start - j <= HEAD_LINES and L.is_furniture(blocks[j].text, blocks[j].text.count(" ")):
        j -= 1
    dated = False
    while j >= 0 and start - j <= HEAD_LINES and (L.is_byline(blocks[j].text) or content.is_dateline(blocks[j].text)):
        dated, j = True, j - 1
    return dated and j >= 0 and L.is_headline_shape(blocks[j].text)


def _gains(blocks: list[Block], p: list[float], prior: float, furniture: float = 0.0) -> list[float]:
    """What each block adds to a run: its content probability above the prior, weighted by its
    length. A sentence of prose adds to a run, and known furniture (a share bar, an
    `Advertisement`) takes little (`furniture`, or FURNITURE_COST): both sit inside articles. In a stretch of blocks that are no article
    text each next one costs more, so a run bridges a caption or a box of links inside an article
    but not the footer and menus between two pages of a scroll."""
    out = []
    stretch = 0
    rows = announced_rows(blocks)
    for i, (b, q) in enumerate(zip(blocks, p)):
        t = b.text
        if L.is_furniture(t, t.count(" ")):
            g = -(furniture or FURNITURE_COST)
        else:
            if i in rows or L.is_prose(t):
                q = max(q, prior + PROSE_LIFT)
            g = (q - prior) * (1 + math.log1p(content.units(t)))
        if g < 0:
            stretch += 1
            g *= 1 + stretch / STRETCH
        elif g > 0:
            stretch = 0
        out.append(g)
    return out


def announced_rows(blocks: list[Block]) -> set[int]:
    """The lines of a list or a table that the text announces with a colon (`Standings after 36
    races:`, `the offers not to miss:`) and the announcing line: the lines under it up to the next
    sentence, colon or furniture, when there are at least ANNOUNCED_ROWS of them and they are no
    menu (ROW_UNITS words a line on average). A table of figures
    or a list of items is the article's own text there, however little it reads like prose."""
    out: set[int] = set()
    i = 0
    while i < len(blocks):
        t = blocks[i].text
        if not (t.endswith(":") and t[:1].isupper() and content.units(t) >= ANNOUNCING_UNITS):
            i += 1
            continue
        j = i + 1
        while j < len(blocks):
            u = blocks[j].text
            if u.endswith(":") or L.is_furniture(u, u.count(" ")) or u.endswith((".", "?", "!")) and L.is_prose(u):
                break
            j += 1
        if j - i - 1 >= ANNOUNCED_ROWS and sum(content.units(blocks[k].text) for k in range(i + 1, j)) >= ROW_UNITS * (j - i - 1):
            out.update(range(i, j))
        i = max(j, i + 1)
    return out


def _best_run(gain: list[float], lo: int, hi: int) -> Span | None:
    """The run of gain[lo:hi] with the highest sum (Kadane)."""
    best: Span | None = None
    run = 0.0
    start = lo
    for i in range(lo, hi):
        if run <= 0:
            run, start = 0.0, i
        run += gain[i]
        if run > 0 and (best is None or run >= best.score):  # ties: a sentence of prose at the end stays in
            best = Span(start, i + 1, run)
    return best


# ------------------------------------------------------------------ one article

def build_article(blocks: list[Block], p: list[float], span: Span, keep: float, opener: int | None,
                  capture: str, position: int, meta: dict, model=W) -> Article | None:
    """The article whose text lies in `span` (the blocks of it with a content probability of at
    least `keep`), under the headline `opener` if the dump gave one."""
    return _build_article(blocks, p, span, keep, opener, capture, position, meta, model)[0]


def _build_article(blocks: list[Block], p: list[float], span: Span, keep: float, opener: int | None,
                   capture: str, position: int, meta: dict, model=W) -> tuple[Article | None, int | None]:
    """build_article's article, and the block of its headline."""
    texts = [b.text for b in blocks]
    rows = announced_rows(blocks)
    kept = [(i in rows or _is_body(blocks, p, i, keep)) and i != opener for i in range(span.start, span.end)]
    body = [i for i, k in zip(range(span.start, span.end), kept) if k]
    if not body:
        return None, None
    # a crosshead between two paragraphs of the text is part of it
    body = sorted(body + [i for i in range(span.start + 1, span.end - 1)
                          if not kept[i - span.start] and kept[i - span.start - 1] and kept[i - span.start + 1]
                          and i != opener and _is_crosshead(texts[i])])
    first = body[0]
    if opener is not None:
        head = opener
        body = [i for i in body if i > head]
        if not body:
            return None, None
        first = body[0]
    else:
        head = choose_headline(blocks, p, body, model)
        if head == first:  # the headline opened the text
            body = body[1:]
            if not body:
                return None, None
            first = body[0]
    title = ""
    if head is not None:
        field = L.meta_field(texts[head])
        title = field[1] if field and field[0] in ("title", "headline") else texts[head]
    title = title or meta.get("title", "")
    caption = credit = url = date = ""
    # the header under the headline: bylines, dates, captions (a caption is often printed twice),
    # credits and metadata lines, up to the first block of text that is none of these
    j = head + 1 if head is not None else span.start
    header_end = first
    while j < len(blocks):
        t = texts[j]
        f = L.meta_field(t)
        if f:
            url = f[1] if f[0] in ("url", "link", "source") and not url else url
            date = f[1] if f[0] in ("date", "published") and not date else date
        elif t == title or L.is_byline(t) or content.is_dateline(t) or L.is_furniture(t, t.count(" ")):
            pass
        elif not caption and (_duplicated_nearby(texts, j) or _looks_like_caption(t)):
            caption = t
        elif t == caption:
            pass
        elif L.is_credit_line(t):
            credit = credit or L.credit_of(t)
        elif j >= first:
            header_end = j
            break
        j += 1
    body = [i for i in body if i >= header_end]
    paragraphs: list[str] = []
    prev = None
    for i in body:
        t = texts[i]
        if t == title or t == caption or (prev is not None and t == texts[prev]):
            continue
        if paragraphs and prev == i - 1 and blocks[i].gap == 0 and L.is_wrapped(paragraphs[-1], t):
            paragraphs[-1] = f"{paragraphs[-1]} {t}"
        else:
            paragraphs.append(t)
        prev = i
    if not paragraphs:
        return None, head
    credit = credit or L.credit_of(caption)
    return Article(capture=capture, position=position, title=title, paragraphs=tuple(paragraphs), caption=caption,
                   credit=credit, url=url or meta.get("url", ""), date=date or meta.get("date", "")), head


def _is_body(blocks: list[Block], p: list[float], i: int, keep: float) -> bool:
    """A block of an article's run that is its text: likely enough text by the model, or a
    sentence of prose (inside the run a paragraph is text, whatever its size), and no furniture."""
    t = blocks[i].text
    if L.is_furniture(t, t.count(" ")):
        return False
    return p[i] >= keep or L.is_prose(t) and not (content.is_credit(t) or _looks_like_caption(t) or content.has_link(t))


def _is_crosshead(t: str) -> bool:
    """A subheading inside an article's text: a short line that is no sentence, caption, credit,
    date, link or furniture."""
    n = content.units(t)
    if not 1 <= n <= 12 or L.is_furniture(t, t.count(" ")) or L.is_list_header(t) or L.is_byline(t):
        return False
    if content.is_dateline(t) or content.is_credit(t) or L.is_credit_line(t) or L.credit_of(t) or content.has_link(t):
        return False
    return L.is_headline_shape(t) or n == 1 and t[:1].isupper() and t[-1:].isalnum()


def _looks_like_caption(t: str) -> bool:
    """A one-off caption line right under the headline: ends with a short credit such as `(AFP)`."""
    credit = L.credit_of(t)
    return bool(credit) and credit[0].isupper() and len(credit.split()) <= 5 and not L.starts_with_dateline(t)
