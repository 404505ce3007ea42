"""Fingerprint, match and cluster: which versions are one story, and which must stay apart."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from newsfold.cluster import star_arrays
from newsfold.config import SETTINGS
from newsfold.fingerprint import fingerprint, fingerprint_batch, fingerprint_packed
from newsfold.match import compare
from newsfold.match.candidates import candidate_pairs, decode_pairs, pair_codes
from newsfold.match.verify import pack_all_sets, verify
from reference import Node, prefilter, star_clusters
from reference import verify as verify_one_by_one

NUM_PERM = SETTINGS.bins

ARTICLE = [
    "WELLINGTON, June 3 - New Zealand's central bank held its official cash rate at 5.5 percent on Wednesday, "
    "saying inflation was easing but remained too high for comfort.",
    "Governor Adrian Orr told reporters the bank expected to keep rates on hold until the middle of next year, "
    "pushing back market bets on an early cut.",
    "Annual consumer price inflation slowed to 4.0 percent in the first quarter from 4.7 percent, "
    "the statistics office said last month.",
    "The New Zealand dollar rose 0.6 percent to 61.20 U.S. cents after the decision, its biggest daily gain in three weeks.",
    "Economists at Westpac said the bank's tone was more hawkish than expected and moved their forecast "
    "for the first cut to November 2025.",
]


def text(paras):
    return "\n\n".join(paras)


def same(a, b):
    return compare(fingerprint(text(a)), fingerprint(text(b))).same_story


def test_exact_copy_and_update_are_the_same_story():
    assert same(ARTICLE, ARTICLE)
    update = ARTICLE + ["The bank will publish its next monetary policy statement on July 10."]
    assert same(ARTICLE, update)


def test_brief_made_of_the_first_paragraphs_is_found_by_containment():
    brief = ARTICLE[:2]
    s = compare(fingerprint(text(brief)), fingerprint(text(ARTICLE)))
    assert s.jaccard < 0.5 and s.containment > 0.95 and s.same_story


def test_lightly_reworded_copy_is_the_same_story():
    copy = [p.replace("said", "stated").replace("Wednesday", "Wed") for p in ARTICLE]
    copy[3] = "The kiwi dollar gained 0.6 percent to 61.20 U.S. cents after the decision."
    assert same(ARTICLE, copy)


def test_follow_up_quoting_one_paragraph_stays_apart():
    follow_up = [
        "WELLINGTON, June 20 - New Zealand's economy shrank 0.2 percent in the first quarter, official data showed "
        "on Thursday, tipping the country into a technical recession.",
        ARTICLE[1],
        "Finance Minister Nicola Willis said the figures showed the government's plan to restore growth was needed, "
        "and promised tax relief in the July budget.",
        "Retail spending fell for a fourth straight quarter while construction activity dropped 3.1 percent.",
    ]
    assert not same(ARTICLE, follow_up)


def test_formulaic_notices_with_other_names_and_figures_stay_apart():
    template = ("{co} said its board declared a quarterly dividend of {d} cts per share, payable {p} to holders "
                "of record {r}. The company said the dividend was unchanged from the previous quarter and that it "
                "expects to maintain the payout for the rest of the fiscal year, subject to board approval.")
    a = template.format(co="Harbor Mills Inc <HML>", d="12", p="April 15", r="March 30")
    b = template.format(co="Delta Foundry Corp <DFC>", d="25", p="May 2", r="April 17")
    s = compare(fingerprint(a), fingerprint(b))
    assert s.containment > 0.5  # the wording is mostly shared …
    assert not s.same_story  # … but names and figures are not


def test_minhash_signatures_estimate_jaccard():
    rng = np.random.default_rng(1)
    vocab = [f"w{i}" for i in range(50000)]
    base = " ".join(rng.choice(vocab, 3000))
    half = " ".join(base.split()[:1500] + list(rng.choice(vocab, 1500)))
    a, b = fingerprint_batch([base, half])
    exact = np.intersect1d(a.shingles, b.shingles).size / np.union1d(a.shingles, b.shingles).size
    estimate = np.mean(a.signature == b.signature)
    assert a.signature.shape == (NUM_PERM,)
    assert abs(estimate - exact) < 0.1


def test_batch_and_single_fingerprints_agree():
    texts = ["Über café “quoted” text — with Naïve words in 2025.", "Plain ASCII text, with CAPS and 42 numbers."]
    for one, many in zip(map(fingerprint, texts), fingerprint_batch(texts)):
        assert one.body_hash == many.body_hash
        assert (one.signature == many.signature).all() and (one.entities == many.entities).all()


def test_shingles_are_word_order_sensitive():
    a = fingerprint("the bank held rates").shingles
    b = fingerprint("rates held the bank").shingles
    assert not set(a.tolist()) & set(b.tolist())


def test_case_and_punctuation_do_not_change_the_body_hash():
    assert fingerprint("The Bank held rates.").body_hash == fingerprint("the bank, held rates").body_hash
    assert fingerprint("The Bank held rates.").body_hash != fingerprint("the bank held the rates").body_hash


def test_lsh_bands_find_near_duplicates_not_strangers():
    versions = [fingerprint(text(ARTICLE)), fingerprint(text(ARTICLE[:2])), fingerprint(text(ARTICLE + ["Extra line here."]))]
    stranger = fingerprint("The city council approved eleven kilometres of protected cycle lanes on Tuesday after a long debate.")
    prints = versions + [stranger]
    keys = np.concatenate([p.keys for p in prints])
    owners = np.repeat(np.arange(len(prints)), [p.keys.size for p in prints])
    pairs = {tuple(p) for p in decode_pairs(candidate_pairs(keys, owners)).tolist()}
    assert {(0, 1), (0, 2), (1, 2)} <= pairs
    assert not any(3 in p for p in pairs)


def clusters(nodes: list[Node], edges) -> dict[int, list[int]]:
    """cluster.star_arrays of the nodes, as canonical id → members (body hashes as their rank)."""
    hashes = sorted({n.body_hash for n in nodes})
    digests = np.array([[0, hashes.index(n.body_hash)] for n in nodes], np.uint64).reshape(-1, 2)
    ids, starts, _ = star_arrays(np.array([n.id for n in nodes], np.int64), np.array([n.n_words for n in nodes], np.int64),
                                 digests, np.array([n.key for n in nodes], np.int64),
                                 np.array(list(edges), np.int64).reshape(-1, 2))
    ids = ids.tolist()
    return {ids[s]: ids[s:e] for s, e in zip(starts[:-1].tolist(), starts[1:].tolist())}


def test_clusters_do_not_chain_through_a_middle_article():
    # A~B and B~C but A and C unlike: C must not join A's story.
    nodes = [Node(1, 500, "a", 1), Node(2, 300, "b", 2), Node(3, 200, "c", 3)]
    stories = clusters(nodes, [(1, 2), (2, 3)])
    assert stories[1] == [1, 2]
    assert stories[3] == [3]


def test_clusters_do_not_depend_on_input_order():
    nodes = [Node(i, 100 + (i * 37) % 11, f"h{i}", -i) for i in range(12)]
    edges = [(0, 1), (1, 2), (3, 4), (4, 5), (5, 3), (6, 7), (8, 9), (9, 10), (10, 11)]
    a = clusters(nodes, edges)
    b = clusters(list(reversed(nodes)), list(reversed(edges)))
    assert a == b


def test_exact_copies_are_one_story_whichever_copy_an_edge_was_found_with():
    """A brief verified against one copy of an article joins the story of all its copies, and the
    copies stay together even with no edge between them: the canonical is the copy of least key."""
    nodes = [Node(1, 500, "full", 30), Node(2, 500, "full", 10), Node(3, 500, "full", 20), Node(4, 120, "brief", 4)]
    stories = clusters(nodes, [(3, 4)])
    assert stories == {2: [2, 3, 1, 4]}


def _long_articles(shared, n):
    """The first `n` pool articles of at least 12 paragraphs (real text, varied lengths)."""
    import json
    out = []
    with open(shared / "corpus" / "reuters21578.jsonl", encoding="utf-8") as fh:
        for line in fh:
            paras = [p for p in json.loads(line)["body"].split("\n\n") if len(p.split()) >= 15]
            if len(paras) >= 12:
                out.append(paras)
                if len(out) == n:
                    return out
    return out


def _passes_prefilter(a: str, b: str) -> bool:
    fa, fb = fingerprint_batch([a, b])
    return bool(prefilter(fa.signature[None, :].astype(np.uint8), fb.signature[None, :].astype(np.uint8),
                          np.array([fa.n_words]), np.array([fb.n_words]))[0])


def test_prefilter_keeps_briefs_and_rejects_articles_sharing_a_fifth(shared):
    """The prefilter skips exact checks of articles of similar length that share little, but a
    brief (noisy estimate: few of its shingles in many bins) always reaches the exact check."""
    articles = _long_articles(shared, 40)
    assert len(articles) == 40
    for paras, other in zip(articles[0::2], articles[1::2]):
        full = "\n\n".join(paras)
        assert _passes_prefilter("\n\n".join(paras[:2]), full)  # a two-paragraph brief
        assert _passes_prefilter("\n\n".join(paras[:10] + other[:2]), full)  # an update
        fifth = len(paras) // 5
        mixed = "\n\n".join(paras[:fifth] + other[: len(paras) - fifth])  # shares a fifth, different story
        assert not compare(fingerprint(mixed), fingerprint(full)).same_story
        assert not _passes_prefilter(mixed, full)


def test_batch_verification_gives_each_pair_the_scores_of_compare(shared):
    """`verify` scores all pairs of a batch in one call, from packed set blobs; its verdicts and
    scores must be those of `compare`, one pair at a time: batching must never pair up the wrong sets (copies, briefs,
    updates, mixed stories, empty and tiny bodies)."""
    articles = _long_articles(shared, 12)
    texts = []
    for paras, other in zip(articles[0::2], articles[1::2]):
        texts += ["\n\n".join(paras), "\n\n".join(paras[:2]), "\n\n".join(paras[:8] + other[:3]),
                  "\n\n".join(paras[:3] + other[3:])]
    texts += [texts[0], "", "Two words", "no Names here at all 1999"]
    prints = dict(enumerate(fingerprint_batch(texts)))
    pairs = [(a, b) for a in prints for b in prints if a < b]
    expected = {(a, b): s for a, b, s in verify_one_by_one(pairs, prints)}
    codes = np.unique(pair_codes(*np.array(pairs, np.int64).T))
    blobs = dict(enumerate(pack_all_sets(fingerprint_packed(texts))))
    got = {(a, b): s for a, b, s in verify(codes, blobs)}
    assert got == expected
    assert len(expected) >= 12  # the briefs and updates were found, so the comparison is not empty


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 40), st.integers(0, 5), st.sampled_from(["a", "b", "ab", "c" * 32]),
                          st.integers(-50, 50)),
                max_size=40, unique_by=(lambda t: t[0], lambda t: t[3])),
       st.lists(st.tuples(st.integers(0, 45), st.integers(0, 45)), max_size=80))
def test_star_clusters_are_the_definition(rows, edges):
    nodes = [Node(*r) for r in rows]
    assert clusters(nodes, edges) == star_clusters(nodes, edges)


def test_the_partner_cache_keeps_sets_needed_twice_least_recently_used_out():
    from newsfold.engines.set_cache import PartnerCache

    cache = PartnerCache(2)
    assert cache.take([1, 2]) == ({}, [1, 2])
    cache.offer({1: b"one", 2: b"two"})  # needed once: not kept
    assert cache.take([1, 2]) == ({}, [1, 2])
    cache.offer({1: b"one", 2: b"two"})  # a second time: kept
    assert cache.take([2, 1, 7]) == ({2: b"two", 1: b"one"}, [7])  # 1 is now the most recently used
    cache.offer({7: b"seven", 40: b"forty"})
    cache.offer({7: b"seven"})  # kept: 2, the least recently used, goes
    assert cache.take([1, 2, 7, 40]) == ({1: b"one", 7: b"seven"}, [2, 40])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30), st.sampled_from([1, 2])), max_size=120),
       st.sampled_from([0, (1 << 29) - 15, 1 << 29, (1 << 31) - 40]))
def test_weighted_pairs_keeps_the_pairs_whose_shared_keys_weigh_enough(rows, offset):
    """Summing each distinct pair's key weights must not depend on how the rows are sorted (ids
    past 2^29 take the slower path: their codes leave no room for the weight)."""
    from newsfold.match.candidates import weighted_pairs

    pairs = np.array([(a + offset, b + offset) for a, b, _ in rows], np.int64).reshape(-1, 2)
    weights = np.array([w for *_, w in rows], np.int64)
    total = {}
    for (a, b), w in zip(pairs.tolist(), weights.tolist()):
        if a != b:
            total[(min(a, b), max(a, b))] = total.get((min(a, b), max(a, b)), 0) + w
    expected = sorted(pair_codes(a, b).item() for (a, b), w in total.items() if w >= SETTINGS.min_key_weight)
    assert weighted_pairs(pairs, weights).tolist() == expected


def test_the_compiled_prefilter_reads_rows_in_place_and_agrees_with_its_definition():
    """prefilter_rows (what an ingest runs: sketches read where they lie, this run's or stored ones)
    must give `prefilter`'s verdict on every pair, at and around its thresholds."""
    from newsfold.match.prefilter import Sketches, prefilter_rows

    rng = np.random.default_rng(7)
    n = 600
    base = rng.integers(0, 256, (n, NUM_PERM), dtype=np.uint8)
    sig = base.copy()
    for i in range(n):  # each odd row shares a random share of its bins with the row before
        same = rng.random(NUM_PERM) < rng.random()
        sig[i, same] = base[i // 2 * 2, same]
    words = rng.choice([0, 1, 3, 40, 200, 900, 3000], n)
    run = Sketches(NUM_PERM)
    run.add(np.arange(1000, 1000 + n - 100), sig[: n - 100], words[: n - 100])  # the rest: stored before
    a, b = rng.integers(0, n, 5000), rng.integers(0, n, 5000)
    at = run.rows(np.stack([a + 1000, b + 1000], axis=1))
    assert (at[:, 0] >= 0).sum() and (at[:, 0] < 0).sum()
    other = lambda k: np.where(k >= n - 100, -(k - (n - 100)) - 1, k)  # noqa: E731
    at = np.stack([np.where(at[:, 0] < 0, other(a), at[:, 0]), np.where(at[:, 1] < 0, other(b), at[:, 1])], axis=1)
    got = prefilter_rows(run, sig[n - 100 :], words[n - 100 :], at[:, 0], at[:, 1])
    expected = prefilter(sig[a], sig[b], words[a], words[b])
    assert 0.05 < expected.mean() < 0.95
    assert got.tolist() == expected.tolist()


scores = st.floats(0, 1, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(scores, scores, scores, scores)
def test_explanation_agrees_with_the_rule_it_explains(jaccard, containment, names, lead):
    from newsfold.match import explain, same_story

    e = explain(jaccard, containment, names, lead)
    assert e.same_story == bool(same_story(jaccard, containment, names, lead))
    assert e.same_story == all(c.held for c in e.conditions)  # the verdict is the conditions together


def test_explanation_names_the_condition_that_decided():
    from newsfold.match import explain

    near_identical = explain(0.9, 0.93, 0.95, 0.2)
    assert near_identical.same_story and near_identical.conditions[-1].text == "containment 0.93 ≥ 0.85: near-identical bodies"
    rewrite = explain(0.5, 0.72, 0.9, 0.8)
    assert rewrite.summary == ("containment 0.72 ≥ 0.6, score 0.81 ≥ 0.72 (containment with names/figures 0.90), "
                               "lead 0.80 ≥ 0.5: the openings match")
    follow_up = explain(0.4, 0.7, 0.9, 0.3)  # reuses background paragraphs under a new lead
    assert not follow_up.same_story and [c.held for c in follow_up.conditions] == [True, True, False]
    # a value just under a threshold is never shown rounded up to it
    assert explain(0.5, 0.5996, 1.0, 1.0).conditions[0].text == "containment 0.5996 < 0.6"
