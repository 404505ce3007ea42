"""Extraction: captures → articles with headline, caption, credit and clean body."""
import re

import pytest
from hypothesis import given, settings, strategies as st

from newsfold import extract, extract_text
from newsfold.extract.lines import repair
from newsfold.extract.text import split_lines

from support import EXAMPLES, FIXTURES, read_jsonl

SEED_TRUTH = {row["file"]: row["articles"] for row in read_jsonl(FIXTURES / "seeds_truth.jsonl")}


@pytest.mark.parametrize("name", sorted(SEED_TRUTH))
def test_seed_captures_are_cut_into_their_articles(name):
    got = list(extract(EXAMPLES / name))
    want = SEED_TRUTH[name]
    assert [a.title for a in got] == [a["title"] for a in want]
    assert [a.caption for a in got] == [a["caption"] for a in want]
    for a, w in zip(got, want):
        assert list(a.paragraphs) == w["paragraphs"]
        assert a.caption not in a.text  # captions live in `caption`, never in the body


def test_crosshead_stays_inside_its_article():
    msf = [a for a in extract(EXAMPLES / "004_7ab83e06146d686d.txt") if a.title.startswith("Doctors")][0]
    assert "100 Violence Incidents" in msf.paragraphs
    assert msf.paragraphs.index("100 Violence Incidents") > 5


def test_widget_residue_and_repeated_headlines_are_dropped():
    for art in extract(EXAMPLES):
        assert "TT" not in art.paragraphs
        assert not any(re.fullmatch(r"\d+", p) for p in art.paragraphs)
        assert art.title not in art.paragraphs


def test_credit_is_taken_from_the_caption():
    arts = list(extract(EXAMPLES / "003_ecce10f60d867970.txt"))
    assert arts[1].credit == "Getty Images/AFP"
    assert arts[0].credit == "Security media"


def test_separator_lines_split_articles_and_footers_are_dropped():
    arts = list(extract(FIXTURES / "separator_dump.txt"))
    assert [a.title for a in arts] == ["Harbour Bridge Reopens After Six-Week Repair",
                                       "Library Extends Opening Hours for Exam Season"]
    text = "\n".join(a.text for a in arts)
    assert "Share on" not in text and "All rights reserved" not in text and "Published" not in text
    assert all(len(a.paragraphs) == 2 for a in arts)


def test_metadata_headers_open_articles_and_keep_url():
    arts = list(extract(FIXTURES / "metadata_dump.txt"))
    assert [a.title for a in arts] == ["Drought Cuts Wheat Harvest Forecast", "City Council Approves New Cycle Lanes"]
    assert arts[0].url == "https://example.org/news/wheat-forecast"
    body = "\n".join(a.text for a in arts)
    for residue in ("Advertisement", "Related stories", "Bus fares to rise", "Comments (42)", "URL:"):
        assert residue not in body


def test_headline_followed_by_byline_and_dateline():
    arts = list(extract(FIXTURES / "dateline_dump.txt"))
    assert [a.title for a in arts] == ["Port Strike Enters Third Day", "Solar Farm Approved Despite Local Objections"]
    assert arts[0].paragraphs[0].startswith("ROTTERDAM, May 4 (Wire) - Dock workers")
    assert "Delays" in arts[0].paragraphs  # a one-word crosshead is body text
    assert not any("Reporting by" in p for p in arts[1].paragraphs)  # wire sign-off dropped
    assert not any(p.startswith("By ") for a in arts for p in a.paragraphs)


def test_html_page_with_several_articles():
    arts = list(extract(FIXTURES / "two_articles.html"))
    assert [a.title for a in arts] == ["Museum Returns Stolen Painting to Owner's Family",
                                       "Rail Operator Orders Forty New Trains"]
    assert arts[0].caption == "The painting on display before its return. (AFP)"
    assert arts[0].credit == "AFP"
    assert "Share this article" not in arts[0].text
    assert "The Daily Test" not in arts[1].text


def test_mojibake_and_stray_entities_are_repaired():
    broken = "The minister\u00e2\u20ac\u2122s plan was approved &amp; signed, said Jos\u00c3\u00a9."
    assert repair(broken) == "The minister’s plan was approved & signed, said José."
    # ticker symbols in angle brackets are text, not markup
    assert repair("Campeau Corp <CMP.T> said") == "Campeau Corp <CMP.T> said"
    # zero-width characters and soft hyphens, as pasted from a page, are not text
    assert repair("\ufeffMar\u00adket\u200bs re\u200c\u200dopen\u2060ed\u00a0today") == "Markets reopened today"


def test_mojibake_hint_found_by_byte_search_is_the_regex():
    # repair skips ftfy unless a byte search, then the regex where the search points, finds a
    # hint of damage: a character missed there would leave its damage unrepaired
    from newsfold.extract.lines import _MOJIBAKE_HINT, _has_mojibake_hint

    def regex(t):
        return _MOJIBAKE_HINT.search(t) is not None

    every = list(map(chr, range(0x80, 0x20000)))  # all that can match, and the 4-byte start
    singles = [f"Plain \u201cwords\u201d {c} more" for c in every]
    assert sum(map(regex, singles)) > 2000  # C1 controls, surrogates, U+FFFD
    assert list(map(_has_mojibake_hint, singles)) == list(map(regex, singles))
    # a lead-byte letter (and its neighbours) before any character up to U+3000, a surrogate, or
    # the specials; also at the very end of the text
    leads = ["\u00c1", "\u00c2", "\u00c3", "\u00e9", "\u00f4", "\u00f5", "\u00ff"]
    seconds = every[: 0x3000 - 0x80] + ["\ud800", "\udfff"] + every[0xFF00 - 0x80 : 0x10000 - 0x80] + ["\U0001f600"]
    pairs = [f"Caf{a}{b} and {a}" for a in leads for b in seconds]
    assert 300 < sum(map(regex, pairs)) < len(pairs)
    assert list(map(_has_mojibake_hint, pairs)) == list(map(regex, pairs))
    assert not _has_mojibake_hint("Curly \u201cquotes\u201d \u2014 caf\u00e9 \u00a3 and dashes \u2019 only")


def test_extraction_never_invents_words():
    source = (EXAMPLES / "004_7ab83e06146d686d.txt").read_text(encoding="utf-8")
    source_words = set(re.findall(r"\w+", source))
    for art in extract(EXAMPLES / "004_7ab83e06146d686d.txt"):
        out = set(re.findall(r"\w+", " ".join([art.title, art.caption, art.credit, art.text])))
        assert out <= source_words


def test_a_bare_body_with_a_given_title_is_one_article():
    body = "Short opening line\n\nThe company said profits rose by a fifth in the first quarter of the year.\n\nShares rose."
    from newsfold.extract import segment_text

    arts = segment_text(body, "row-1", {"title": "Profits Rise"})
    assert len(arts) == 1 and arts[0].title == "Profits Rise"
    assert arts[0].paragraphs[0] == "Short opening line"


def test_text_without_any_article_gives_nothing():
    assert extract_text("TT\n20\nShare on Facebook\n© 2025 Example") == []


def test_every_kind_of_white_space_inside_a_line_folds_to_one_space():
    # a scraped line may carry any Unicode space (tabs, no-break, ideographic, line separators)
    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace() and chr(c) != "\n"]
    line = "Markets" + "".join(f"{s}word{i}" for i, s in enumerate(spaces)) + "  end"
    lines = split_lines(f"{line}\n\n  {spaces[-1]}indented{spaces[0]}\n")
    assert [x.text for x in lines] == [" ".join(line.split()), "indented"]


def _lines_by_definition(text: str) -> list[tuple[str, int]]:
    out, gap = [], 99
    for raw in text.split("\n"):
        s = " ".join(raw.split())
        if not s:
            gap += 1
            continue
        out.append((s, gap))
        gap = 0
    return out


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["Markets", "rise", " ", "  ", "\n", "\n\n", "\t", "\u00a0", "\u2003", "\r", "\r\n",
                                 "\u2028", "\x85", "\u3000", "\x0c"]), max_size=40).map("".join))
def test_lines_are_the_folded_non_blank_lines_with_the_blank_lines_before_each(text):
    assert [tuple(x) for x in split_lines(text)] == _lines_by_definition(text)


# --- the shortcuts in the line rules: each may skip a regex only where it cannot match ---

from newsfold.extract import lines as L  # noqa: E402

# a line of each kind of furniture the two regexes know, and lines around them
FURNITURE_LINES = [
    "Advertisement", "Ads", "Sponsored content", "Paid content", "Story continues below advertisement", "Play video",
    "Watch now", "5 min read", "12 comments", "Comments (3)", "Show comments", "Leave a comment",
    "Join the conversation", "Read more: Markets fall", "See also: Weather", "Also read: Budget", "More: Sport",
    "Related: Elections", "Read full story", "Back to top", "Top of page", "Next article", "Image 2 of 9", "3 of 9",
    "View gallery", "Enlarge this image", "Zoom", "The Reuters", "AFP", "-- ends --", "Ends",
    "(Reporting by Jane Doe; Editing by Ed Roe)", "Additional reporting by Sam Poe", "\u00a9 2024 Gazette Ltd",
    "(c) Gazette", "Copyright 2024 Gazette", "Continue reading", "Scroll down to continue", "Skip ad", "Close ad",
    "Loading", "Listen to this article", "Click here to subscribe", "Tap here", "Follow us on X", "Subscribe now",
    "Sign up for our newsletter", "Log in", "Login", "Register", "Accept all cookies", "Manage preferences",
    "We use cookies", "Cookie settings", "Bac\u212a to top",
]
line_word = st.sampled_from(sorted(set(re.findall(r"[a-z]+", L._RESIDUE.pattern + L._PROMPT.pattern)) | L._SOCIAL
                                   | {"company", "said", "\u212aeep", "\u0130mage", "caf\u00e9", "1.2k", "--", "(",
                                      ":", '"', "\u00a9", "12", "-"}))


def _recase(draw, text: str) -> str:
    style = draw(st.sampled_from([str, str.upper, str.capitalize, str.title]))
    return style(text)


@st.composite
def near_furniture(draw) -> str:
    """A furniture line, a mix of its words and others, or words of the rules run together."""
    base = draw(st.one_of(st.sampled_from(FURNITURE_LINES), st.lists(line_word, min_size=1, max_size=8).map(" ".join)))
    tail = draw(st.lists(line_word, max_size=3).map(" ".join))
    line = _recase(draw, f"{base} {tail}".strip() if draw(st.booleans()) else base)
    return " ".join(line.split()) or "x"


def test_every_furniture_example_is_caught_by_its_regex():
    # the examples are what the shortcut tests below lean on: each must be a real match
    for line in FURNITURE_LINES:
        low = line.lower()
        assert L._RESIDUE.match(low) or L._PROMPT.match(low), line


@settings(max_examples=800, deadline=None)
@given(near_furniture())
def test_a_regex_skipped_by_the_opening_words_could_not_have_matched(line):
    spaces, first, low = line.count(" "), L._first_word(line), line.lower()
    if spaces < 24 and L._RESIDUE.match(low):
        assert L.may_open(line, first, spaces, L._RESIDUE_OPENERS, "-(")
    if spaces < 10 and L._PROMPT.match(low):
        assert L.may_open(line, first, spaces, L._PROMPT_OPENERS)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(sorted(L._SOCIAL | {"The", "News", "\u212a", "Lin\u212a", "e-mail", "!", "|", "2"})),
                min_size=1, max_size=18).map(" ".join))
def test_share_bar_shortcut_keeps_the_rule(line):
    toks = [t.lower() for t in L.words(line)]
    by_rule = (line.count(" ") <= 20 and bool(toks) and len(toks) <= 16 and set(toks) <= L._SOCIAL
               and bool(set(toks) & L._SOCIAL_CORE))
    assert L._all_share_words(line) == by_rule


# --- the compiled line scan and the fast path of a titled row: the same lines, the same articles ---

from newsfold.extract import linescan, text as text_module  # noqa: E402

# pieces of lines: words of every rule (first words, share-bar words, footer words), menu
# separators, capitals k and m (widgets), non-ASCII letters and punctuation, and white space
scan_piece = st.sampled_from(sorted(
    set(re.findall(r"[a-z]+", L._RESIDUE.pattern + L._PROMPT.pattern + L._LIST_HEADER.pattern + L._FOOTER.pattern))
    | L._SOCIAL | {"The", "company", "said", "Markets", "rise", "1.2k", "K", "m", "TT", "12", "(", "-", ":", "|", ">",
                   "/", "\u203a", "\u2022", "\u00b7", "\u00ba", "\u2019", "caf\u00e9", "\u212aeep", "\u00a9", "<IBM>",
                   " ", "  ", "\n", "\n\n", "\n\n\n", "\t", "\u00a0", "\u2003", "\u3000"}))
scan_text = st.lists(scan_piece, max_size=60).map(" ".join) | st.lists(scan_piece, max_size=60).map("".join)


@settings(max_examples=600, deadline=None)
@given(scan_text)
def test_the_line_scan_finds_the_lines_split_lines_finds(text):
    scanned = linescan.scan(text)
    if scanned is None:  # white space other than spaces and line ends: split the general way
        assert any(c.isspace() and c not in " \n" for c in text)
        return
    lines = split_lines(text)
    assert scanned.texts == [x.text for x in lines]
    assert scanned.gaps == [x.gap for x in lines]
    assert scanned.spaces == [x.text.count(" ") for x in lines]
    assert bool(scanned.flags & linescan.RUN_ON) == (0 in scanned.gaps[1:])
    assert scanned.unscreened() == [[i, n] for i, (n, out) in enumerate(zip(scanned.spaces, scanned.screened)) if not out]
    for i, t in enumerate(scanned.texts):  # a bound is_byline may skip its word count on
        assert scanned.words_at_least(i) <= len(L.words(t)), t
    for t, n, out in zip(scanned.texts, scanned.spaces, scanned.screened):  # judged on the line as folded
        assert not (out and L.is_furniture(t, n)), t


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(scan_piece.filter(lambda p: "\n" not in p), min_size=80, max_size=400).map(" ".join),
                min_size=1, max_size=3).map("\n\n".join))
def test_the_line_scan_counts_lines_longer_than_its_counters_hold(text):
    # a line's counts are summed 255 bytes at a time: runs of spaces, separators and
    # non-ASCII letters that go on across those steps are counted once each
    scanned = linescan.scan(text)
    if scanned is None:
        return
    assert scanned.texts == [x.text for x in split_lines(text)]
    assert scanned.spaces == [t.count(" ") for t in scanned.texts]
    for i, (t, n, out) in enumerate(zip(scanned.texts, scanned.spaces, scanned.screened)):
        assert not (out and L.is_furniture(t, n)), t
        assert scanned.words_at_least(i) <= len(L.words(t)), t


def test_a_long_menu_is_left_to_the_rules():
    menu = " | ".join(["News", "Sport", "Weather", "caf\u00e9", "UK"] * 40)  # 1,100 bytes, 199 separators
    scanned = linescan.scan(f"Body of the article, as it was written.\n\n{menu}\n\nMore of it.")
    assert scanned.spaces[1] == menu.count(" ") and L.is_furniture(menu, menu.count(" "))
    assert scanned.screened[:2] == [1, 0]


def test_a_widget_is_judged_on_its_folded_line():
    # "I  \u2013" folds to "I \u2013", 3 characters: a widget (the scan once counted the second space)
    for text in ["I  \u2013", "Body of the article.\n\nI  \u2013\n\nMore of it.", "Our coo\u212aie policy"]:
        scanned = linescan.scan(text)
        for t, out in zip(scanned.texts, scanned.screened):
            assert not (out and L.is_furniture(t, t.count(" "))), t
    assert L.is_furniture("I \u2013", 1) and L.is_furniture("Our coo\u212aie policy", 2)


def _screened_lines(lines: list[str]) -> list[str]:
    scanned = linescan.scan("\n\n".join(lines))
    return [t for t, out in zip(scanned.texts, scanned.screened) if out]


@st.composite
def menu_line(draw) -> str:
    """A menu or breadcrumb (`Home | News | World`), maybe long, maybe with a longer part."""
    sep = draw(st.sampled_from(["|", ">", "/", "\u203a", "\u2022", "\u00b7"]))
    words = st.lists(st.sampled_from(["Home", "News", "World", "UK", "Sport", "caf\u00e9", "2024", "K", "m"]),
                     min_size=1, max_size=draw(st.sampled_from([3, 4])))
    parts = draw(st.lists(words.map(" ".join), min_size=2, max_size=16))
    return draw(st.sampled_from([f" {sep} ", sep, f"{sep} "])).join(parts)


@settings(max_examples=800, deadline=None)
@given(st.lists(st.one_of(near_furniture(), menu_line(),
                          st.lists(scan_piece.filter(lambda p: "\n" not in p and not p.isspace()),
                                   min_size=1, max_size=40).map(" ".join)), min_size=1, max_size=6))
def test_a_line_the_scan_screens_out_is_no_furniture(lines):
    lines = [" ".join(line.split()) for line in lines if line.strip()]
    if not lines or linescan.scan("\n\n".join(lines)) is None:
        return
    for t in _screened_lines(lines):
        assert not L.is_furniture(t, t.count(" ")), t
        assert not L.is_list_header(t), t


def test_the_scan_screens_out_most_lines_of_real_news_and_never_furniture(shared):
    """On real bodies most lines are screened out (the rules then judge a few), and none of them
    is furniture; every furniture example is left to the rules."""
    rows = read_jsonl(shared / "corpus" / "reuters21578.jsonl")[:300] + read_jsonl(shared / "corpus" / "bbc.jsonl")[:300]
    total = screened = 0
    for row in rows:
        scanned = linescan.scan(L.repair(row.get("text") or row.get("body")))
        if scanned is None:
            continue
        total += len(scanned.texts)
        for t, out in zip(scanned.texts, scanned.screened):
            screened += out
            assert not (out and L.is_furniture(t, t.count(" "))), t
    assert screened > 0.8 * total
    assert _screened_lines(FURNITURE_LINES) == []


def _top_level_alternatives(pattern: str) -> list[str]:
    """The alternatives of a pattern's first group, `^(a|b(c|d)|e)...`."""
    body = pattern[pattern.index("(") + 1 :]
    out, depth, part = [], 0, ""
    for c in body:
        if c == "(":
            depth += 1
        elif c == ")":
            if depth == 0:
                return out + [part]
            depth -= 1
        elif c == "|" and depth == 0:
            out.append(part)
            part = ""
            continue
        part += c
    raise AssertionError("unbalanced pattern")


def test_the_list_header_openers_are_the_regex_alternatives():
    alternatives = _top_level_alternatives(L._LIST_HEADER.pattern)
    assert len(alternatives) > 20
    for alternative in alternatives:
        assert re.match(r"[a-z]+", alternative).group() in L.LIST_HEADER_OPENERS, alternative
    heads = ["Related", "Related stories", "More on this story", "More from Sport", "Most read", "Recommended for you",
             "You may also like", "You might be interested in", "Trending now", "Top stories", "Latest headlines",
             "Editor's picks", "Editors' pick", "Popular now", "Read next", "What to read next", "In other news",
             "Further reading", "Also on BBC", "More headlines", "Don't miss", "Dont miss", "Elsewhere on the web",
             "Around the web", "Tags", "Topics:"]
    for head in heads:
        assert L.is_list_header(head), head
        assert L._first_word(head).lower() in L.LIST_HEADER_OPENERS, head
    assert _screened_lines(heads) == []


@settings(max_examples=400, deadline=None)
@given(scan_text, st.sampled_from(["Markets rise", "TT", "Share", "The company said", "rise"]))
def test_a_titled_row_gets_the_article_the_general_way_gives(body, title):
    """The fast path of a row whose headline is given (text._plain_titled) gives what
    build_article gives, or leaves the row to it."""
    got = text_module.segment_text(body, "row", {"title": title, "url": "u"})
    saved = text_module._plain_titled
    text_module._plain_titled = lambda *args: None
    try:
        want = text_module.segment_text(body, "row", {"title": title, "url": "u"})
    finally:
        text_module._plain_titled = saved
    assert got == want
