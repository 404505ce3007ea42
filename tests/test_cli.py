"""The command line as a newcomer meets it: machine-readable output, short ids, help, tables that
say what they hold, a first run that says what it does, and forgetting what was ingested."""
import csv
import io
import json
import os
import shutil

import pytest

from newsfold import Store, extract
from support import EXAMPLES, FIXTURES, read_jsonl, run_cli, without_capture_times

IRAQ = "Iraq Forms Security Crisis Cell to Coordinate with Syria"


@pytest.fixture(scope="module")
def seeds_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("seeds") / "nf.db"
    run_cli("ingest", EXAMPLES, "--db", db, "--quiet")
    return db


def test_stories_in_json_and_csv_carry_what_the_table_shows(seeds_db):
    rows = [json.loads(line) for line in run_cli("stories", "--db", seeds_db, "--format", "json").stdout.splitlines()]
    assert len(rows) == 6 and rows[0]["title"] == IRAQ and rows[0]["occurrences"] == 3
    table = list(csv.DictReader(io.StringIO(run_cli("stories", "--db", seeds_db, "--format", "csv").stdout)))
    assert [r["id"] for r in table] == [r["id"] for r in rows] and table[0]["occurrences"] == "3"


def test_tables_have_a_header_and_say_how_much_they_show(seeds_db):
    out = run_cli("stories", "--db", seeds_db, "--limit", "2").stdout.splitlines()
    assert out[0].split()[:2] == ["story", "occ"] and "headline" in out[0]
    assert out[-1] == "showing 2 of 6 stories (--limit 0 lists all)"
    every = run_cli("stories", "--db", seeds_db, "--limit", "0").stdout.splitlines()
    assert every[-1] == "showing 6 of 6 stories" and len(every) == 8


def test_help_is_dash_h_and_shows_every_default():
    for args in ((), ("stories",), ("ingest",), ("show",), ("search",), ("export",), ("stats",), ("forget",)):
        out = run_cli(*args, "-h").stdout
        assert "Usage:" in out, args
    stories = run_cli("stories", "-h").stdout
    assert "[default: 50]" in stories and "[default: newsfold.db]" in stories and "[default: table]" in stories


def test_a_story_is_named_by_any_unambiguous_prefix_of_its_id(seeds_db, shared, tmp_path):
    iraq = json.loads(run_cli("stories", "--db", seeds_db, "--format", "json").stdout.splitlines()[0])["id"]
    for prefix in (iraq[:4], iraq[:7].upper(), iraq):
        shown = json.loads(run_cli("show", prefix, "--db", seeds_db, "--format", "json").stdout)
        assert shown["id"] == iraq and len(shown["occurrences"]) == 3
    db = tmp_path / "dev.db"  # 363 stories: a one-character prefix names many
    run_cli("ingest", shared / "devset" / "captures", "--db", db, "--quiet")
    out = run_cli("show", iraq[0], "--db", db, check=False)
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.startswith(f"newsfold: {iraq[0]} names ") and out.stderr.count("\n") == 1
    missing = run_cli("show", "ffffffffffff", "--db", db, check=False)
    assert missing.returncode == 1 and "no story ffffffffffff" in missing.stderr


def test_show_gives_shared_passages_as_the_articles_write_them(seeds_db):
    shown = json.loads(run_cli("show", "fc8a", "--db", seeds_db, "--format", "json").stdout)
    merged = [o for o in shown["occurrences"] if not o["canonical"]]
    passage = merged[0]["evidence"]["shared"][0]
    assert passage.startswith("Iraq has established a “security crisis cell”")  # case and quotes as written
    assert passage in " ".join(shown["canonical"]["text"].split())
    rows = list(csv.DictReader(io.StringIO(run_cli("show", "fc8a", "--db", seeds_db, "--format", "csv").stdout)))
    assert len(rows) == 3 and {r["canonical"] for r in rows} == {"True", "False"}


def test_search_folds_copies_of_one_passage_into_a_counted_line(seeds_db):
    out = run_cli("search", "crisis cell", "--db", seeds_db).stdout.splitlines()
    iraq = [line for line in out if "(×3)" in line]
    assert len(iraq) == 1 and out[0].endswith(IRAQ)
    groups = [json.loads(line) for line in run_cli("search", "crisis cell", "--db", seeds_db, "--format", "json")
              .stdout.splitlines()]
    assert groups[0]["hits"][0]["copies"] == 3 and len(groups[0]["hits"]) == 1


def test_stats_counts_what_the_store_holds(seeds_db):
    s = json.loads(run_cli("stats", "--db", seeds_db, "--format", "json").stdout)
    assert (s["captures"], s["articles"], s["stories"]) == (3, 8, 6)
    assert s["stories_by_size"]["1"] == 5 and s["stories_by_size"]["3-5"] == 1
    assert s["captures_by_kind"] == {"text": 3} and s["store_bytes"] > 0
    table = run_cli("stats", "--db", seeds_db).stdout
    assert "articles   8" in table


def test_export_unique_counts_each_storys_occurrences(seeds_db, tmp_path):
    run_cli("export", "--db", seeds_db, "--unique", "--out", tmp_path / "u.jsonl")
    rows = read_jsonl(tmp_path / "u.jsonl")
    assert len(rows) == 6 and sorted(r["occurrences"] for r in rows) == [1, 1, 1, 1, 1, 3]
    assert all("occurrences" not in r for r in read_jsonl_export(seeds_db, tmp_path))


def read_jsonl_export(db, tmp_path):
    run_cli("export", "--db", db, "--out", tmp_path / "all.jsonl")
    return read_jsonl(tmp_path / "all.jsonl")


def test_the_api_takes_one_path_as_a_str_or_a_path(tmp_path, examples_copy):
    with Store(tmp_path / "a.db") as store:
        report = store.ingest(str(examples_copy), progress=False)
    assert (report.files, report.articles, report.stories) == (3, 8, 6)
    with Store(tmp_path / "b.db") as store:
        assert store.ingest(examples_copy, progress=False).files == 3
    assert len(list(extract(str(examples_copy), on_problem=lambda p: None))) == 8


def test_files_in_a_folder_that_are_no_captures_get_one_line_each(tmp_path, examples_copy):
    (examples_copy / "README.md").write_text("# Captures\n\nThe pages we saved last week, one per file.\n")
    (examples_copy / "notes.py").write_text("print('not a capture')\n")
    (examples_copy / "truth.jsonl").write_text("".join(json.dumps({"file": f"f{i}", "articles": []}) + "\n"
                                                      for i in range(300)))
    (examples_copy / "doc.json").write_text(json.dumps({"captures": ["a", "b"]}, indent=2))
    out = run_cli("ingest", examples_copy, "--db", tmp_path / "nf.db")
    lines = [line for line in out.stderr.splitlines() if line.startswith("newsfold: ")]
    assert len(lines) == 4, out.stderr
    assert any("README.md: skipped: a project document" in line for line in lines)
    assert any("notes.py: skipped: not a capture format (.py)" in line for line in lines)
    assert any("truth.jsonl: no row has text in field 'text/body/content' (fields: articles, file" in line
               for line in lines)
    assert any("doc.json: not JSON lines" in line for line in lines)
    assert "articles: 8, stories: 6" in out.stderr
    named = run_cli("ingest", examples_copy / "README.md", "--db", tmp_path / "named.db", check=False)
    assert "skipped" not in named.stderr  # a file named on the command line is read, whatever its name


def test_a_row_without_an_article_is_named_by_its_file_and_line(tmp_path):
    feed = tmp_path / "feed.jsonl"
    body = "\n\n".join(f"Paragraph {i} of a wire story about the harbour strike, with enough words to count." for i in range(4))
    feed.write_text(json.dumps({"id": "good", "title": "Harbour strike", "text": body}) + "\n"
                    + json.dumps({"id": "a", "text": "***"}) + "\n")
    out = run_cli("ingest", feed, "--db", tmp_path / "nf.db")
    assert f"newsfold: {feed}:2: no article found (row a)" in out.stderr


def test_the_first_ingest_after_an_install_says_it_compiles(tmp_path, examples_copy):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba-cache")}  # as on a fresh install
    first = run_cli("ingest", examples_copy, "--db", tmp_path / "a.db", "--quiet", env=env)
    assert "newsfold: compiling the ingest's loops for this machine, once" in first.stderr
    again = run_cli("ingest", examples_copy, "--db", tmp_path / "b.db", "--quiet", env=env)
    assert "compiling" not in again.stderr


def test_forgetting_half_the_devset_leaves_what_a_clean_ingest_of_the_rest_makes(tmp_path, shared):
    captures = sorted((shared / "devset" / "captures").iterdir())
    gone, kept = captures[::2], captures[1::2]
    for name, files in (("full", captures), ("clean", kept)):
        folder = tmp_path / name / "data"  # the same names in both stores: data/<file>
        folder.mkdir(parents=True)
        for f in files:
            os.symlink(f, folder / f.name)
    run_cli("ingest", "data", "--db", "s.db", "--quiet", cwd=tmp_path / "full")
    whole = run_cli("export", "--db", "s.db", cwd=tmp_path / "full").stdout
    out = run_cli("forget", *(f"data/{f.name}" for f in gone), "--db", "s.db", cwd=tmp_path / "full")
    assert f"forgot {len(gone)} captures" in out.stderr
    run_cli("ingest", "data", "--db", "s.db", "--quiet", cwd=tmp_path / "clean")
    exports = [without_capture_times(run_cli("export", "--db", "s.db", cwd=tmp_path / name).stdout)
               for name in ("full", "clean")]
    assert exports[0] == exports[1] and exports[0].count("\n") > 400
    again = run_cli("ingest", "data", "--db", "s.db", "--quiet", cwd=tmp_path / "full")  # the forgotten files are still there
    assert f"captures: {len(gone)} new" in again.stderr
    # the same stories; the forgotten captures' capture time is when they were ingested again
    assert without_capture_times(run_cli("export", "--db", "s.db", cwd=tmp_path / "full").stdout) == \
        without_capture_times(whole)


def test_forget_takes_a_name_prefix_or_a_folder_and_says_what_matched_nothing(tmp_path, examples_copy):
    db = tmp_path / "nf.db"
    run_cli("ingest", examples_copy, "--db", db, "--quiet")
    shutil.copy(FIXTURES / "dateline_dump.txt", tmp_path / "later.txt")
    run_cli("ingest", tmp_path / "later.txt", "--db", db, "--quiet")
    out = run_cli("forget", examples_copy, "nothing-like-this", "--db", db)
    assert "newsfold: nothing-like-this: no capture by that name, prefix or path" in out.stderr
    assert "forgot 3 captures (8 articles)" in out.stderr
    left = json.loads(run_cli("stats", "--db", db, "--format", "json").stdout)
    assert left["captures"] == 1
    prefix = str(tmp_path / "lat")
    assert "forgot 1 captures" in run_cli("forget", prefix, "--db", db).stderr
    assert run_cli("forget", prefix, "--db", db, check=False).returncode == 1


def test_what_comes_after_a_forget_is_searchable(tmp_path, examples_copy):
    """Forgetting the newest captures frees the highest article ids, which the next ingest takes
    again: its articles must reach the search index all the same."""
    db = tmp_path / "nf.db"
    run_cli("ingest", examples_copy, "--db", db, "--quiet")
    newest = sorted(examples_copy.iterdir())[-1]
    run_cli("forget", newest, "--db", db)
    later = tmp_path / "later"
    later.mkdir()
    shutil.copy(FIXTURES / "dateline_dump.txt", later / "digest.txt")
    run_cli("ingest", later, "--db", db, "--quiet")
    found = run_cli("search", "port strike", "--db", db)
    assert "digest.txt" in found.stdout and not found.stderr
