"""A guard on Snakemake's job-rate timer (Snakemake 9; applied by the Snakefile).

After every scheduling pass, Snakemake's job scheduler arms a one-shot
``threading.Timer`` that wakes it for another pass after the rate limiter's
timespan (``--max-jobs-per-timespan``, default ``100/1s``). A pass woken by a
finished job arms one too, so each finished job starts another chain of
timers, and the passes per second grow with the jobs done while jobs wait for
free cores. Each pass re-checks every ready job's inputs: 42 minutes into the
sweep (``config/sweep.yaml``, ~30 jobs ready behind two busy cores) the
Snakemake process took ~100% of a core, measured with py-spy.

:func:`patch` makes the scheduler keep at most one such timer, as a daemon
thread: one chain, whatever the jobs done, and a finished workflow does not
wait for a pending timer before it exits. Finished jobs still wake the
scheduler at once, as before.
"""

from __future__ import annotations

import threading

ATTRIBUTE = "_schedule_reevalutation"  # Snakemake's own spelling


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
    changed) when the class has no such method (another Snakemake)."""
    if not callable(getattr(scheduler_class, ATTRIBUTE, None)):
        return False
    setattr(scheduler_class, ATTRIBUTE, _reevaluate_once)
    return True


def patch_snakemake() -> bool:
    """:func:`patch` Snakemake's ``JobScheduler``, if it is the one described above."""
    try:
        from snakemake.scheduling.job_scheduler import JobScheduler
    except ImportError:
        return False
    return patch(JobScheduler)
