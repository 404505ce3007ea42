"""Shared test helpers: paths, the real CLI in a subprocess, the shared scorer."""
import json
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




class Served:
    """A real `newsfold serve` (or any long-running newsfold command) in a subprocess; what it
    says on stderr is read as it comes (by a thread), line by line."""

    def __init__(self, *args, env=None):
        import os
        import queue
        import threading

        self.proc = subprocess.Popen([*NEWSFOLD, *map(str, args)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True, env={**os.environ, **(env or {})})
        self.lines = []
        self.queue = queue.SimpleQueue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stderr:
            self.queue.put(line)
        self.queue.put(None)

    def read_line(self, must_hold: str, timeout: float = 60) -> str:
        """The next stderr line holding `must_hold` (every line read is kept in `lines`)."""
        import queue
        import time

        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.queue.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                self.queue.put(None)
                break
            self.lines.append(line)
            if must_hold in line:
                return line
            if time.monotonic() > deadline:
                break
        raise AssertionError(f"no line with {must_hold!r} from newsfold; it said:\n{''.join(self.lines)}")

    def stop(self) -> str:
        """Interrupt it (as Ctrl-C), wait for it, and return all it said."""
        import signal

        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(10)
        while not self.queue.empty():
            line = self.queue.get()
            if line is not None:
                self.lines.append(line)
        return "".join(self.lines)


class DeskProcess(Served):
    """`newsfold serve --db DB --port 0 ...`: `url` is where it listens, `edit_link` the link
    with its edit token (when started without --token)."""

    def __init__(self, db, *args, env=None):
        import re

        super().__init__("serve", "--db", db, "--port", "0", *args, env=env)
        try:
            first = self.read_line("newsfold desk:")
            found = re.search(r"(http://\S+?)/? ", first)
            if not found:
                raise AssertionError(f"newsfold serve said: {first}")
            self.url = found.group(1)
            second = self.read_line("newsfold desk:")
        except BaseException:
            self.stop()  # a server that did not start as expected is not left running
            raise
        link = re.search(r"(http://\S+)", second)
        self.edit_link = link.group(1) if link else None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


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
