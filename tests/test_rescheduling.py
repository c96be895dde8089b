"""Snakemake's job-rate timer: at most one pending wake-up, as a daemon thread."""

import threading
import time

from snapens import rescheduling


class Scheduler:
    """The part of Snakemake's JobScheduler the timer touches."""

    def __init__(self):
        self._open_jobs = threading.Semaphore(0)

    def _schedule_reevalutation(self, delay):  # Snakemake's: a new timer on every call
        threading.Timer(delay, self._open_jobs.release).start()


def wakeups(scheduler, seconds):
    count, end = 0, time.monotonic() + seconds
    while scheduler._open_jobs.acquire(timeout=max(0.0, end - time.monotonic())):
        count += 1
    return count


def test_unpatched_timers_multiply_with_each_call():
    s = Scheduler()
    for _ in range(5):  # five passes (e.g. five finished jobs) before the first timer fires
        s._schedule_reevalutation(0.05)
    assert wakeups(s, 0.3) == 5


def test_patched_scheduler_keeps_one_daemon_timer():
    class Patched(Scheduler):
        pass

    assert rescheduling.patch(Patched)
    s = Patched()
    for _ in range(5):
        s._schedule_reevalutation(0.05)
    assert s._pending_reevaluation.daemon
    assert wakeups(s, 0.3) == 1
    s._schedule_reevalutation(0.05)  # the pending one has fired: a new one is armed
    assert wakeups(s, 0.3) == 1


def test_a_class_without_the_method_is_left_alone():
    class Other:
        pass

    assert not rescheduling.patch(Other)
    assert not hasattr(Other, rescheduling.ATTRIBUTE)


def test_snakemake_still_has_the_method_this_patch_replaces():
    """A Snakemake that renames it turns the patch into a no-op: this test says so."""
    from snakemake.scheduling.job_scheduler import JobScheduler

    assert callable(getattr(JobScheduler, rescheduling.ATTRIBUTE, None))
