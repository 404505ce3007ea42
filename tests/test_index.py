"""The stored LSH band index: chunked runs read piecemeal must find exactly what a whole read finds,
and an ingest into a big store must fold new copies by reading only part of it."""
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsfold import config
from newsfold import index as band_index
from newsfold import store as db
from newsfold.engines import local
from newsfold.match import candidates as match
from newsfold.store import bands
from newsfold.store.bands import BandStore
from support import read_jsonl, run_cli


def pair_rows(index: band_index.BandIndex, keys: np.ndarray, owners: np.ndarray) -> list[tuple[int, int, int]]:
    pairs, weights, _ = index.pairs(keys, owners)
    return sorted(zip(pairs[:, 0].tolist(), pairs[:, 1].tolist(), weights.tolist()))


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 3000),
    spread=st.sampled_from([5, 60, 1000, 10**9]),  # few distinct keys: buckets across chunks, over MAX_BUCKET
    n_queries=st.integers(1, 200),
    seed=st.integers(0, 2**32 - 1),
)
def test_chunked_reads_find_what_a_whole_read_finds(n, spread, n_queries, seed):
    rng = np.random.default_rng(seed)
    keys = rng.integers(0, spread, n).astype(np.int64) * 7919
    owners = np.arange(n, dtype=np.int64)
    conn = db.connect(":memory:")
    run = band_index.sorted_run(keys, owners)
    rowid = bands.save_run(conn, *band_index.stored_form(run))
    queries = np.concatenate([rng.choice(keys, n_queries), rng.integers(-5, spread + 5, n_queries) * 7919]).astype(np.int64)
    query_owners = np.arange(10**6, 10**6 + queries.size, dtype=np.int64)
    in_memory = band_index.BandIndex()
    in_memory.runs.append(run)
    stored = band_index.load(BandStore(conn))
    stored.stored[0].chunks_read = -10**9  # never fall back to reading the whole run
    assert stored.stored[0].run_id == rowid
    assert pair_rows(stored, queries, query_owners) == pair_rows(in_memory, queries, query_owners)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 2000), spread=st.sampled_from([3, 40, 1000]), seed=st.integers(0, 2**32 - 1))
def test_lookups_pair_each_query_with_every_article_of_a_small_enough_bucket(n, spread, seed):
    """Against a plain dict of buckets: every indexed article sharing a query's key, while the
    key's bucket has room for one more (MAX_BUCKET for body bands, MAX_LEAD_BUCKET for lead bands)."""
    rng = np.random.default_rng(seed)
    keys = rng.integers(0, spread, n).astype(np.int64) * 2 + rng.integers(0, 2, n)  # lowest bit: lead band
    index = band_index.BandIndex()
    for part in np.array_split(np.arange(n), 3):  # several runs, merged or not
        index.add(keys[part], part)
    queries = np.unique(keys)[: 50]
    buckets = {}
    for owner, key in enumerate(keys.tolist()):
        buckets.setdefault(key, []).append(owner)
    limit = dict(zip(queries.tolist(), match.bucket_limit(queries).tolist()))
    expected = sorted((1000 + i, owner, int(match.key_weights(np.array([key]))[0]))
                      for i, key in enumerate(queries.tolist()) if len(buckets[key]) < limit[key] for owner in buckets[key])
    assert pair_rows(index, queries, np.arange(1000, 1000 + queries.size)) == expected


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 1500), spread=st.sampled_from([2, 15, 200]), cuts=st.lists(st.integers(1, 1499), max_size=8),
       stored=st.integers(0, 3), seed=st.integers(0, 2**32 - 1))
def test_batches_pair_what_the_whole_buckets_pair(n, spread, cuts, stored, seed):
    """The bucket limit is one rule for every engine: articles added in batches of any sizes, the
    first `stored` batches from a store, pair exactly as the buckets seen whole pair (each cut at
    its first `limit` members by id: the Dask engine's view), key weights summed alike."""
    rng = np.random.default_rng(seed)
    per_article = 3
    keys = (rng.integers(0, spread, (n, per_article)).astype(np.int64) * 2 + rng.integers(0, 2, (n, per_article))).ravel()
    owners = np.repeat(np.arange(1, n + 1), per_article)
    whole_keys, whole_owners = band_index.sorted_run(keys, owners)
    whole = match.bucket_weights(whole_keys, whole_owners)

    conn = db.connect(":memory:")
    bounds = sorted({0, n, *[c for c in cuts if c < n]})
    index, found = band_index.BandIndex(), []
    for number, (lo, hi) in enumerate(zip(bounds, bounds[1:])):
        run_keys, run_owners = band_index.sorted_run(keys[lo * per_article: hi * per_article], owners[lo * per_article: hi * per_article])
        indexed, weights, earlier = index.pairs(run_keys, run_owners, presorted=True)
        found.append(match.bucket_weights(run_keys, run_owners, earlier))
        found.append(match.summed_weights(indexed, weights))
        index.add(run_keys, run_owners, presorted=True)
        if number < stored:  # the store's runs, read chunk by chunk
            bands.save_run(conn, *band_index.stored_form(index.one_run()))
            index = band_index.load(BandStore(conn))
    codes, totals = match.sum_by_code(np.concatenate([c for c, _ in found]), np.concatenate([w for _, w in found]))
    assert codes.tolist() == whole[0].tolist() and totals.tolist() == whole[1].tolist()


def test_two_level_lookups_in_big_runs_find_what_a_plain_search_finds(monkeypatch):
    rng = np.random.default_rng(7)
    keys = rng.integers(0, 50_000, 200_000).astype(np.int64) * 2 + rng.integers(0, 2, 200_000)
    index = band_index.BandIndex()
    for part in np.array_split(np.arange(keys.size), 7):
        index.add(keys[part], part)
    queries = np.concatenate([rng.choice(keys, 3000), rng.integers(-10, 100_010, 3000)]).astype(np.int64)
    owners = np.arange(10**6, 10**6 + queries.size)
    plain = pair_rows(index, queries, owners)
    monkeypatch.setattr(band_index, "SAMPLED_RUN", 1)  # every run sampled ...
    monkeypatch.setattr(band_index, "SAMPLED_GAP", 0)  # ... and its sample used, however many the queries
    assert pair_rows(index, queries, owners) == plain and len(plain) > 1000
    assert index.samples  # the sampled path was taken


def test_merge_keeps_every_entry_in_order():
    rng = np.random.default_rng(1)
    a = band_index.sorted_run(rng.integers(0, 50, 500), np.arange(500))
    b = band_index.sorted_run(rng.integers(0, 50, 300), np.arange(500, 800))
    keys, owners = band_index.merge(a, b)
    assert np.all(np.diff(keys) >= 0)
    assert sorted(zip(keys.tolist(), owners.tolist())) == sorted(
        zip(np.concatenate([a[0], b[0]]).tolist(), np.concatenate([a[1], b[1]]).tolist()))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 400), min_size=1, max_size=8), st.integers(0, 2**32 - 1))
def test_runs_merged_in_place_are_the_merges_of_new_arrays(sizes, seed):
    """A growing run is merged into the room after it (new arrays only when it is full): each
    step gives what merging into new arrays gives, the held run's entries first on equal keys."""
    rng = np.random.default_rng(seed)
    run, room, owner = band_index.sorted_run(rng.integers(0, 60, 50), np.arange(50)), None, 50
    for n in sizes:
        batch = band_index.sorted_run(rng.integers(0, 60, n), np.arange(owner, owner + n))
        owner += n
        want = band_index.merge(run, batch)
        run, room = band_index.merge_with_room(run, room, batch)
        assert run[0].tolist() == want[0].tolist() and run[1].tolist() == want[1].tolist()
        assert np.shares_memory(run[0], room[0])


def test_copies_join_a_big_store_read_in_part(tmp_path, shared):
    """2,000 BBC articles (80,000 band keys, 300+ chunks), then one copy and one brief of two of
    them: each joins its original's story, though the second ingest reads only some chunks."""
    rows = read_jsonl(shared / "corpus" / "bbc.jsonl")[:2000]
    first = tmp_path / "first.jsonl"
    first.write_text("".join(json.dumps({"id": r["id"], "title": r["title"], "body": r["body"]}) + "\n" for r in rows))
    store = tmp_path / "big.db"
    run_cli("ingest", first, "--db", store, "--text-field", "body", "--quiet")
    copy, brief = rows[10], rows[1500]
    paragraphs = brief["body"].split("\n\n")
    later = tmp_path / "later.jsonl"
    later.write_text(
        json.dumps({"id": "copy-1", "title": copy["title"], "body": copy["body"]}) + "\n"
        + json.dumps({"id": "brief-1", "title": brief["title"], "body": "\n\n".join(paragraphs[:3])}) + "\n")
    out = run_cli("ingest", later, "--db", store, "--text-field", "body", "--quiet")
    assert "occurrences folded: 2" in out.stderr
    conn = db.connect(store)
    chunks = conn.execute("SELECT count(*) FROM band_chunks").fetchone()[0]
    assert chunks > 300
    story = dict(conn.execute("SELECT c.name, p.story_id FROM articles a JOIN captures c ON c.id = a.capture_id"
                         " JOIN placements p ON p.article_id = a.id"))

    def story_of(record_id):
        return next(sid for name, sid in story.items() if name.endswith(record_id))

    assert story_of(copy["id"]) == story_of("copy-1")
    assert story_of(brief["id"]) == story_of("brief-1")
    assert story_of(copy["id"]) != story_of(brief["id"])


def test_many_small_ingests_keep_the_run_count_bounded(tmp_path):
    store = tmp_path / "s.db"
    for i in range(band_index.MAX_STORED_RUNS + 3):
        doc = tmp_path / f"d{i}.jsonl"
        text = " ".join(f"word{i}x{j} and more{j % 7}" for j in range(40))
        doc.write_text(json.dumps({"id": f"d{i}", "text": text}) + "\n")
        run_cli("ingest", doc, "--db", store, "--text-field", "text", "--quiet")
    conn = db.connect(store)
    assert conn.execute("SELECT count(*) FROM band_runs").fetchone()[0] <= band_index.MAX_STORED_RUNS
    index = band_index.load(BandStore(conn))
    assert len(index) == 40 * (band_index.MAX_STORED_RUNS + 3)  # merged, nothing lost


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.integers(-2**63, 2**63 - 1), st.sampled_from([-2**63, -1, 0, 1, 2**63 - 1])), max_size=300))
def test_a_run_is_its_keys_stably_sorted(values):
    keys = np.array(values, dtype=np.int64)
    owners = np.arange(keys.size, dtype=np.int64) // 3  # owners repeat, as a batch's do
    order = np.argsort(keys, kind="stable")
    run_keys, run_owners = band_index.sorted_run(keys, owners)
    assert run_keys.tolist() == keys[order].tolist() and run_owners.tolist() == owners[order].tolist()
    assert run_owners.dtype == np.int32


def test_articles_a_killed_ingest_committed_get_their_band_keys_at_the_next(tmp_path, shared, monkeypatch):
    """An ingest stores its band keys at its end, once. One killed before then leaves committed
    articles without keys in the store: the next ingest makes them again from the texts, so new
    copies of those articles are still found."""
    from dataclasses import replace

    from newsfold import Store

    rows = read_jsonl(shared / "corpus" / "bbc.jsonl")[:300]
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text("".join(json.dumps(r) + "\n" for r in rows))
    copies = [{**rows[i], "id": f"copy-{i}"} for i in (3, 77, 150, 222, 299)]
    second.write_text("".join(json.dumps(r) + "\n" for r in copies))
    path = tmp_path / "s.db"

    def killed(*args, **kwargs):
        raise RuntimeError("killed before the end of the ingest")

    monkeypatch.setattr(config, "SETTINGS", replace(config.SETTINGS, batch_articles=64))  # batches committed before the end
    monkeypatch.setattr(local, "_save_band_keys", killed)
    with Store(path) as store, pytest.raises(RuntimeError):
        store.ingest([first], text_field="body", progress=False, workers=1)
    conn = db.connect(path)
    assert conn.execute("SELECT count(*), count(DISTINCT capture_id) FROM articles").fetchone() == (300, 300)
    assert conn.execute("SELECT count(*) FROM band_runs").fetchone()[0] == 0
    conn.close()
    monkeypatch.setattr(local, "RECOVER_ARTICLES", 100)  # the recovery itself cut short after its first run
    remake = local.fingerprint_packed
    calls = []

    def cut_short(texts, *args, **kwargs):
        calls.append(len(texts))
        if len(calls) > 1:
            raise RuntimeError("killed during the recovery")
        return remake(texts, *args, **kwargs)

    monkeypatch.setattr(local, "fingerprint_packed", cut_short)
    with Store(path) as store, pytest.raises(RuntimeError):
        local.recover_band_keys(store.conn, batch=128)
    conn = db.connect(path)
    assert bands.covered_upto(conn) == 128 and len(band_index.load(BandStore(conn))) == 128 * 40  # the first run kept
    conn.close()
    monkeypatch.undo()
    with Store(path) as store:
        report = store.ingest([second], text_field="body", progress=False, workers=1)
    assert report.folded >= len(copies)  # and the killed ingest's own twins, placed by this one
    conn = db.connect(path)
    assert conn.execute("SELECT count(*) FROM placements").fetchone()[0] == 305
    story = dict(conn.execute("SELECT c.name, p.story_id FROM articles a JOIN captures c ON c.id = a.capture_id"
                              " JOIN placements p ON p.article_id = a.id"))
    for copy in copies:
        assert story[copy["id"]] == story[str(rows[int(copy["id"].split("-")[1])]["id"])]
    assert bands.covered_upto(conn) == 305 and len(band_index.load(BandStore(conn))) == 305 * 40
