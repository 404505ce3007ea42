"""Real pages rendered to text by real tools (../shared/realpages): extraction keeps to its floors.

The figures of the issue are measured on other pages; these floors hold every change to what
the shipped models do on the pages they were fitted on, a little under the measured figures
(benchmarks/realpages.py prints them), so that a change that breaks a renderer or the scroll
cutting shows here. Scored in this process with ../shared/eval/realtext.py's own scoring.
"""
import sys

import pytest

from support import ROOT, SHARED

sys.path.insert(0, str(ROOT / "benchmarks"))

pytestmark = pytest.mark.skipif(not (SHARED / "realpages" / "manifest.json").exists(),
                                reason="../shared/realpages is not beside the repository")


@pytest.fixture(scope="module")
def figures():
    import realpages

    data = realpages.Dataset(SHARED / "realpages")
    return realpages.figures(realpages.run(data))


def test_each_text_renderer_gives_the_page_article(figures):
    assert figures["body_f1"]["mean"] >= 0.93
    for renderer in ("w3m", "lynx", "inscriptis", "chromium"):
        assert figures["body_f1"][renderer] >= 0.90, renderer


def test_a_page_gives_one_article_first_with_its_headline(figures):
    assert figures["first_f1"]["mean"] >= 0.90
    assert figures["articles_per_page"]["mean"] <= 1.3
    assert figures["title_ok"]["mean"] >= 0.75


def test_a_scroll_is_cut_at_each_page(figures):
    assert figures["scroll_recall"]["mean"] >= 0.90
    assert figures["scroll_articles_per_page"]["mean"] <= 1.3


def test_html_pages_beat_trafilatura_alone(figures):
    assert figures["html_f1"] > figures["trafilatura_f1"]
    assert figures["html_f1"] >= 0.97
    assert figures["html_title_ok"] >= 0.9
