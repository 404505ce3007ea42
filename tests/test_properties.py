"""Properties that hold for any input: extraction never raises and never invents a word;
ingest + export is deterministic; the stories do not depend on the order files are read in."""
from __future__ import annotations

import html
import io
import random
import re
import sqlite3
import unicodedata
from collections import Counter
from math import comb
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from newsfold import extract_text
from newsfold.read import rows as read_module
from newsfold.extract.lines import repair
from support import SHARED, read_jsonl, run_cli, without_capture_times

DEVSET = SHARED / "devset" / "captures"
SHUFFLES = 5
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

WORD = re.compile(r"\w+")


def words(text: str) -> Counter:
    """The scorer's notion of a word (eval/score.py): \\w+ after NFKC and lower-casing."""
    return Counter(WORD.findall(unicodedata.normalize("NFKC", text).lower()))


# --- inputs: arbitrary strings, and news-shaped text and HTML built from arbitrary words ---

word = st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=12)
sentence = st.lists(word, min_size=3, max_size=25).map(lambda ws: " ".join(ws).capitalize() + ".")
paragraph = st.lists(sentence, min_size=1, max_size=5).map(" ".join)
residue = st.sampled_from(["Share on Facebook   Share on X   Email", "Advertisement", "Related stories",
                           "Comments (12)", "© 2025 Gazette. All rights reserved.", "Read more: Elsewhere"])
headline = st.lists(word, min_size=3, max_size=10).map(lambda ws: " ".join(w.capitalize() for w in ws))
byline = st.builds(lambda a, b: f"By {a.capitalize()} {b.capitalize()} | 1 June 2025", word, word)


@st.composite
def news_text(draw) -> str:
    """A plain-text capture: headline, byline, paragraphs with residue lines between them."""
    out = [draw(residue)]
    for _ in range(draw(st.integers(1, 3))):
        out += [draw(headline), draw(byline), ""]
        for _ in range(draw(st.integers(1, 6))):
            out += [draw(st.one_of(paragraph, residue)), ""]
    return "\n".join(out)


@st.composite
def news_html(draw) -> str:
    esc = lambda s: html.escape(s, quote=False)  # noqa: E731
    paras = "".join(f"<p>{esc(p)}</p>" for p in draw(st.lists(paragraph, min_size=1, max_size=6)))
    nav = "".join(f"<a href='/x'>{esc(r)}</a>" for r in draw(st.lists(residue, max_size=3)))
    return (f"<!DOCTYPE html><html><head><title>{esc(draw(headline))}</title></head><body><nav>{nav}</nav>"
            f"<article><h1>{esc(draw(headline))}</h1>{paras}</article><footer>{esc(draw(residue))}</footer></body></html>")


tag_soup = st.lists(st.one_of(st.sampled_from(["<p>", "</p>", "<div>", "</div>", "<article>", "<h1>", "</h1>",
                                               "<br>", "<script>", "</script>", "<!--", "-->", "<![CDATA[", "&amp;",
                                               "&#0;", "&#xD800;", "<html>", "<body>", "\x00", "\ufeff"]),
                              st.text(max_size=30)), max_size=40).map("".join)


@SETTINGS
@given(st.one_of(st.text(max_size=2000), tag_soup, news_text(), news_html()))
def test_extraction_never_raises(text):
    for art in extract_text(text):
        assert isinstance(art.text, str) and isinstance(art.title, str)


def _assert_no_invented_words(source: str) -> None:
    # mojibake repair looks at context, so a fragment may be repaired differently from the whole page:
    # the words of the repaired whole and of each repaired text fragment both count as the input's
    seen = words(repair(source)) + words(repair(html.unescape(source)))
    for fragment in re.split(r"<[^>]*>", source):
        seen += words(repair(html.unescape(fragment)))
    source_chars = set(unicodedata.normalize("NFKC", source).lower())
    for art in extract_text(source):
        for field in (art.title, art.caption, art.credit, art.text):
            # a word with a character the input never had is mojibake repair at work (ftfy reads
            # "àª…" as UTF-8 bytes), not segmentation inventing text
            invented = Counter({w: n for w, n in (words(field) - seen).items() if set(w) <= source_chars})
            assert not invented, f"{sorted(invented)[:5]} not in the input"


@SETTINGS
@given(news_text())
def test_text_extraction_only_keeps_words_of_the_input(text):
    _assert_no_invented_words(text)


@SETTINGS
@given(news_html())
@example("<!DOCTYPE html><html><body><article><h1>0 0 0\u00e0\u00aa</h1><p>0 0 0.</p></article></body></html>")
@example("<!DOCTYPE html><html><body><article><h1>Le Havre à Paris</h1><p>Les gens sont là.</p></article></body></html>")
def test_html_extraction_only_keeps_words_of_the_input(markup):
    _assert_no_invented_words(markup)


# --- whole ingests through the real CLI ---

def partition(rows: list[dict]) -> dict[tuple[str, int], str]:
    """Each article occurrence (file name, position) → its story."""
    return {(Path(r["capture"]).name, r["position"]): r["story"] for r in rows}


def ari(a: dict, b: dict) -> float:
    """Adjusted Rand index of two labelings of the same items (1.0: the same partition)."""
    items = sorted(a)
    n = len(items)
    pairs = lambda c: sum(comb(v, 2) for v in c.values())  # noqa: E731
    both = pairs(Counter((a[i], b[i]) for i in items))
    sa, sb = pairs(Counter(a[i] for i in items)), pairs(Counter(b[i] for i in items))
    expected = sa * sb / comb(n, 2)
    top = (sa + sb) / 2
    return 1.0 if top == expected else (both - expected) / (top - expected)


def ingest_export(paths: list[Path], work: Path, name: str) -> Path:
    db, out = work / f"{name}.db", work / f"{name}.jsonl"
    run_cli("ingest", *paths, "--db", db, "--workers", "2", "--quiet")
    run_cli("export", "--db", db, "--out", out)
    return out


@pytest.mark.skipif(not DEVSET.is_dir(), reason="needs the devset in /work/shared")
def test_ingest_and_export_are_deterministic(tmp_path):
    files = sorted(DEVSET.iterdir())[:120]
    first = ingest_export(files, tmp_path, "first")
    second = ingest_export(files, tmp_path, "second")
    assert without_capture_times(first.read_bytes()) == without_capture_times(second.read_bytes())
    run_cli("export", "--db", tmp_path / "first.db", "--out", tmp_path / "again.jsonl")
    assert (tmp_path / "again.jsonl").read_bytes() == first.read_bytes()


@pytest.mark.skipif(not DEVSET.is_dir(), reason="needs the devset in /work/shared")
def test_stories_do_not_depend_on_input_order(tmp_path):
    files = sorted(DEVSET.iterdir())
    rng = random.Random(20250601)
    runs = []
    for n in range(SHUFFLES):
        order = files[:]
        rng.shuffle(order)  # the files are passed in this order, so they are read and numbered in it
        runs.append(partition(read_jsonl(ingest_export(order, tmp_path, f"shuffle{n}"))))
    for n, run in enumerate(runs[1:], start=1):
        assert run.keys() == runs[0].keys()
        assert ari(runs[0], run) == 1.0, f"shuffle {n}: ARI {ari(runs[0], run):.4f}"


@pytest.mark.skipif(not DEVSET.is_dir(), reason="needs the devset in /work/shared")
def test_a_first_ingest_places_articles_as_ingests_into_a_filled_store_do(tmp_path):
    # an ingest into an empty store clusters from what it kept in memory, one into a store that
    # holds articles from SQL: the same captures, all at once or in three runs, end in the same
    # stories, with the same canonical versions and merge evidence
    files = sorted(DEVSET.iterdir())
    at_once = ingest_export(files, tmp_path, "at_once")
    db = tmp_path / "parts.db"
    for part in (files[:40], files[40:200], files[200:]):
        run_cli("ingest", *part, "--db", db, "--workers", "2", "--quiet")
    run_cli("export", "--db", db, "--out", tmp_path / "parts.jsonl")
    assert without_capture_times((tmp_path / "parts.jsonl").read_bytes()) == without_capture_times(at_once.read_bytes())
    merges = "SELECT a.position, c.name, m.story_id, m.jaccard, m.containment, m.score FROM merges m" \
             " JOIN articles a ON a.id = m.article_id JOIN captures c ON c.id = a.capture_id ORDER BY 2, 1"
    stories = "SELECT id, size, title FROM stories ORDER BY id"
    for query in (merges, stories):
        with sqlite3.connect(tmp_path / "at_once.db") as one, sqlite3.connect(db) as parts:
            rows = one.execute(query).fetchall()
            assert len(rows) > 50 and rows == parts.execute(query).fetchall()


# --- JSONL lines: cut a MiB at a time in blocks, numbered and limited as if read line by line ---

def _jsonl_by_definition(data: bytes, limit: int) -> list[tuple[int, bytes | None]]:
    """(line number, line) of every non-blank line, None for one over the limit."""
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # the end of the last line, not a line
    return [(n, None if len(line) > limit else line) for n, line in enumerate(lines, start=1)
            if len(line) > limit or line.strip()]


jsonl_line = st.one_of(st.binary(max_size=40), st.sampled_from([b"", b" ", b"\r", b"\t \x0b\x0c", b"x" * 25]))


@SETTINGS
@given(st.lists(jsonl_line, max_size=300), st.booleans(), st.integers(1, 40), st.integers(0, 30))
def test_jsonl_blocks_hold_every_line_with_its_number(lines, final_newline, read_bytes, over):
    limit = read_bytes + over  # as in use: a line within one piece read is never over the limit
    data = b"\n".join(line.replace(b"\n", b"") for line in lines) + (b"\n" if final_newline and lines else b"")
    saved = read_module.READ_BYTES, read_module.MAX_RECORD_BYTES
    read_module.READ_BYTES, read_module.MAX_RECORD_BYTES = read_bytes, limit  # tiny: every edge case is hit
    try:
        got = []
        for block in read_module.read_jsonl_stream(io.BytesIO(data), "f.jsonl", None, plain=True):
            if isinstance(block, read_module.RowBlock):
                assert block.n_lines <= read_module.ROWS_PER_BLOCK
                assert data[block.offset : block.offset + len(block.data)] == block.data  # what a worker reads
                got += [(row.lineno, row.data) for row in block.rows()]
            else:
                assert "longer than" in block.reason
                got.append((block.line, None))
    finally:
        read_module.READ_BYTES, read_module.MAX_RECORD_BYTES = saved
    assert got == _jsonl_by_definition(data, limit)
