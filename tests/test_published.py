"""published.py: an article's publication date from what its capture states, never invented."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsfold.published import (_top, complete_year, dateline, html_date, opening_dateline, opening_tops, parse_date,
                                published_of, stamp_date)


@pytest.mark.parametrize("written, iso", [
    ("2026-03-03", "2026-03-03"),
    ("2026-03-03T14:32:00", "2026-03-03T14:32:00Z"),
    ("2026-03-03T14:32:00+01:00", "2026-03-03T13:32:00Z"),
    ("2026-03-03T14:32:00.123Z", "2026-03-03T14:32:00Z"),
    ("03-MAR-2026 14:32:05.17", "2026-03-03T14:32:05Z"),
    ("Tue, 03 Mar 2026 14:32:00 GMT", "2026-03-03T14:32:00Z"),
    ("Tue, 03 Mar 2026 09:32:00 -0500", "2026-03-03T14:32:00Z"),
    ("3 March 2026", "2026-03-03"),
    ("Tuesday, 3 March 2026", "2026-03-03"),
    ("March 3, 2026", "2026-03-03"),
    ("Mar. 3 2026", "2026-03-03"),
    ("3rd March 2026", "2026-03-03"),
    ("3 March 2026 14:32 GMT", "2026-03-03T14:32:00Z"),
    ("14:32 GMT, 3 March 2026", "2026-03-03T14:32:00Z"),
    ("March 3, 2026 at 2:32 pm EDT", "2026-03-03T18:32:00Z"),
    ("2026/03/04", "2026-03-04"),
    ("26/02/1987", "1987-02-26"),
    ("02/26/1987", "1987-02-26"),
    (1772548320, "2026-03-03T14:32:00Z"),
    (1772548320000, "2026-03-03T14:32:00Z"),
])
def test_common_date_formats_become_iso_utc(written, iso):
    assert parse_date(written) == iso


@pytest.mark.parametrize("written", ["", "soon", "03/04/2026", "31 February 2026", "2026-13-01", None, True,
                                     "Share on Facebook"])
def test_what_is_no_date_or_is_ambiguous_gives_none(written):
    assert parse_date(written) is None


@pytest.mark.parametrize("text, place, month, day", [
    ("OSLO, Feb 26 - The central bank said", "OSLO", 2, 26),
    ("LONDON, March 3 (Reuters) - Shares fell", "LONDON", 3, 3),
    ("PORTLAND, Ore., Oct 19 - A mill closed", "PORTLAND, Ore.", 10, 19),
    ("ANCHORAGE, Alaska. March 3 - Ice", "ANCHORAGE, Alaska", 3, 3),
    ("GENEVA, 2 March - Talks resumed", "GENEVA", 3, 2),
    ("lima, april 1 - the government said", "lima", 4, 1),
    ("HALIFAX, N.S., April 2- Two ships", "HALIFAX, N.S.", 4, 2),
])
def test_wire_datelines(text, place, month, day):
    line = dateline(text)
    assert (line.place, line.month, line.day, line.year) == (place, month, day, None)


@pytest.mark.parametrize("text", [
    "The vote on March 23 - a Tuesday - was close",
    "Shares rose 3 pct on the day - traders said",
    "OSLO, Feb 45 - nonsense",
])
def test_sentences_that_mention_a_date_are_no_dateline(text):
    assert dateline(text) is None


def test_a_dateline_after_a_caption_line_is_found():
    found = opening_dateline("Photo: the harbour at dawn\n\nOSLO, Feb 26 - The central bank said")
    assert found[0].place == "OSLO" and found[1] == "OSLO, Feb 26 -"


@pytest.mark.parametrize("header, iso", [
    ("Bank raises rates\nBy Jane Doe | 1 June 2025\n", "2025-06-01"),
    ("Updated 14:32 GMT, 3 March 2026\n", "2026-03-03T14:32:00Z"),
    ("Published: Tuesday 3 March 2026\n", "2026-03-03"),
    ("Last updated: March 3, 2026 at 9:05 am EST\n", "2026-03-03T14:05:00Z"),
])
def test_date_stamps_near_the_headline(header, iso):
    assert stamp_date(header)[0] == iso


def test_no_stamp_in_plain_prose():
    assert stamp_date("The deal was first agreed in 1987 and renewed last year.") is None


def test_year_completion_takes_the_nearest_year_of_the_capture_dates():
    assert complete_year(2, 26, ["1987-03-02T10:00:00"])[0] == 1987
    assert complete_year(12, 31, ["1988-01-01"])[0] == 1987  # late December seen on New Year's day
    assert complete_year(1, 2, ["1987-12-30"])[0] == 1988
    assert complete_year(2, 29, ["1987-03-01"])[0] == 1988  # 1987 has no 29 February
    assert complete_year(2, 26, []) is None
    assert complete_year(2, 26, ["not a date"]) is None


def test_sources_in_order_of_trust():
    body = "OSLO, Feb 26 - The central bank said"
    assert published_of("1987-02-26T15:01:01", "2020-01-01", body).source == "row"
    assert published_of(None, "2026-03-03T14:32:00", body).source == "html"
    assert published_of(None, None, body, header="By Jane Doe | 1 June 2025").value == "2025-06-01"
    p = published_of(None, None, body, ["1987-03-02"])
    assert (p.value, p.source) == ("1987-02-26", "dateline")
    assert "year from capture date 1987-03-02" in p.evidence


def test_a_dateline_without_any_year_stays_month_day_only():
    p = published_of(None, None, "OSLO, Feb 26 - The central bank said", [])
    assert p.value is None and p.month_day == "--02-26"
    assert "no year" in p.evidence


def test_nothing_stated_gives_nothing():
    p = published_of(None, None, "The central bank said rates stay.", [])
    assert p == (None, None, "no date stated", None)


def test_html_metadata_is_read_but_free_text_is_not_guessed():
    page = ('<html><head><meta property="article:published_time" content="2026-03-03T14:32:00+00:00">'
            '</head><body><article><h1>Rates</h1><p>Rates rose.</p></article></body></html>')
    assert html_date(page) == "2026-03-03T14:32:00Z"
    bare = "<html><body><article><h1>Rates</h1><p>In 1999 rates rose, and again in 2004.</p></article></body></html>"
    assert html_date(bare) is None
    assert html_date("") is None


# pieces of the first lines of wire stories and pages, datelines among them, for the compiled scan
_PLACES = ["OSLO", "TAUPO, New Zealand", "WINSTON-SALEM, N.C.", "lima", "st. louis", "O'HARE (IL)", "A&B/C", "Über",
           "Mexico city", "X" * 61]
_MONTH_NAMES = ["Feb", "March", "MAR.", "Sept", "sep.", "September", "Sepember", "Septe", "june", "JULY", "Dec.",
                "Marching", "aprIL"]
_ENDS = [" -", "-", " --", ", 1987 -", " 2026 -", " (Reuters) -", ", (reuter) -", " 1987 Reuters -", " \u2013",
         " x -", "", " 19871 -"]
_SPACES = ["", " ", "  ", "\t", "\x0b", "\x1c", "\u00a0"]
_OTHER_LINES = ["", " ", "By Jane Doe | 1 June 2025", "Updated 14:32 GMT, 3 March 2026", "posted in markets",
                "y" * 199, "z" * 240, "The vote on March 23 - a Tuesday - was close", "\u2018Quoted\u2019 caption - mar"]


@st.composite
def _tops(draw):
    lines = []
    for _ in range(draw(st.integers(1, 5))):
        if draw(st.booleans()):
            place, month, day = draw(st.sampled_from(_PLACES)), draw(st.sampled_from(_MONTH_NAMES)), \
                draw(st.sampled_from(["5", "26", "05", "0", "31", "32", "123"]))
            date = f"{month}{draw(st.sampled_from(_SPACES))}{day}" if draw(st.booleans()) else \
                f"{day}{draw(st.sampled_from(_SPACES))}{month}"
            lines.append(f"{draw(st.sampled_from(_SPACES))}{place}{draw(st.sampled_from([',', '.', ' ,', ';']))}"
                         f"{draw(st.sampled_from(_SPACES))}{date}{draw(st.sampled_from(_ENDS))} Showers continued")
        else:
            lines.append(draw(st.sampled_from(_OTHER_LINES)))
    # tails: none, a long one, a long one with a non-ASCII letter after the top (a top of its own)
    return draw(st.sampled_from(["\n", "\n\n", "\n \n", "\r\n"])).join(lines) + \
        draw(st.sampled_from(["", " x" * 700, " x" * 700 + " caf\u00e9"]))


@settings(max_examples=300, deadline=None)
@given(st.lists(_tops(), min_size=1, max_size=12))
def test_the_compiled_scan_of_many_tops_finds_what_the_line_by_line_search_finds(texts):
    # an ingest dates a chunk's articles at once (opening_tops); show and compare date one (_top)
    assert opening_tops(texts) == [_top(t) for t in texts]


def test_a_misspelt_month_the_dateline_pattern_takes_is_read_by_its_first_letters():
    found = published_of(None, None, "LONDON, Sepember 5 - Shares fell", ["1987-09-07"])
    assert (found.value, found.source) == ("1987-09-05", "dateline")
