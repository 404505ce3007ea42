"""The desk in a real browser: Debian's headless Chromium, driven by Playwright.

The README's test command installs Chromium when it is missing, so these run everywhere the
suite runs; without it they fail, saying how to install it (they are never skipped).
"""
import shutil
from pathlib import Path

import pytest

from support import EXAMPLES, FIXTURES, DeskProcess, Served, run_cli

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
IRAQ = "Iraq Forms Security Crisis Cell to Coordinate with Syria"


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("the browser tests need Debian's chromium: apt-get install -y chromium chromium-driver")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


class Watched:
    """A browser page that records what would show a script ran: dialogs, errors (a CSP
    violation is one), and pages that failed to load."""

    def __init__(self, browser):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.dialogs, self.errors = [], []
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

    def close(self):
        self.context.close()


@pytest.fixture
def tab(browser):
    watched = Watched(browser)
    yield watched
    watched.close()


def _store(folder: Path, *extra: Path) -> Path:
    captures = folder / "captures"
    shutil.copytree(EXAMPLES, captures)
    for path in extra:
        shutil.copy(path, captures / path.name)
    db = folder / "store.db"
    run_cli("ingest", captures, "--db", db)
    run_cli("search", "x", "--db", db)  # builds the full-text index
    return db


def test_the_seeds_six_stories_then_the_iraq_story_its_occurrences_and_a_diff(tmp_path, tab):
    page = tab.page
    with DeskProcess(_store(tmp_path)) as desk:
        page.goto(desk.url + "/")
        rows = page.locator("table.stories tbody tr")
        assert rows.count() == 6
        page.get_by_role("link", name=IRAQ).click()
        page.wait_for_url("**/story/*")
        assert page.locator("h1").inner_text() == IRAQ
        versions = page.locator("li.version")
        assert versions.count() == 3
        assert page.locator("li.version a.capture").all_inner_texts() == \
            [f"{tmp_path}/captures/{n}" for n in ("000_8c6bb47f4d0febb6.txt", "003_ecce10f60d867970.txt",
                                                 "004_7ab83e06146d686d.txt")]
        diff = page.locator("details.diff .side-by-side").first
        assert diff.is_visible() and "Iraq has established" in diff.inner_text()
        assert page.locator("ul.rule li").first.is_visible()
        page.locator("li.version a.capture").first.click()  # how that capture was cut
        page.wait_for_url("**/capture/*")
        assert page.locator(".cut .residue", has_text="TT").count() >= 1
    assert tab.errors == [] and tab.dialogs == []


def test_hostile_markup_shows_as_text_and_no_script_runs(tmp_path, tab):
    page = tab.page
    db = _store(tmp_path, FIXTURES / "hostile_markup.txt", FIXTURES / "hostile_page.html")
    with DeskProcess(db) as desk:
        page.goto(desk.url + "/stories")
        assert page.locator("table.stories tbody tr").count() == 8
        shown = page.locator("a.headline", has_text="Bridge Closed After")
        assert shown.inner_text() == "Bridge Closed After <script>window.pwned=1;alert(1)</script> Cracks Found"
        shown.click()
        page.wait_for_url("**/story/*")
        body = page.locator("article.canonical").inner_text()
        assert 'onerror="window.pwned=2;alert(2)">' in body and 'href="javascript:window.pwned=3' in body
        visited = [page.url]
        page.locator("li.version a.capture").first.click()
        page.wait_for_url("**/capture/*")
        visited.append(page.url)
        page.goto(desk.url + "/stories?q=Port+Strike")
        page.locator("a.headline").first.click()
        page.wait_for_url("**/story/*")
        assert "Port Strike Ends <img src=x onerror=window.pwned=6> After Nine Days" in page.locator("h1").inner_text()
        page.goto(desk.url + "/search?q=pwned")
        assert page.locator("mark").count() >= 1
        for url in visited + [page.url]:
            page.goto(url)
            # nothing the captures hold became an element that runs or loads anything
            assert page.evaluate("window.pwned") is None
            assert page.locator("script:not([src='/static/htmx.min.js']), img, svg[onload], [onerror], [onclick],"
                                " a[href^='javascript:']").count() == 0
            page.wait_for_timeout(200)  # time for anything injected to have run
            assert page.evaluate("window.pwned") is None
    assert tab.dialogs == []
    assert tab.errors == []  # not even a script the CSP had to block


def test_a_capture_dropped_into_a_watched_folder_appears_without_a_reload(tmp_path, tab):
    page = tab.page
    db = _store(tmp_path)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    watcher = Served("watch", inbox, "--db", db, "--settle", "0.5")
    try:
        watcher.read_line("newsfold: watching")
        with DeskProcess(db) as desk:
            page.goto(desk.url + "/stories")
            assert page.locator("table.stories tbody tr").count() == 6
            page.evaluate("window.notReloaded = true")
            landing = inbox / "ferry.txt.part"
            landing.write_text((FIXTURES / "hostile_markup.txt").read_text(encoding="utf-8"), encoding="utf-8")
            landing.rename(inbox / "ferry.txt")  # a download finishing
            page.locator("a.headline", has_text="Bridge Closed After").wait_for(timeout=10_000)
            assert page.locator("table.stories tbody tr").count() == 7
            assert page.evaluate("window.notReloaded") is True  # updated in place
            assert page.evaluate("window.pwned") is None
    finally:
        watcher.stop()
    assert tab.errors == [] and tab.dialogs == []
