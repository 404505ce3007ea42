"""Shared test helpers: paths, the real CLI in a subprocess, the shared scorer."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
EXAMPLES = ROOT / "examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
NEWSFOLD = [sys.executable, "-m", "newsfold.cli"]


def run_cli(*args, check=True, **kw):
    """Run the real `newsfold` command line in a subprocess."""
    proc = subprocess.run([*NEWSFOLD, *map(str, args)], capture_output=True, text=True, **kw)
    if check and proc.returncode != 0:
        raise AssertionError(f"newsfold {' '.join(map(str, args))} exited {proc.returncode}:\n{proc.stderr}")
    return proc


def score(truth: Path, export: Path) -> dict:
    """Scores from the project's shared scorer (../shared/eval/score.py)."""
    out = subprocess.run([sys.executable, str(SHARED / "eval" / "score.py"), str(truth), str(export), "--json"],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]




# Runs a command as its only child and reports the child's peak RSS (KiB on Linux) on stderr.
_MEASURE = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:]).returncode
print("peak-rss-kib", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)
sys.exit(code)
"""


def run_measured(*args, timeout: float = 300) -> tuple[subprocess.CompletedProcess, int]:
    """Run the real `newsfold` command line; (the process, the peak RSS of its largest process in MiB)."""
    import re

    proc = subprocess.run([sys.executable, "-c", _MEASURE, *NEWSFOLD, *map(str, args)], capture_output=True,
                          text=True, timeout=timeout)
    kib = int(re.search(r"peak-rss-kib (\d+)", proc.stderr).group(1))
    proc.stderr = "\n".join(line for line in proc.stderr.splitlines() if not line.startswith("peak-rss-kib")) + "\n"
    return proc, kib >> 10
