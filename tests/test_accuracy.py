"""Accuracy on the shared evaluation data (../shared): the devset captures and the BBC pool."""
import collections

import pytest

from support import SHARED, read_jsonl, run_cli, score

pytestmark = pytest.mark.skipif(not SHARED.exists(), reason="../shared is not beside the repository")


@pytest.fixture(scope="module")
def devset_scores(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("devset")
    run_cli("ingest", SHARED / "devset" / "captures", "--db", tmp / "nf.db", "--quiet")
    run_cli("export", "--db", tmp / "nf.db", "--out", tmp / "out.jsonl")
    return score(SHARED / "devset" / "truth.jsonl", tmp / "out.jsonl")


def test_devset_segmentation_and_text(devset_scores):
    m = devset_scores
    f1 = 2 * m["segmentation_precision"] * m["segmentation_recall"] / (m["segmentation_precision"] + m["segmentation_recall"])
    assert f1 >= 0.98
    assert m["text_precision"] >= 0.97 and m["text_recall"] >= 0.97
    assert m["title_accuracy"] >= 0.95


def test_devset_stories(devset_scores):
    m = devset_scores
    assert m["story_pair_f1"] >= 0.97 and m["story_ari"] >= 0.95
    assert m["hard_negatives"] > 0 and m["hard_negatives_merged"] <= 0.02 * m["hard_negatives"]
    for kind in ("brief", "copy", "rewrite", "update"):
        assert m[f"recall_{kind}"] >= 0.9, kind


@pytest.fixture(scope="module")
def bbc(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bbc")
    run_cli("ingest", SHARED / "corpus" / "bbc.jsonl", "--text-field", "body", "--db", tmp / "nf.db", "--quiet")
    run_cli("export", "--db", tmp / "nf.db", "--out", tmp / "out.jsonl")
    source = {r["id"]: r for r in read_jsonl(SHARED / "corpus" / "bbc.jsonl")}
    return source, {r["capture"]: r["story"] for r in read_jsonl(tmp / "out.jsonl")}


def test_bbc_natural_twins_are_folded(bbc):
    source, story = bbc
    same_body = collections.defaultdict(set)
    for rid, row in source.items():
        same_body[" ".join(row["body"].lower().split())].add(rid)
    twins = [ids for ids in same_body.values() if len(ids) > 1]
    assert len(twins) >= 130
    assert all(len({story[i] for i in ids}) == 1 for ids in twins)
    renamed = [ids for ids in twins if len({source[i]["title"] for i in ids}) > 1]
    assert renamed  # the same body under a new headline is folded too


def test_bbc_different_stories_stay_apart(bbc):
    source, story = bbc
    members = collections.defaultdict(list)
    for rid, sid in story.items():
        members[sid].append(rid)
    for ids in members.values():
        assert len({source[i]["category"] for i in ids}) == 1
    # follow-ups that reuse an earlier story's background paragraphs under a new lead
    for a, b in [("bbc-entertainment-152", "bbc-entertainment-163"), ("bbc-entertainment-143", "bbc-entertainment-159"),
                 ("bbc-entertainment-038", "bbc-entertainment-355")]:
        assert story[a] != story[b], (source[a]["title"], source[b]["title"])


def _word_f1(got: str, want: str) -> float:
    import re
    from collections import Counter

    g, w = Counter(re.findall(r"\w+", got.lower())), Counter(re.findall(r"\w+", want.lower()))
    common = sum((g & w).values())
    if not common:
        return 0.0
    p, r = common / sum(g.values()), common / sum(w.values())
    return 2 * p * r / (p + r)


def test_html_body_extraction_at_least_matches_trafilatura():
    """On the devset's HTML pages, newsfold's article bodies score at least trafilatura's own
    main-text output (word F1 against the true paragraphs)."""
    import trafilatura

    from newsfold import extract

    truth = {r["file"]: r["articles"] for r in read_jsonl(SHARED / "devset" / "truth.jsonl")}
    ours, theirs = [], []
    for page in sorted((SHARED / "devset" / "captures").glob("*.html")):
        want = "\n\n".join(p for a in truth[page.name] for p in a["paragraphs"])
        ours.append(_word_f1("\n\n".join(a.text for a in extract(page)), want))
        theirs.append(_word_f1(trafilatura.extract(page.read_text(encoding="utf-8")) or "", want))
    assert len(ours) > 100
    assert sum(ours) / len(ours) >= sum(theirs) / len(theirs)
