"""The desk over HTTP: a real `newsfold serve` on a real store, asked by a real HTTP client.
Every page and its .json twin, the error paths (400, 404, bad token), the token, watchlist edits,
and the security measures (CSP, escaping, Host check, read-only store)."""
import hashlib
import json
import shutil
import sqlite3
import xml.etree.ElementTree as ET

import httpx
import lxml.html
import pytest

from support import EXAMPLES, FIXTURES, DeskProcess, run_cli

IRAQ = "Iraq Forms Security Crisis Cell to Coordinate with Syria"


def _seeds_store(folder):
    captures = folder / "seeds"
    shutil.copytree(EXAMPLES, captures)
    db = folder / "seeds.db"
    run_cli("ingest", captures, "--db", db)
    run_cli("search", "crisis", "--db", db)  # builds the full-text index (a reader never writes it)
    return db


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return _seeds_store(tmp_path_factory.mktemp("desk"))


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    captures = folder / "captures"
    captures.mkdir()
    shutil.copy(FIXTURES / "hostile_markup.txt", captures / 'bridge<img src=x onerror="window.pwned=13">.txt')
    shutil.copy(FIXTURES / "hostile_page.html", captures / "port.html")
    db = folder / "hostile.db"
    run_cli("ingest", captures, "--db", db)
    run_cli("search", "bridge", "--db", db)
    return db


@pytest.fixture(scope="module")
def desk(store):
    with DeskProcess(store) as served:
        yield served


@pytest.fixture
def client(desk):
    with httpx.Client(base_url=desk.url, timeout=30) as c:
        yield c


def page(response) -> lxml.html.HtmlElement:
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    return lxml.html.fromstring(response.text)


def iraq_id(client) -> str:
    return next(s["id"] for s in client.get("/stories.json").json()["stories"] if s["title"] == IRAQ)


def test_stories_page_lists_the_seeds_six_stories_with_their_json_twin(client):
    html = page(client.get("/stories"))
    rows = html.cssselect("table.stories tbody tr")
    assert len(rows) == 6
    data = client.get("/stories.json").json()
    assert [s["title"] for s in data["stories"]] == [r.cssselect("a.headline")[0].text_content() for r in rows]
    iraq = next(s for s in data["stories"] if s["title"] == IRAQ)
    assert (iraq["occurrences"], iraq["captures"], iraq["sources"]) == (3, 3, 3)
    assert sum(iraq["sparkline"]) == 3 and iraq["first"].endswith("Z")
    assert client.get("/", follow_redirects=False).headers["location"] == "/stories"


def test_stories_are_filtered_ordered_and_paged(client):
    def titles(query):
        return [s["title"] for s in client.get("/stories.json" + query).json()["stories"]]

    assert titles("?min_size=2") == [IRAQ]
    assert set(titles("?q=iraq")) == {IRAQ, "US Envoy Opens File on Funds Smuggled from Iraq"}
    assert titles("?sort=largest")[0] == IRAQ
    growing = client.get("/stories.json?sort=growing").json()
    assert growing["stories"][0]["title"] == IRAQ and growing["stories"][0]["recent"] == 3
    assert titles("?since=2000-01-01&until=2000-12-31") == []
    assert len(titles("?since=2000-01-01")) == 6
    data = client.get("/stories.json?page=2").json()
    assert data["stories"] == [] and not data["more"]


def test_story_page_shows_versions_diffs_and_why_each_was_merged(client):
    sid = iraq_id(client)
    html = page(client.get(f"/story/{sid}"))
    assert html.cssselect("h1")[0].text_content() == IRAQ
    versions = html.cssselect("li.version")
    assert len(versions) == 3
    assert len(html.cssselect("li.version a.capture")) == 3
    assert len(html.cssselect("details.diff .side-by-side")) == 2  # each merged version against the canonical one
    rules = [li.text_content() for li in html.cssselect("ul.rule li")]
    assert "✓ containment 1.00 ≥ 0.85: near-identical bodies" in rules
    assert html.cssselect("blockquote.shared")[0].text_content().startswith("“Iraq has established a “security crisis cell”")
    data = client.get(f"/story/{sid}.json").json()
    assert data["occurrences"] == 3 and len(data["versions"]) == 3
    merged = [v for v in data["versions"] if not v["canonical"]]
    assert all(v["evidence"]["same_story"] and v["identical"] for v in merged)
    assert sum(v["canonical"] for v in data["versions"]) == 1


def test_word_diff_marks_added_and_removed_words(tmp_path):
    """A version that changed a few words: the story page marks them on both sides."""
    captures = tmp_path / "c"
    shutil.copytree(EXAMPLES, captures)
    original = (captures / "003_ecce10f60d867970.txt").read_text(encoding="utf-8")
    changed = original.replace("a government source revealed", "a senior government source told reporters")
    assert changed != original
    (captures / "003_ecce10f60d867970.txt").write_text(changed, encoding="utf-8")
    db = tmp_path / "d.db"
    run_cli("ingest", captures, "--db", db)
    with DeskProcess(db) as served, httpx.Client(base_url=served.url) as c:
        sid = iraq_id(c)
        html = page(c.get(f"/story/{sid}"))
        added = [e.text_content() for e in html.cssselect(".side-by-side ins")]
        removed = [e.text_content() for e in html.cssselect(".side-by-side del")]
    # the longer version is the canonical one: the others removed its "senior … told reporters"
    # and added "revealed"
    assert any("senior" in r for r in removed) and any("told reporters" in r for r in removed)
    assert any("revealed" in a for a in added)


def test_capture_page_shows_articles_in_order_and_greys_the_residue(client):
    html = page(client.get("/capture/1"))
    assert [li.cssselect(".version-title")[0].text_content().split(" · ")[0] for li in html.cssselect("ol.articles li")] \
        == [IRAQ, "Germany Hands Syrian Doctor Life for Torturing Assad Critics"]
    residue = [e.text_content() for e in html.cssselect(".cut .residue")]
    assert "TT" in residue  # the widget token no article holds
    kept = " ".join(e.text_content() for e in html.cssselect(".cut span:not(.residue)"))
    assert "Iraq has established a “security crisis cell”" in kept
    data = client.get("/capture/1.json").json()
    assert data["text_kept"] and data["residue_words"] > 0 and len(data["articles"]) == 2
    # every word of every article is shown as its article's, none as residue
    shown = [run for line in data["lines"] for run in line if run["article"] is not None]
    body_words = set(" ".join(a["text"] for a in data["articles"]).split())
    assert body_words <= set(" ".join(r["text"] for r in shown).split())


def test_a_dataset_row_capture_keeps_no_text(tmp_path):
    rows = tmp_path / "rows.jsonl"
    text = (EXAMPLES / "003_ecce10f60d867970.txt").read_text(encoding="utf-8")
    rows.write_text(json.dumps({"id": "row-1", "text": text}) + "\n", encoding="utf-8")
    db = tmp_path / "rows.db"
    run_cli("ingest", rows, "--db", db)
    assert sqlite3.connect(db).execute("SELECT count(*) FROM capture_texts").fetchone()[0] == 0
    with DeskProcess(db) as served, httpx.Client(base_url=served.url) as c:
        data = c.get("/capture/1.json").json()
        assert data["name"] == "row-1" and data["lines"] is None and len(data["articles"]) == 2
        assert "stays in the dataset" in c.get("/capture/1").text


def test_search_groups_hits_by_story_and_highlights_terms(client):
    html = page(client.get("/search", params={"q": "crisis cell"}))
    groups = html.cssselect("section.hit-group")
    assert groups[0].cssselect("h2")[0].text_content() == IRAQ
    assert len(groups[0].cssselect("li")) == 3
    assert {m.text_content().lower() for m in html.cssselect("mark")} >= {"crisis", "cell"}
    data = client.get("/search.json", params={"q": "crisis cell"}).json()
    assert data["stories"][0]["title"] == IRAQ and data["index"]["behind"] == 0
    assert any(part["hit"] for part in data["stories"][0]["hits"][0]["snippet"])
    best = client.get("/search.json", params={"q": "crisis cell", "sort": "best"}).json()
    assert best["stories"][0]["title"] == IRAQ and best["order"] == "best"
    assert client.get("/search", params={"q": "x", "sort": "random"}).status_code == 400
    # a malformed FTS query is searched as a phrase, not an error
    assert client.get("/search.json", params={"q": 'crisis "cell'}).json()["note"].startswith("searched as a phrase")


def test_overview_counts_and_charts(client):
    html = page(client.get("/overview"))
    assert len(html.cssselect("svg.chart")) == 2
    data = client.get("/overview.json").json()
    assert data["counts"] == {"captures": 3, "articles": 8, "stories": 6, "stories_folded": 1, "occurrences_folded": 2}
    assert {s["size"]: s["stories"] for s in data["sizes"]}["3-5"] == 1
    assert sum(a["articles"] for a in data["arrivals"]) == 8


@pytest.mark.parametrize("path, status", [
    ("/story/zz", 400), ("/story/../../etc/passwd", 404), ("/story/ffffffffffffffff", 404),
    ("/story/ffffffffffffffff.json", 404), ("/capture/abc", 400), ("/capture/99999", 404), ("/capture/1x.json", 400),
    ("/stories?sort=random", 400), ("/stories?page=0", 400), ("/stories?min_size=-1", 400),
    ("/stories?since=2026-13-45", 400), ("/stories?since=yesterday", 400), ("/search?q=" + "x" * 201, 400),
    ("/watch/Bad%20Name", 400), ("/watch/nosuch", 404), ("/watch/nosuch.atom", 404), ("/no/such/page", 404),
    ("/static/../../pyproject.toml", 404),
])
def test_bad_requests_get_one_clear_error(client, path, status):
    r = client.get(path)
    assert r.status_code == status
    if path.endswith(".json") or ".json?" in path or path.endswith(".atom"):
        assert r.json()["status"] == status
    else:
        assert "<h1>%d</h1>" % status in r.text


def test_every_response_carries_a_strict_content_security_policy(client):
    for path in ("/stories", "/stories.json", "/story/zz", "/static/desk.css", "/no/such/page", "/login"):
        csp = client.get(path).headers["content-security-policy"]
        assert "script-src 'self'" in csp and "default-src 'none'" in csp and "unsafe" not in csp
    r = client.get("/stories")
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["x-frame-options"] == "DENY"


def _structure_is_inert(html: lxml.html.HtmlElement) -> None:
    """No element the page makes runs anything: scripts only from the desk itself, no handler
    attribute, no javascript: address."""
    for el in html.iter():
        if not isinstance(el.tag, str):
            continue
        assert el.tag != "script" or el.get("src") == "/static/htmx.min.js"
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on"), (el.tag, name)
            assert not value.strip().lower().startswith("javascript:"), (el.tag, name, value)
        assert el.tag not in ("iframe", "object", "embed", "img", "base")


def test_hostile_markup_is_shown_as_text_on_every_page(hostile_store):
    with DeskProcess(hostile_store) as served, httpx.Client(base_url=served.url) as c:
        stories = c.get("/stories.json").json()["stories"]
        assert len(stories) == 2
        pages = ["/stories", "/search?q=bridge", "/search?q=strike", "/overview"]
        pages += [f"/story/{s['id']}" for s in stories] + ["/capture/1", "/capture/2"]
        seen = ""
        for path in pages:
            html = page(c.get(path))
            _structure_is_inert(html)
            seen += html.text_content()
        assert "Bridge Closed After <script>window.pwned=1;alert(1)</script> Cracks Found" in seen
        assert 'onerror="window.pwned=2;alert(2)">' in seen and 'href="javascript:window.pwned=3' in seen
        assert "Port Strike Ends <img src=x onerror=window.pwned=6> After Nine Days" in seen
        assert 'bridge<img src=x onerror="window.pwned=13">.txt' in seen  # the file name too
        assert "window.pwned = 7" not in seen  # a page's own script is not its text (not shown as residue either)


def test_a_token_keeps_out_those_who_lack_it(store):
    with DeskProcess(store, "--token", "s3cret-token") as served, httpx.Client(base_url=served.url) as c:
        assert c.get("/stories").status_code == 401
        assert c.get("/stories.json").json()["status"] == 401
        assert c.get("/stories", headers={"Authorization": "Bearer wrong"}).status_code == 403
        assert c.get("/stories.json?token=wrong").status_code == 403
        assert c.get("/stories", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
        assert c.get("/stories.json?token=s3cret-token").status_code == 200
        assert c.post("/login", data={"token": "wrong"}).status_code == 401
        assert c.get("/login").status_code == 200 and c.get("/static/desk.css").status_code == 200
        # the link with the token: the token goes into a cookie and out of the address
        r = c.get("/stories?sort=largest&token=s3cret-token", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/stories?sort=largest"
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        assert c.get("/stories").status_code == 200  # the cookie now lets the browser in
        served_lines = served.stop()
    assert "s3cret-token" not in served_lines  # never printed


def test_watchlist_edits_need_the_token_and_show_new_matches(store):
    before = sqlite3.connect(store).execute("SELECT count(*) FROM watchlists").fetchone()[0]
    with DeskProcess(store) as served, httpx.Client(base_url=served.url) as stranger:
        assert stranger.get("/stories").status_code == 200  # reading is open without --token
        r = stranger.post("/watch", data={"name": "iraq", "query": "iraq crisis"})
        assert r.status_code == 403
        assert sqlite3.connect(store).execute("SELECT count(*) FROM watchlists").fetchone()[0] == before
        with httpx.Client(base_url=served.url) as editor:
            assert editor.get(served.edit_link, follow_redirects=True).status_code == 200  # the printed link: the edit token, as a cookie
            foreign = editor.post("/watch", data={"name": "iraq", "query": "iraq crisis"},
                                  headers={"Origin": "http://evil.example"})
            assert foreign.status_code == 403
            r = editor.post("/watch", data={"name": "iraq", "query": "iraq crisis"}, follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"] == "/watch/iraq"
            assert editor.post("/watch", data={"name": "Bad Name!", "query": "x"}).status_code == 400
            assert editor.post("/watch", data={"name": "long", "query": "x" * 201}).status_code == 400
            listed = editor.get("/watch.json").json()["watchlists"]
            assert [(w["name"], w["query"], w["new"]) for w in listed] == [("iraq", "iraq crisis", 3)]
            first = editor.get("/watch/iraq")
            assert page(first).cssselect(".badge.new") and "newsfold_seen" in first.headers["set-cookie"]
            assert editor.get("/watch.json").json()["watchlists"][0]["new"] == 0  # seen, in this browser
            assert not page(editor.get("/watch/iraq")).cssselect(".badge.new")
            assert stranger.get("/watch.json").json()["watchlists"][0]["new"] == 3  # not in another one
            feed = stranger.get("/watch/iraq.atom")
            assert feed.headers["content-type"].startswith("application/atom+xml")
            entries = ET.fromstring(feed.content).findall("{http://www.w3.org/2005/Atom}entry")
            assert len(entries) == 3
            assert entries[0].find("{http://www.w3.org/2005/Atom}title").text == IRAQ
            assert stranger.post("/watch/iraq/delete").status_code == 403
            assert editor.post("/watch/iraq/delete", follow_redirects=False).status_code == 303
            assert editor.get("/watch/iraq").status_code == 404


def test_a_desk_on_the_loopback_answers_no_other_host_name(client):
    assert client.get("/stories", headers={"Host": "attacker.example"}).status_code == 400
    assert client.get("/stories", headers={"Host": "localhost"}).status_code == 200


def test_the_desk_never_writes_the_store(store, client):
    def digest():
        return hashlib.sha256(store.read_bytes()).hexdigest()

    before = digest()
    for path in ("/stories", "/stories?sort=growing", "/search?q=iraq", "/overview", "/watch", "/capture/1"):
        assert client.get(path).status_code == 200
    assert digest() == before
    from newsfold.desk import Desk

    conn = Desk(str(store)).readers.get()
    with pytest.raises(sqlite3.OperationalError):
        conn.execute("CREATE TABLE x (a)")


def test_serve_refuses_what_is_not_a_store(tmp_path):
    out = run_cli("serve", "--db", tmp_path / "missing.db", check=False)
    assert out.returncode == 2 and out.stderr.strip() == f"newsfold: {tmp_path / 'missing.db'}: no such store"
    assert not (tmp_path / "missing.db").exists()
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (a)")
    out = run_cli("serve", "--db", other, check=False)
    assert out.returncode == 2 and "not a newsfold store" in out.stderr


def test_a_forgotten_capture_takes_its_kept_text_along(tmp_path, examples_copy):
    db = tmp_path / "f.db"
    run_cli("ingest", examples_copy, "--db", db, "--quiet")
    last = sorted(examples_copy.iterdir())[-1]
    run_cli("forget", last, "--db", db)
    assert sqlite3.connect(db).execute("SELECT count(*) FROM capture_texts").fetchone()[0] == 2
    later = tmp_path / "later.txt"
    shutil.copy(FIXTURES / "hostile_markup.txt", later)
    run_cli("ingest", later, "--db", db, "--quiet")  # given the forgotten capture's id again
    with DeskProcess(db) as served, httpx.Client(base_url=served.url) as c:
        data = c.get("/capture/3.json").json()
    assert data["name"] == str(later)
    assert data["lines"][0][0]["text"].startswith("Bridge Closed After")
