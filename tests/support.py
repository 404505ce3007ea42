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


def without_capture_times(export: str | bytes) -> str:
    """An export (JSON lines) without its `captured` times: a capture that states none is captured
    when it is ingested, so two ingests of the same files differ there and nowhere else."""
    text = export.decode("utf-8") if isinstance(export, bytes) else export
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    return "".join(json.dumps({k: v for k, v in row.items() if k != "captured"}, ensure_ascii=False) + "\n"
                   for row in rows)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


