"""tools/profile_jobs.py: a job's start-up read from its log, and the calls of
a per-run function by their measured time."""

import time

from tools import profile_jobs


def test_start_up_and_job_seconds_are_read_from_the_log(tmp_path):
    log = tmp_path / "job.log"
    assert profile_jobs.logged_seconds(log) is None
    log.write_text(
        "2026-12-07 17:28:09,428 INFO job process up after 0.31s\n"
        "2026-12-07 17:28:09,445 INFO ready after 0.33s of start-up\n"
        "2026-12-07 17:28:15,112 INFO done after 5.99s, 5.76s of CPU\n"
    )
    assert profile_jobs.logged_seconds(log) == (0.33, 5.99)


def slow():
    time.sleep(0.05)


def fast():
    pass


def evaluate_run():
    slow()
    fast()


def test_the_calls_of_the_per_run_function_are_timed_per_run():
    per_run, calls = profile_jobs.profiled("evaluate", lambda: [evaluate_run() for _ in range(2)], runs=2)
    assert per_run >= 0.05  # sleep sleeps at least that long
    assert set(calls) >= {"test_profile_jobs.slow", "test_profile_jobs.fast"}
    assert (
        calls["test_profile_jobs.slow"] >= 0.05
        and calls["test_profile_jobs.slow"] > calls["test_profile_jobs.fast"]
    )
