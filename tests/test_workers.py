"""The worker pool: results in input order, errors raised in the caller, never a hang."""
import os
import subprocess
import sys

from newsfold.engines.workers import ordered_map


def square(x):
    return x * x


def test_results_come_back_in_input_order():
    assert list(ordered_map(square, range(500), workers=2)) == [x * x for x in range(500)]
    assert list(ordered_map(square, [], workers=2)) == []


def test_a_task_that_cannot_be_sent_is_an_error_not_a_hang():
    # a lambda cannot be pickled to a worker; run in a subprocess so a regression fails, not stalls
    code = ("from newsfold.engines.workers import ordered_map\n"
            "try:\n    list(ordered_map(abs, [1, lambda: 0, 3], workers=2))\n"
            "except RuntimeError as err:\n    print('raised:', err)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "raised: worker failed: could not send task 1" in done.stdout, done.stdout + done.stderr


def niceness(_):
    return os.getpriority(os.PRIO_PROCESS, 0)


def test_workers_yield_the_cpu_to_the_caller_when_asked():
    """The writer of a big ingest is its bottleneck: its workers run at a lower priority."""
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    assert set(ordered_map(niceness, range(8), workers=2, nice=5)) == {min(mine + 5, 19)}
    assert set(ordered_map(niceness, range(8), workers=2)) == {mine}


def crash_on_13(x):
    if x == 13:
        os.kill(os.getpid(), 9)  # as the OOM killer, or a crash in compiled code, would end it
    return x * x


def test_a_dead_workers_task_is_reported_and_the_map_goes_on():
    got = list(ordered_map(crash_on_13, range(40), workers=2, on_lost=lambda x, why: (x, why)))
    assert got[13] == (13, "a worker process died (SIGKILL)")
    assert got[:13] + got[14:] == [x * x for x in range(40) if x != 13]


def test_without_a_report_a_dead_worker_is_an_error():
    code = ("from newsfold.engines.workers import ordered_map\n"
            "import test_workers\n"
            "try:\n    list(ordered_map(test_workers.crash_on_13, range(40), workers=2))\n"
            "except RuntimeError as err:\n    print('raised:', err)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          cwd=os.path.dirname(__file__))
    assert "raised: worker failed: a worker process died (SIGKILL)" in done.stdout, done.stdout + done.stderr
