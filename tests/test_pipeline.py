"""The engine-neutral steps as a user meets them: a capture whose extraction runs past the time
bound is stopped where it runs (a worker, or the caller's process) and reported as its own
problem, and its neighbours are kept."""
from __future__ import annotations

import shutil
from dataclasses import replace

import pytest

import newsfold
from newsfold import Store, config

from support import EXAMPLES

# 20,000 <article> elements with a heading and a paragraph each (2.7 MB): the outermost-block
# search of extract/html.py compares every pair (minutes)
ARTICLES = 20_000


def many_articles() -> str:
    block = "<article><h2>Item {i}</h2><p>Paragraph number {i} of a page that never ends.</p></article>"
    return "<!doctype html><html><body>" + "".join(block.format(i=i) for i in range(ARTICLES)) + "</body></html>"


@pytest.fixture
def slow_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "SETTINGS", replace(config.SETTINGS, extract_seconds=1))
    folder = tmp_path / "in"
    shutil.copytree(EXAMPLES, folder)
    (folder / "endless.html").write_text(many_articles(), encoding="utf-8")
    return folder


@pytest.mark.parametrize("workers", [1, 2])
def test_a_capture_past_the_time_bound_is_stopped_and_its_neighbours_kept(slow_folder, tmp_path, workers):
    seen = []
    with Store(tmp_path / "nf.db") as store:
        report = store.ingest([slow_folder], workers=workers, progress=False, on_problem=seen.append)
        assert [str(p) for p in seen] == [f"{slow_folder}/endless.html: extraction ran past the 1 s limit"]
        assert report.articles == 8 and store.captures() == 3


def test_extract_stops_it_too(slow_folder):
    seen = []
    titles = [a.title for a in newsfold.extract(slow_folder, on_problem=seen.append)]
    assert len(titles) == 8
    assert [str(p) for p in seen] == [f"{slow_folder}/endless.html: extraction ran past the 1 s limit"]


def dies_or_hangs(capture):
    """Extraction that crashes its process on one capture and loops in compiled code (where no
    signal handler runs) on another: what a bug in a parser's C code does."""
    import os
    import signal

    from newsfold.extract import extract

    if capture.name.endswith("crash.txt"):
        os.kill(os.getpid(), signal.SIGSEGV)
    if capture.name.endswith("stuck.txt"):
        import hashlib

        hashlib.pbkdf2_hmac("sha256", b"key", b"salt", 10**9)  # minutes in one call into OpenSSL
    return extract(capture)


def test_a_worker_that_crashes_or_sticks_in_compiled_code_costs_only_its_task(tmp_path, monkeypatch):
    """Each of two captures ends its worker (a crash; a call into compiled code that runs past
    twice the bound): each is one problem line, the worker is replaced, the other captures are kept."""
    from newsfold import bounded

    # a task a file: what a dead worker takes with it is that one file
    monkeypatch.setattr(config, "SETTINGS", replace(config.SETTINGS, extract_seconds=1, file_rows=256))
    monkeypatch.setattr(bounded, "extract", dies_or_hangs)
    folder = tmp_path / "in"
    shutil.copytree(EXAMPLES, folder)
    for name in ("crash", "stuck"):
        (folder / f"{name}.txt").write_text((EXAMPLES / "000_8c6bb47f4d0febb6.txt").read_text())
    seen = []
    with Store(tmp_path / "nf.db") as store:
        report = store.ingest([folder], workers=2, progress=False, on_problem=seen.append)
    assert sorted(map(str, seen)) == [f"{folder}/crash.txt: a worker process died (SIGSEGV)",
                                      f"{folder}/stuck.txt: extraction ran past 2 × the 1 s limit in compiled code"]
    assert report.captures == 3 and report.articles == 8
