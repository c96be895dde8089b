"""The opt-in fix of Snakemake's job-rate timer: at most one pending
wake-up, as a daemon thread, and only on a Snakemake it was checked against."""

import threading
import time
import tomllib

from packaging.requirements import Requirement

from snapens.plan import scheduler as rescheduling
from workflow_utils import ROOT


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


def test_the_installed_snakemake_is_a_release_the_fix_was_checked_against():
    """A new Snakemake pin fails here until its scheduler is checked again (and
    CHECKED, the pin of pyproject.toml and the docs updated)."""
    import snakemake
    from snakemake.scheduling.job_scheduler import JobScheduler

    assert snakemake.__version__ in rescheduling.CHECKED
    assert callable(getattr(JobScheduler, rescheduling.ATTRIBUTE, None))
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pin = next(Requirement(r) for r in pyproject["project"]["dependencies"] if r.startswith("snakemake"))
    assert all(version in pin.specifier for version in rescheduling.CHECKED)


def test_another_snakemake_is_left_unpatched_and_the_log_says_so(monkeypatch):
    from snakemake.scheduling.job_scheduler import JobScheduler

    before = getattr(JobScheduler, rescheduling.ATTRIBUTE)
    message = rescheduling.apply("9.99.0")
    assert "not applied: Snakemake 9.99.0 is not a release it was checked against" in message
    assert getattr(JobScheduler, rescheduling.ATTRIBUTE) is before
