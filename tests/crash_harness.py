"""Crash harness: kill an ingest at a random moment, finish it with a rerun, and check that the
store ends byte-for-byte where an uninterrupted ingest ends (nothing lost, nothing doubled).

    python tests/crash_harness.py --trials 20 --seed 1 --captures ../shared/devset/captures

Each trial starts `newsfold ingest CAPTURES --db X --workers 2 --quiet` and SIGKILLs it at a
seeded random moment, reruns the same command to completion, exports, and compares the export
with a clean run's. Half the trials kill at a random time within the clean run's duration; the
other half kill just after a randomly chosen batch commit (found by watching the store), the
moment when captures are committed but their stories are not yet decided, which a random time
rarely hits because clustering takes milliseconds. A seeded coin picks whether the whole
process group dies (`kill -9` of a job) or the parent alone (what the OOM killer does).
Importable: `tests/test_crash.py` runs a few trials on a small corpus.
"""
from __future__ import annotations

import argparse
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from support import without_capture_times

NEWSFOLD = [sys.executable, "-m", "newsfold.cli"]  # the real command line, as tests/support.py runs it
DEVSET = Path(__file__).resolve().parent.parent.parent / "shared" / "devset" / "captures"
POLL = 0.005  # seconds between looks at the store while watching for a commit


def ingest_command(captures: Path, db: Path, workers: int = 2) -> list[str]:
    return [*NEWSFOLD, "ingest", str(captures), "--db", str(db), "--workers", str(workers), "--quiet"]


def _ctrl_c_as_in_a_terminal() -> None:
    # a shell without job control starts background commands with SIGINT ignored, and a process
    # that starts so never sees Ctrl-C: the ingest gets the disposition a terminal would give it
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_ingest(captures: Path, db: Path) -> subprocess.Popen:
    # own session: a signal to the group reaches the pool workers too, as a real kill or Ctrl-C would
    return subprocess.Popen(ingest_command(captures, db), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True, preexec_fn=_ctrl_c_as_in_a_terminal)


def run_ingest(captures: Path, db: Path) -> subprocess.CompletedProcess:
    done = subprocess.run(ingest_command(captures, db), capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"ingest into {db} failed ({done.returncode}):\n{done.stderr}")
    return done


def export(db: Path, out: Path) -> str:
    """The store's export, without its capture times (the ingest time of captures that state none:
    a rerun's differ from a clean run's)."""
    done = subprocess.run([*NEWSFOLD, "export", "--db", str(db), "--out", str(out)], capture_output=True, text=True,
                          timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"export of {db} failed ({done.returncode}):\n{done.stderr}")
    return without_capture_times(out.read_bytes())


def count(db: Path, query: str) -> int:
    """One number from a store, perhaps one a killed run left behind (0 before the schema exists)."""
    if not db.exists():
        return 0
    conn = sqlite3.connect(db, timeout=60)
    try:
        return conn.execute(query).fetchone()[0]
    except sqlite3.OperationalError:  # no schema yet
        return 0
    finally:
        conn.close()


def committed_captures(db: Path) -> int:
    return count(db, "SELECT count(*) FROM captures")


def undecided_articles(db: Path) -> int:
    """Committed articles not yet in a story: the state only a rerun's clustering can finish."""
    return count(db, "SELECT count(*) FROM pending")


@dataclass
class Baseline:
    export: str  # without capture times (export())
    seconds: float  # wall time of an uninterrupted ingest
    commits: list[int]  # capture counts seen in the store as it ran: one per batch commit


@dataclass
class Trial:
    number: int
    moment: str  # when the kill was aimed, in words
    group: bool  # killed the whole process group, not only the parent
    killed: bool  # False: the ingest had already finished
    committed: int  # captures in the store when it was killed
    undecided: int  # of their articles, those without a story yet
    identical: bool

    def __str__(self) -> str:
        who = "process group" if self.group else "parent only"
        what = (f"killed ({who}) {self.moment}: {self.committed} captures committed, "
                f"{self.undecided} articles without a story") if self.killed else f"not killed ({self.moment}: it had ended)"
        return f"trial {self.number}: {what}; rerun export {'identical' if self.identical else 'DIFFERS'}"


def watch_commits(proc: subprocess.Popen, db: Path) -> list[int]:
    """Wait for the ingest to end, noting each new capture count the store shows."""
    seen: list[int] = []
    while proc.poll() is None:
        n = committed_captures(db)
        if n and (not seen or n != seen[-1]):
            seen.append(n)
        time.sleep(POLL)
    return seen


def clean_run(captures: Path, work: Path) -> Baseline:
    db = work / "clean.db"
    t0 = time.monotonic()
    proc = start_ingest(captures, db)
    commits = watch_commits(proc, db)
    seconds = time.monotonic() - t0
    _, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"clean ingest failed ({proc.returncode}):\n{err}")
    commits = sorted(set(commits) | {committed_captures(db)})  # a last commit may fall between looks
    return Baseline(export(db, work / "clean.jsonl"), seconds, commits)


def kill(proc: subprocess.Popen, group: bool) -> None:
    # orphaned workers (parent-only kill) exit on their own when their pipe closes
    if group:
        os.killpg(proc.pid, signal.SIGKILL)
    else:
        proc.kill()
    proc.wait()


def kill_after(proc: subprocess.Popen, delay: float, group: bool = True) -> bool:
    """SIGKILL the ingest after `delay` seconds; False if it ended first."""
    try:
        proc.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        kill(proc, group)
        return True


def kill_after_commit(proc: subprocess.Popen, db: Path, captures: int, group: bool = True) -> bool:
    """SIGKILL the ingest as soon as the store holds `captures` captures; False if it ended first."""
    while proc.poll() is None:
        if committed_captures(db) >= captures:
            kill(proc, group)
            return True
        time.sleep(POLL)
    return False


def crash_trial(number: int, captures: Path, work: Path, baseline: Baseline, rng: random.Random) -> Trial:
    db = work / f"trial{number}.db"
    group = rng.random() < 0.5
    proc = start_ingest(captures, db)
    if rng.random() < 0.5:
        # a rerun can be faster than the clean run (warm caches): stay short of its end
        delay = rng.uniform(0.05, 0.9) * baseline.seconds
        moment, killed = f"at {delay:.2f}s", kill_after(proc, delay, group)
    else:
        target = rng.choice(baseline.commits)
        moment, killed = f"after the commit reaching {target} captures", kill_after_commit(proc, db, target, group)
    proc.communicate()
    committed, undecided = committed_captures(db), undecided_articles(db)
    run_ingest(captures, db)
    got = export(db, work / f"trial{number}.jsonl")
    return Trial(number, moment, group, killed, committed, undecided, got == baseline.export)


def run_trials(captures: Path, trials: int, seed: int, work: Path, log=print) -> list[Trial]:
    rng = random.Random(seed)
    baseline = clean_run(captures, work)
    log(f"clean run: {baseline.seconds:.2f}s, batch commits at {baseline.commits} captures, "
        f"export {len(baseline.export)} characters")
    results = []
    for n in range(1, trials + 1):
        trial = crash_trial(n, captures, work, baseline, rng)
        log(str(trial))
        results.append(trial)
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--captures", type=Path, default=DEVSET)
    ap.add_argument("--workdir", type=Path, default=None, help="keep stores and exports here (default: a temp dir)")
    args = ap.parse_args(argv)
    captures = args.captures.resolve()  # capture names are paths: every run must spell them the same
    with tempfile.TemporaryDirectory(prefix="newsfold-crash-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        results = run_trials(captures, args.trials, args.seed, work)
    bad = [t for t in results if not t.identical]
    killed = sum(t.killed for t in results)
    in_between = sum(t.killed and t.undecided > 0 for t in results)
    print(f"{len(results) - len(bad)}/{len(results)} trials identical ({killed} killed mid-run, "
          f"{in_between} of them with committed articles not yet in a story)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
