"""An opt-in fix of Snakemake's job-rate timer (``execution.one_wakeup_timer``).

After every scheduling pass, Snakemake's job scheduler arms a one-shot
``threading.Timer`` that wakes it for another pass after the rate limiter's
timespan (``--max-jobs-per-timespan``, default ``100/1s``). A pass woken by a
timer arms a new timer, and so does a pass woken by a finished job: each
finished job starts one more chain of timers, so the passes per second grow
with the jobs done, each pass re-checking every waiting job.
``docs/snakemake-wakeup-timers.md`` is the reproducer, written to be filed
upstream, with the measurements.

:func:`apply` makes the scheduler keep at most one pending timer, as a daemon
thread (a finished workflow then does not wait for it): one chain, whatever
the jobs done. Finished jobs still wake the scheduler at once, as before. It
replaces a private method of Snakemake's (named with Snakemake's own
spelling), so it is applied only to the Snakemake releases it was checked
against (:data:`CHECKED`; a test fails when the installed one is not among
them), only when the config asks for it, and the Snakemake log says whether
it was.
"""

from __future__ import annotations

import threading

ATTRIBUTE = "_schedule_reevalutation"  # Snakemake's own spelling
CHECKED = ("9.27.1",)  # Snakemake releases whose scheduler this was checked against


def _reevaluate_once(self, delay: float) -> None:
    """Arm the wake-up timer unless one is already pending."""
    pending = getattr(self, "_pending_reevaluation", None)
    if pending is not None and pending.is_alive():
        return
    timer = threading.Timer(delay, self._open_jobs.release)
    timer.daemon = True
    self._pending_reevaluation = timer
    timer.start()


def patch(scheduler_class) -> bool:
    """Replace ``scheduler_class``'s timer method; ``False`` (and nothing
    changed) when the class has no such method."""
    if not callable(getattr(scheduler_class, ATTRIBUTE, None)):
        return False
    setattr(scheduler_class, ATTRIBUTE, _reevaluate_once)
    return True


def apply(version: str | None = None) -> str:
    """Patch Snakemake's ``JobScheduler`` if ``version`` (default: the
    installed Snakemake's) is one of :data:`CHECKED`; return what was done,
    for the log."""
    import snakemake
    from snakemake.scheduling.job_scheduler import JobScheduler

    version = version or snakemake.__version__
    if version not in CHECKED:
        return (
            f"execution.one_wakeup_timer: not applied: Snakemake {version} is not a release it was "
            f"checked against ({', '.join(CHECKED)}); Snakemake's own timers run"
        )
    if not patch(JobScheduler):
        return f"execution.one_wakeup_timer: not applied: Snakemake {version}'s scheduler has no {ATTRIBUTE}"
    return (
        f"execution.one_wakeup_timer: applied to Snakemake {version}: one pending wake-up timer in "
        "the scheduler (docs/snakemake-wakeup-timers.md)"
    )
