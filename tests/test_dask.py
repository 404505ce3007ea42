"""The Dask engine (`--engine dask`) against the local engine: the same stories and exports from
a real cluster of processes, a LocalCluster of 2 workers and a `dask scheduler` with two
`dask worker` processes on 127.0.0.1; and its connected components step by step."""
import json
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from support import SHARED, read_jsonl, run_cli, score

pytest.importorskip("distributed")

from newsfold.engines.dask_stories import both_ways, large_star_step, small_star_step  # noqa: E402

needs_shared = pytest.mark.skipif(not SHARED.exists(), reason="../shared is not beside the repository")


def export_sorted(db: Path, out: Path) -> list[str]:
    """The store's export, sorted, without `captured`: where a capture states none it is the
    ingest's time, which two ingests do not share."""
    run_cli("export", "--db", db, "--out", out)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return sorted(json.dumps({k: v for k, v in row.items() if k != "captured"}, sort_keys=True) for row in rows)


def story_rules(db: Path) -> tuple[list, list, list]:
    """A store's vetoed pairs, edges' rules and evidence, and stories' publication spans."""
    conn = sqlite3.connect(db)
    return tuple(conn.execute(sql).fetchall() for sql in (
        "SELECT a, b, rule, evidence FROM apart ORDER BY a, b",
        "SELECT a, b, rule, evidence FROM edges WHERE rule IS NOT NULL ORDER BY a, b",
        "SELECT id, first_published, last_published FROM stories ORDER BY id"))


def problem_lines(stderr: str) -> list[str]:
    return sorted(line for line in stderr.splitlines() if line.startswith("newsfold: ") and ":" in line[10:])


# ---- connected components, partitioned as the engine runs them ---------------------------------

def components_by_steps(pairs: np.ndarray, n_parts: int) -> dict[int, int]:
    """Labels from large-star/small-star rounds over n_parts node partitions, in this process."""
    starts = np.array([0], np.int64)
    current = [both_ways(n_parts, pairs)]
    before = None
    while True:
        large = [large_star_step(n_parts, starts, [[c[j] for c in current]]) for j in range(n_parts)]
        digest = (sum(d[0] for _, d, _ in large), sum(d[1] for _, d, _ in large) % (1 << 64))
        if digest == before:
            labels = np.concatenate([lab[0][0] for _, _, lab in large])
            return dict(zip(labels[:, 0].tolist(), labels[:, 1].tolist()))
        before = digest
        current = [small_star_step(n_parts, [[out[j] for out, _, _ in large]]) for j in range(n_parts)]


def smallest_in_component(pairs: np.ndarray) -> dict[int, int]:
    neighbours: dict[int, set[int]] = {}
    for a, b in pairs.tolist():
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    label: dict[int, int] = {}
    for start in sorted(neighbours):
        if start in label:
            continue
        seen, todo = {start}, [start]
        while todo:
            for v in neighbours[todo.pop()] - seen:
                seen.add(v)
                todo.append(v)
        for v in seen:
            label[v] = start
    return label


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), max_size=120), st.integers(1, 5))
def test_large_small_star_rounds_label_each_component_by_its_smallest_node(edges, n_parts):
    pairs = np.array([(a, b) for a, b in edges if a != b], np.int64).reshape(-1, 2)
    assert components_by_steps(pairs, n_parts) == smallest_in_component(pairs)


def test_a_long_chain_is_one_component():
    """A chain of rewrites of rewrites: the worst case for label propagation, a few rounds here."""
    order = np.random.default_rng(7).permutation(5000)
    pairs = np.stack([order[:-1], order[1:]], axis=1).astype(np.int64)
    assert set(components_by_steps(pairs, 8).values()) == {0}


# ---- the engine on a real cluster -----------------------------------------------------------

@needs_shared
def test_devset_on_a_local_cluster_gives_the_local_engines_export(tmp_path):
    devset = SHARED / "devset" / "captures"
    local = run_cli("ingest", devset, "--db", tmp_path / "local.db", "--quiet")
    proc = run_cli("ingest", devset, "--db", tmp_path / "dask.db", "--quiet", "--engine", "dask", "--workers", "2")
    assert proc.stderr == local.stderr and "captures: 666 new" in proc.stderr  # the same summary, line for line
    assert export_sorted(tmp_path / "dask.db", tmp_path / "dask.jsonl") == \
        export_sorted(tmp_path / "local.db", tmp_path / "local.jsonl")
    kept = [sqlite3.connect(tmp_path / db).execute("SELECT count(*), sum(length(data)) FROM capture_texts").fetchone()
            for db in ("local.db", "dask.db")]
    assert kept[0] == kept[1] and kept[0][0] == 666  # each page's text, for the desk's capture page
    # the story rules decide alike: the pairs kept apart (the devset has dated notices a rule
    # parts), each edge's rule and evidence, each story's publication span
    decided = [story_rules(tmp_path / db) for db in ("local.db", "dask.db")]
    assert decided[0] == decided[1] and decided[0][0]
    m = score(SHARED / "devset" / "truth.jsonl", tmp_path / "dask.jsonl")
    assert m["story_pair_f1"] >= 0.997 and m["hard_negatives_merged"] == 0
    # the same ingest again changes nothing: the Dask engine builds stores, and says so
    again = run_cli("ingest", devset, "--db", tmp_path / "dask.db", "--quiet", "--engine", "dask", check=False)
    assert again.returncode == 2 and again.stderr.count("\n") == 1 and "local engine" in again.stderr
    assert export_sorted(tmp_path / "dask.db", tmp_path / "again.jsonl") == \
        export_sorted(tmp_path / "local.db", tmp_path / "local.jsonl")


def jsonl_corpus(path: Path) -> None:
    """BBC articles with trimmed and re-headlined versions, exact copies, the same capture twice,
    rows without an id (named by their line), broken lines, and 1,500 notices that share one
    stock opening (lead and body buckets far over their limits, landing in one key range each)."""
    rng = random.Random(5)
    bbc = [json.loads(line) for line in (SHARED / "corpus" / "bbc.jsonl").read_text(encoding="utf-8").splitlines()[:300]]
    stock = ("The board of directors announced today that the annual general meeting of shareholders will be held "
             "at the registered office of the company, where members will be asked to approve the accounts, the "
             "report of the auditors and the reappointment of the directors retiring by rotation this year.")
    words = [w for row in bbc[:50] for w in row["body"].split()]
    lines = []
    for i, row in enumerate(bbc):
        lines.append(json.dumps({"id": row["id"], "title": row["title"], "body": row["body"]}))
        paras = row["body"].split("\n\n")
        if i % 3 == 0 and len(paras) > 3:
            lines.append(json.dumps({"id": f"{row['id']}-brief", "title": row["title"], "body": "\n\n".join(paras[:-2])}))
        if i % 7 == 0:
            lines.append(json.dumps({"title": "Copy: " + row["title"], "body": row["body"]}))  # named by its line
        if i % 50 == 0:
            lines.append(lines[-1])  # the same capture twice
            lines.append('{"id": "broken", "body": ')
            lines.append(json.dumps({"id": "empty", "body": "  "}))
    for k in range(1500):
        lines.append(json.dumps({"id": f"notice-{k}", "title": f"Notice {k}",
                                 "body": stock + "\n\n" + " ".join(rng.choices(words, k=80)) + "."}))
    rng.shuffle(lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@needs_shared
def test_dask_scheduler_and_two_workers_give_the_local_engines_export(tmp_path):
    """`dask scheduler` and two `dask worker` processes on 127.0.0.1, the ingest through
    --scheduler tcp://…; the JSONL file cut into 7 line ranges: the same problems (by line), the
    same capture names and the same stories as the local engine."""
    corpus = tmp_path / "corpus.jsonl"
    jsonl_corpus(corpus)
    local = run_cli("ingest", corpus, SHARED / "seeds", "--db", tmp_path / "local.db", "--quiet")
    bin_dir = Path(sys.executable).parent
    info = tmp_path / "scheduler.json"
    logs = open(tmp_path / "cluster.log", "w")
    procs = [subprocess.Popen([bin_dir / "dask", "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                               "--scheduler-file", info], stdout=logs, stderr=subprocess.STDOUT)]
    try:
        deadline = time.monotonic() + 60
        while not info.exists() or not info.read_text().strip():
            assert time.monotonic() < deadline and procs[0].poll() is None, "the scheduler did not start"
            time.sleep(0.2)
        address = json.loads(info.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        for _ in range(2):
            procs.append(subprocess.Popen([bin_dir / "dask", "worker", address, "--nthreads", "1", "--host", "127.0.0.1",
                                           "--no-dashboard"], stdout=logs, stderr=subprocess.STDOUT))
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        remote = run_cli("ingest", corpus, SHARED / "seeds", "--db", tmp_path / "dask.db", "--quiet", "--engine", "dask",
                         "--scheduler", address, "--partitions", "7")
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
        logs.close()
    assert remote.stderr.splitlines()[-2:] == local.stderr.splitlines()[-2:]  # summary and reasons
    assert problem_lines(remote.stderr) == problem_lines(local.stderr)
    assert any(":" in line.split(": ")[1] for line in problem_lines(local.stderr))  # with line numbers
    assert export_sorted(tmp_path / "dask.db", tmp_path / "dask.jsonl") == \
        export_sorted(tmp_path / "local.db", tmp_path / "local.jsonl")
    rows = read_jsonl(tmp_path / "dask.jsonl")
    assert any(r["capture"].startswith(str(corpus) + ":") for r in rows)  # rows named by their line
    notices = [r for r in rows if r["capture"].startswith("notice-")]
    assert len(notices) == 1500 and len({r["story"] for r in notices}) == 1500
    assert sum(1 for r in rows if not r["canonical"]) > 100  # briefs and copies folded


def test_unreachable_scheduler_is_one_line(tmp_path):
    proc = run_cli("ingest", SHARED / "seeds", "--db", tmp_path / "nf.db", "--engine", "dask", "--scheduler",
                   "tcp://127.0.0.1:9", check=False)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "scheduler" in proc.stderr


def test_scheduler_needs_the_dask_engine(tmp_path):
    proc = run_cli("ingest", SHARED / "seeds", "--db", tmp_path / "nf.db", "--scheduler", "tcp://127.0.0.1:9",
                   check=False)
    assert proc.returncode == 2 and "--engine dask" in proc.stderr
