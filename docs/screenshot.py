#!/usr/bin/env python3
"""Take the README's screenshot of the desk (docs/desk.png): the seeds' store, the Iraq story's
versions with their merge evidence and diff, in Debian's headless Chromium.

    .venv/bin/python docs/screenshot.py
"""
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(ROOT / "examples", Path(tmp) / "examples")
        db = Path(tmp) / "seeds.db"
        nf = [sys.executable, "-m", "newsfold.cli"]
        subprocess.run([*nf, "ingest", "examples", "--db", str(db), "--quiet"], cwd=tmp, check=True, capture_output=True)
        server = subprocess.Popen([*nf, "serve", "--db", str(db), "--port", "0"], stderr=subprocess.PIPE, text=True)
        try:
            base = re.search(r"(http://\S+?)/? ", server.stderr.readline()).group(1)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
                page = browser.new_page(viewport={"width": 1100, "height": 720})
                page.goto(base + "/stories")
                page.get_by_role("link", name="Iraq Forms Security Crisis Cell to Coordinate with Syria").click()
                page.wait_for_url("**/story/*")
                page.locator("ol.versions li.version").nth(0).scroll_into_view_if_needed()
                page.evaluate("document.querySelector('h2').scrollIntoView()")
                page.screenshot(path=str(ROOT / "docs" / "desk.png"))
                browser.close()
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
