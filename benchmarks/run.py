#!/usr/bin/env python3
"""Side-by-side dedup benchmark: newsfold vs datasketch, rensa, datatrove, text-dedup.

    python benchmarks/run.py --sizes 20000 100000 1000000

Builds the corpora if missing, runs every tool on every size as its own
process (timed, peak RSS of the whole process tree), scores duplicate pairs
against the truth file and writes benchmarks/results/{results.md,results.json,chart.png}.

The peers live in their own venv (benchmarks/.venv-peers), created here on first
use; this script then re-runs itself with that venv's Python (psutil, matplotlib).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
DATA = BENCH / "data"
RESULTS = BENCH / "results"
PEERS_DIR = BENCH / "peers"
VENV = BENCH / ".venv-peers"
VENV_PY = VENV / "bin" / "python"
DEFAULT_NEWSFOLD = REPO / ".venv" / "bin" / "newsfold"

TOOLS = ("newsfold", "datasketch", "rensa", "datatrove", "text-dedup")
BASE_PACKAGES = ["psutil", "matplotlib"]
# pip argument lists per peer (installed in order); `check` must import cleanly.
PEER_INSTALL = {
    "datasketch": {"check": "import datasketch", "pip": [["datasketch==2.0.0"]]},
    "rensa": {"check": "import rensa", "pip": [["rensa==0.5.0"]]},
    # orjson: needed by its JsonlReader; tokenizers: imported by its dedup package;
    # xxhash<4: datatrove 0.10.1 hashes str, which xxhash 4 rejects.
    "datatrove": {"check": "import orjson, datatrove.pipeline.dedup.minhash",
                  "pip": [["datatrove==0.10.1", "orjson", "tokenizers", "xxhash<4"]]},
    # text-dedup 0.4.0 declares pyspark, unisim (onnxruntime, usearch) and more for
    # its other scripts; the MinHash script needs only these, so skip the rest.
    "text-dedup": {"check": "import text_dedup.minhash",
                   "pip": [["datasets", "scipy", "ftfy", "regex", "xxhash<4", "rich>=13.7.1,<14",
                            "click>=8.1.7,<9", "click-option-group>=0.5.6,<0.6", "tqdm", "numpy",
                            "setuptools>=69.1"],
                           ["--no-deps", "text-dedup==0.4.0"]]},
}
PEER_SCRIPT = {"datasketch": "datasketch_run.py", "rensa": "rensa_run.py",
               "datatrove": "datatrove_run.py", "text-dedup": "textdedup_run.py"}
INSTALL_STATUS = VENV / "install-status.json"


# ---------------------------------------------------------------- peers venv

def _pip(args: list[str]) -> tuple[bool, str]:
    proc = subprocess.run([str(VENV_PY), "-m", "pip", "install", "-q", *args],
                          capture_output=True, text=True)
    return proc.returncode == 0, (proc.stderr or proc.stdout)[-800:]


def _importable(check: str) -> bool:
    return subprocess.run([str(VENV_PY), "-c", check], capture_output=True).returncode == 0


def ensure_peers_venv() -> None:
    """Create the peers venv and install what is missing (idempotent).

    A peer that cannot be installed is recorded in install-status.json and
    later reported as failed; it never blocks the other tools.
    """
    if not VENV_PY.exists():
        print(f"creating {VENV}", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    if not _importable("import psutil, matplotlib"):
        ok, err = _pip(BASE_PACKAGES)
        if not ok:
            sys.exit(f"cannot install {BASE_PACKAGES} into {VENV}:\n{err}")
    status = {}
    for peer, spec in PEER_INSTALL.items():
        if _importable(spec["check"]):
            status[peer] = "ok"
            continue
        print(f"installing {peer} into {VENV.name} ...", flush=True)
        err = ""
        for args in spec["pip"]:
            ok, err = _pip(args)
            if not ok:
                break
        status[peer] = "ok" if _importable(spec["check"]) else f"install failed: {err.strip()[-300:]}"
    INSTALL_STATUS.write_text(json.dumps(status, indent=1))


def reexec_in_venv() -> None:
    """Run the rest of this script under the peers venv's Python."""
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    ensure_peers_venv()
    os.execv(str(VENV_PY), [str(VENV_PY), str(Path(__file__).resolve()), *sys.argv[1:]])


# ---------------------------------------------------------------- corpora

def corpus_paths(n: int) -> tuple[Path, Path]:
    return DATA / f"corpus-{n}.jsonl", DATA / f"truth-{n}.jsonl"


def ensure_corpus(n: int) -> None:
    data, truth = corpus_paths(n)
    if data.exists() and truth.exists():
        return
    print(f"building corpus of {n} docs ...", flush=True)
    subprocess.run([sys.executable, str(BENCH / "make_corpus.py"), str(n),
                    "--out", str(data), "--truth", str(truth)], check=True)


# ---------------------------------------------------------------- measuring

def run_measured(cmd: list[str], timeout: float, log: Path, env: dict | None = None) -> dict:
    """Run cmd in its own session; return wall time, peak tree RSS, CPU use, exit status.

    Peak RSS sums the RSS of the process and all its descendants, polled every
    0.1 s (shared pages of forked workers are counted once per process).
    `other_cpu_pct` is the machine's busy CPU time not spent by the tool or by
    this poller, as a share of all cores over the run: other work on the machine
    skews timings, and this says by how much.
    """
    import psutil

    cpu0, self0, kids0 = _busy_cpu(), _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
    with open(log, "w") as logf:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True,
                                env={**os.environ, **(env or {})})
        root = psutil.Process(proc.pid)
        peak, timed_out = 0, False
        while proc.poll() is None:
            peak = max(peak, tree_rss(root))
            if time.perf_counter() - t0 > timeout:
                timed_out = True
                kill_tree(proc)
                break
            time.sleep(0.1)
        proc.wait()
        wall = time.perf_counter() - t0
    tool_cpu = _cpu(resource.RUSAGE_CHILDREN) - kids0  # includes reaped descendants
    other = _busy_cpu() - cpu0 - tool_cpu - (_cpu(resource.RUSAGE_SELF) - self0)
    return {"wall_s": wall, "peak_rss_mb": peak / 2**20, "rc": proc.returncode, "timed_out": timed_out,
            "cpu_s": tool_cpu, "other_cpu_pct": max(0.0, 100 * other / (wall * (os.cpu_count() or 1)))}


def _busy_cpu() -> float:
    import psutil

    t = psutil.cpu_times()
    return t.user + t.nice + t.system + t.irq + t.softirq + t.steal


def _cpu(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def tree_rss(root) -> int:
    import psutil

    total = 0
    try:
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass  # exited between listing and reading
    return total


def kill_tree(proc: subprocess.Popen) -> None:
    import signal

    try:
        os.killpg(proc.pid, signal.SIGKILL)  # whole session: the tool and its workers
    except ProcessLookupError:
        pass


def log_tail(log: Path, n: int = 400) -> str:
    text = log.read_text(errors="replace") if log.exists() else ""
    return " ".join(text[-n:].split())


# ---------------------------------------------------------------- tools

def tool_commands(tool: str, n: int, args) -> tuple[list[str], list[str] | None, dict]:
    """(timed command, untimed export command or None, extra env) for a tool."""
    data, _ = corpus_paths(n)
    work = DATA / "work" / f"{tool}-{n}"
    raw = DATA / "pred" / f"{tool}-{n}.raw.jsonl"
    pred = DATA / "pred" / f"{tool}-{n}.jsonl"
    if tool == "newsfold":
        db = work / "run.db"
        # no full-text index: the peers build none (it costs ~19 CPU s at 100k, README "Performance")
        timed = [str(args.newsfold), "ingest", str(data), "--db", str(db), "--text-field", "text", "--no-search-index"]
        export = [str(args.newsfold), "export", "--db", str(db), "--format", "jsonl", "--out", str(raw)]
        return timed, export, {}
    script = str(PEERS_DIR / PEER_SCRIPT[tool])
    base = [str(VENV_PY), script, str(data), "--out", str(pred), "--workdir", str(work),
            "--workers", str(args.workers)]
    # progress bars would only bloat the logs
    env = {"TQDM_DISABLE": "1", "HF_DATASETS_DISABLE_PROGRESS_BARS": "1"}
    export = base + ["--export"] if tool in ("datatrove", "text-dedup") else None
    return base, export, env


def warm_up(newsfold: Path, work: Path) -> None:
    """An untimed ingest of the bundled examples: numba compiles newsfold's kernels once, at their
    first use after an install, and caches them on disk (~10 s). That is an install cost, like the
    peers' compiled extensions; timing it would charge it to whichever size ran first."""
    subprocess.run([str(newsfold), "ingest", str(REPO / "examples"), "--db", str(work / "warm-up.db"), "--quiet"],
                   capture_output=True, check=False)
    for f in work.glob("warm-up.db*"):
        f.unlink()


def newsfold_to_clusters(raw: Path, pred: Path) -> None:
    """newsfold export rows (capture, story, ...) -> {"id", "cluster"}."""
    with open(raw, encoding="utf-8") as f, open(pred, "w", encoding="utf-8") as fo:
        for line in f:
            row = json.loads(line)
            fo.write(json.dumps({"id": row["capture"], "cluster": row["story"]}) + "\n")


def run_tool(tool: str, n: int, args) -> dict:
    data, truth = corpus_paths(n)
    work = DATA / "work" / f"{tool}-{n}"
    pred = DATA / "pred" / f"{tool}-{n}.jsonl"
    log = DATA / "logs" / f"{tool}-{n}.log"
    shutil.rmtree(work, ignore_errors=True)  # a store kept by an earlier --keep-work run would make it a re-ingest
    for d in (work, pred.parent, log.parent):
        d.mkdir(parents=True, exist_ok=True)
    row = {"tool": tool, "size": n, "input_mb": data.stat().st_size / 1e6,
           "when": time.strftime("%Y-%m-%d %H:%M:%S")}
    if tool == "newsfold" and not Path(args.newsfold).exists():
        return {**row, "status": "failed", "reason": f"{args.newsfold} not found"}
    timed, export, env = tool_commands(tool, n, args)
    runs = []
    for k in range(args.repeat):
        if k:  # each repeat starts as the first did: from an empty scratch folder
            shutil.rmtree(work)
            work.mkdir(parents=True)
        # and with no output of a run before it: the scoring must read this run's, or none
        pred.unlink(missing_ok=True)
        (DATA / "pred" / f"{tool}-{n}.raw.jsonl").unlink(missing_ok=True)
        if tool == "newsfold":
            warm_up(args.newsfold, work)
        print(f"[{tool} @ {n}] running{f' ({k + 1}/{args.repeat})' if args.repeat > 1 else ''} ...", flush=True)
        runs.append(run_measured(timed, args.timeout, log, env))
        if runs[-1]["timed_out"] or runs[-1]["rc"] != 0:
            break
    m = median_run(runs)
    row.update(wall_s=round(m["wall_s"], 2), peak_rss_mb=round(max(r["peak_rss_mb"] for r in runs), 1),
               cpu_s=round(m["cpu_s"], 1), other_cpu_pct=round(m["other_cpu_pct"], 1),
               walls_s=[round(r["wall_s"], 2) for r in runs])
    if m["timed_out"]:
        row.update(status="timeout", reason=f"killed after {args.timeout:.0f} s")
    elif m["rc"] != 0:
        row.update(status="failed", reason=f"exit {m['rc']}: {log_tail(log)}")
    elif tool == "newsfold" and f"captures: {n} new" not in log.read_text(errors="replace"):
        row.update(status="failed", reason=f"not a fresh ingest of {n} captures: {log_tail(log)}")
    else:
        row.update(status="ok", docs_per_s=round(n / m["wall_s"], 1), mb_per_s=round(row["input_mb"] / m["wall_s"], 2))
        row.update(params=read_params(log))
        row.update(score_outputs(tool, n, export, env, log))
    if not args.keep_work:
        shutil.rmtree(work, ignore_errors=True)
    print(f"[{tool} @ {n}] {summary_line(row)}", flush=True)
    return row


def median_run(runs: list[dict]) -> dict:
    """The run of median wall time (of an even number, the slower middle one); a failed or
    timed-out run (always the last, as the repeats stop there) stands for them all."""
    last = runs[-1]
    if last["timed_out"] or last["rc"] != 0:
        return last
    return sorted(runs, key=lambda r: r["wall_s"])[len(runs) // 2]


def score_outputs(tool: str, n: int, export: list[str] | None, env: dict, log: Path) -> dict:
    """Run the untimed export step, then score pairs against the truth."""
    _, truth = corpus_paths(n)
    pred = DATA / "pred" / f"{tool}-{n}.jsonl"
    if export:
        with open(log, "a") as logf:
            rc = subprocess.run(export, stdout=logf, stderr=subprocess.STDOUT,
                                env={**os.environ, **env}).returncode
        if rc != 0:
            return {"status": "failed", "reason": f"export exit {rc}: {log_tail(log)}"}
    if tool == "newsfold":
        newsfold_to_clusters(DATA / "pred" / f"{tool}-{n}.raw.jsonl", pred)
    if not pred.exists():
        return {"status": "failed", "reason": "no clusters file written"}
    return evaluate(truth, pred)


def read_params(log: Path) -> dict:
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("PARAMS "):
            return json.loads(line[7:])
    return {}


# ---------------------------------------------------------------- scoring

def pairs(k: int) -> int:
    return k * (k - 1) // 2


def evaluate(truth_path: Path, pred_path: Path) -> dict:
    """Pair precision/recall by counting, never listing pairs.

    TP = sum over (pred cluster, truth cluster) cells of C(n,2); predicted and
    true pair counts are the same sums over pred and truth clusters.  Ids
    absent from the prediction are singletons.  Also reports, per variant
    kind, the share of variants put in the same predicted cluster as their base.
    """
    pred: dict[str, str] = {}
    with open(pred_path, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            pred[row["id"]] = str(row["cluster"])
    cells, truth_sizes, pred_sizes = Counter(), Counter(), Counter()
    kinds_total, kinds_found = Counter(), Counter()
    variants: list[tuple[str, str, str]] = []
    with open(truth_path, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            doc, cluster = row["id"], row["cluster"]
            p = pred.get(doc, "\0" + doc)  # unique singleton label
            cells[(p, cluster)] += 1
            truth_sizes[cluster] += 1
            pred_sizes[p] += 1
            if row.get("kind", "base") != "base":
                variants.append((doc, cluster, row["kind"]))
    for doc, base, kind in variants:
        kinds_total[kind] += 1
        if doc in pred and pred[doc] == pred.get(base):
            kinds_found[kind] += 1
    tp = sum(pairs(k) for k in cells.values())
    pp = sum(pairs(k) for k in pred_sizes.values())
    tt = sum(pairs(k) for k in truth_sizes.values())
    precision = tp / pp if pp else 1.0
    recall = tp / tt if tt else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "pred_pairs": pp, "true_pairs": tt, "tp_pairs": tp,
            "variant_recall": {k: round(kinds_found[k] / kinds_total[k], 4) for k in sorted(kinds_total)}}


# ---------------------------------------------------------------- reporting

def summary_line(r: dict) -> str:
    if r["status"] != "ok":
        return f"{r['status']}: {r.get('reason', '')[:300]}"
    return (f"{r['wall_s']:.1f} s, {r['docs_per_s']:.0f} docs/s, {r['peak_rss_mb']:.0f} MB, "
            f"P={r['precision']:.3f} R={r['recall']:.3f}")


def fmt(v, spec: str) -> str:
    return "—" if v is None else format(v, spec)


def write_markdown(rows: list[dict], meta: dict, path: Path) -> None:
    by_key = {(r["tool"], r["size"]): r for r in rows}
    lines = ["# Dedup benchmark results", "",
             f"Machine: {meta['machine']}. Settings: 5-word shingles, 128 permutations, "
             "Jaccard threshold 0.8 (see README for each tool's bands/rows). "
             "Wall time is end to end (JSONL in -> result); peak RSS is the whole process tree. "
             "`runs` = timed runs of the tool at that size (`--repeat`): the row is the run of median "
             "wall time, peak RSS the highest of them (every run's wall time is in results.json, `walls_s`). "
             "Pair precision/recall are over all unordered pairs within a cluster.", "",
             "`nf speed ×` = newsfold docs/s ÷ this tool's docs/s; `nf RSS ×` = newsfold peak RSS ÷ "
             "this tool's (same size). `cpu s` = CPU seconds used by the tool's process tree; "
             "`other CPU %` = share of the machine's CPU used by other processes during the run "
             "(well above 0 means the timing was disturbed).", "",
             "| tool | docs | status | runs | wall s | docs/s | MB/s | peak RSS MB | precision | recall | F1 "
             "| nf speed × | nf RSS × | cpu s | other CPU % |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    notes = []
    for r in sorted(rows, key=lambda r: (r["size"], TOOLS.index(r["tool"]))):
        nf = by_key.get(("newsfold", r["size"]))
        speed = rss = None
        if r["status"] == "ok" and nf and nf["status"] == "ok":
            speed = nf["docs_per_s"] / r["docs_per_s"]
            rss = nf["peak_rss_mb"] / r["peak_rss_mb"] if r["peak_rss_mb"] else None
        lines.append(
            f"| {r['tool']} | {r['size']:,} | {r['status']} | {len(r.get('walls_s', [1])) if 'wall_s' in r else '—'} "
            f"| {fmt(r.get('wall_s'), '.1f')} "
            f"| {fmt(r.get('docs_per_s'), ',.0f')} | {fmt(r.get('mb_per_s'), '.2f')} "
            f"| {fmt(r.get('peak_rss_mb'), ',.0f')} | {fmt(r.get('precision'), '.3f')} "
            f"| {fmt(r.get('recall'), '.3f')} | {fmt(r.get('f1'), '.3f')} "
            f"| {fmt(speed, '.2f')} | {fmt(rss, '.2f')} | {fmt(r.get('cpu_s'), '.0f')} "
            f"| {fmt(r.get('other_cpu_pct'), '.0f')} |")
        if r["status"] != "ok":
            notes.append(f"- {r['tool']} @ {r['size']:,}: {r['status']} — {r.get('reason', '')[:400]}")
    kinds = sorted({k for r in rows for k in r.get("variant_recall", {})})
    if kinds:
        lines += ["", "Share of variants clustered with their base, by kind of variant:", "",
                  "| tool | docs | " + " | ".join(kinds) + " |", "|---|---:|" + "---:|" * len(kinds)]
        for r in sorted(rows, key=lambda r: (r["size"], TOOLS.index(r["tool"]))):
            vr = r.get("variant_recall")
            if vr:
                lines.append(f"| {r['tool']} | {r['size']:,} | "
                             + " | ".join(fmt(vr.get(k), ".3f") for k in kinds) + " |")
    if notes:
        lines += ["", "Failed, timed out or skipped:", "", *notes]
    path.write_text("\n".join(lines) + "\n")


def write_chart(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for tool in TOOLS:
        ok = sorted((r for r in rows if r["tool"] == tool and r["status"] == "ok"), key=lambda r: r["size"])
        if not ok:
            continue
        xs = [r["size"] for r in ok]
        ax1.plot(xs, [r["docs_per_s"] for r in ok], marker="o", label=tool)
        ax2.plot(xs, [r["peak_rss_mb"] for r in ok], marker="o", label=tool)
    for ax, title, ylabel in ((ax1, "Throughput", "docs/s (end to end)"),
                              (ax2, "Peak memory", "peak RSS of process tree (MB)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("corpus size (docs)")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def machine_info() -> str:
    import psutil

    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"{psutil.virtual_memory().total / 2**30:.0f} GiB RAM, Python {platform.python_version()}")


def tool_versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("datasketch", "rensa", "datatrove", "text-dedup", "datasets", "xxhash"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


# ---------------------------------------------------------------- main

def load_previous(path: Path) -> list[dict]:
    if path.exists():
        return json.loads(path.read_text()).get("runs", [])
    return []


def skip_reason(tool: str, n: int, rows: list[dict], timeout: float) -> str | None:
    """Why not to run tool at size n, judged from its smaller sizes (this or earlier runs)."""
    if tool in PEER_INSTALL:
        status = json.loads(INSTALL_STATUS.read_text()).get(tool, "ok") if INSTALL_STATUS.exists() else "ok"
        if status != "ok":
            return status
    smaller = [r for r in rows if r["tool"] == tool and r["size"] < n]
    if any(r["status"] == "timeout" for r in smaller):
        return "timed out on a smaller size"
    ok = [r for r in smaller if r["status"] == "ok"]
    if ok:
        best = max(ok, key=lambda r: r["size"])
        estimate = n / best["docs_per_s"]
        if estimate > timeout:
            return (f"estimated {estimate:,.0f} s from {best['docs_per_s']:,.0f} docs/s at "
                    f"{best['size']:,} docs > timeout {timeout:,.0f} s")
    return None


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[20000, 100000, 1000000])
    ap.add_argument("--tools", nargs="+", default=list(TOOLS), choices=TOOLS)
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per tool run (default 3600)")
    ap.add_argument("--workers", type=int, default=2, help="worker processes for tools that take one")
    ap.add_argument("--newsfold", type=Path, default=DEFAULT_NEWSFOLD, help="newsfold executable")
    ap.add_argument("--repeat", type=int, default=1,
                    help="timed runs per tool and size; the row is the median run (peak RSS: the highest)")
    ap.add_argument("--fresh", action="store_true", help="drop results of earlier runs")
    ap.add_argument("--keep-work", action="store_true", help="keep the tools' scratch folders")
    return ap.parse_args()


def main() -> None:
    reexec_in_venv()
    args = parse_args()
    if args.repeat < 1:
        sys.exit("run.py: --repeat must be at least 1")
    RESULTS.mkdir(parents=True, exist_ok=True)
    json_path = RESULTS / "results.json"
    # results are merged by (tool, size) so sizes can be run in separate sessions
    rows = [] if args.fresh else load_previous(json_path)
    for n in sorted(args.sizes):
        ensure_corpus(n)
        for tool in args.tools:
            rows = [r for r in rows if (r["tool"], r["size"]) != (tool, n)]
            reason = skip_reason(tool, n, rows, args.timeout)
            if reason:
                print(f"[{tool} @ {n}] skipped: {reason}", flush=True)
                row = {"tool": tool, "size": n, "status": "skipped", "reason": reason}
            else:
                row = run_tool(tool, n, args)
            rows.append(row)
            save(rows, json_path)
    print(f"wrote {RESULTS / 'results.md'}, {json_path}, {RESULTS / 'chart.png'}")


def save(rows: list[dict], json_path: Path) -> None:
    meta = {"machine": machine_info(), "versions": tool_versions(),
            "settings": {"ngram": 5, "num_perm": 128, "threshold": 0.8}}
    json_path.write_text(json.dumps({"meta": meta, "runs": rows}, indent=1) + "\n")
    write_markdown(rows, meta, RESULTS / "results.md")
    write_chart(rows, RESULTS / "chart.png")


if __name__ == "__main__":
    main()
