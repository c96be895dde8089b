"""Job logs: every process's output in its rule's log file, and its start-up time."""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Iterator, TextIO

log = logging.getLogger("snapens")

# lines tools/bench_study.py reads back from every job's log
READY = "ready after %.2fs of start-up"
DONE = "done after %.2fs, %.2fs of CPU"  # the job process's own wall and CPU time
REQUEST = "requested: %s"  # JSON: the job's rule, threads and resources (mem_mb, runtime, ...)
TRAINED = "trained %d runs in %.2fs: %d lanes of %d steps, %d weights per lane, %d snapshots"
EVALUATED = "evaluated %d members of %d runs in %.2fs"


def since_process_start() -> float:
    """Seconds since this process was created (interpreter, imports and all).

    On Linux from the process's start in clock ticks since boot
    (``/proc/self/stat``) against the boot-time clock, to 10 ms; psutil's
    ``create_time`` adds the boot time, which the kernel gives in whole
    seconds, so its difference from the wall clock is off by up to a second.
    """
    try:
        with open("/proc/self/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22, starttime
        return time.clock_gettime(time.CLOCK_BOOTTIME) - started
    except (OSError, AttributeError, ValueError, IndexError):  # not Linux
        import psutil

        return time.time() - psutil.Process().create_time()


def cpu_seconds() -> float:
    """CPU seconds of this process (all threads) and of its finished children."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def log_startup() -> None:
    """Log how long the job took to get ready for its real work (interpreter,
    imports, thread set-up, reading the data): the start-up that packing runs
    into one process pays once."""
    log.info(READY, since_process_start())


def request(job) -> str:
    """What a Snakemake job asked for, as JSON: rule, threads and every
    numeric resource (``mem_mb``, ``runtime``, ...)."""
    resources = {
        k: v
        for k, v in job.resources.items()
        if not k.startswith("_") and isinstance(v, (int, float)) and not isinstance(v, bool)
    }
    return json.dumps({"rule": job.rule, "threads": job.threads, "resources": resources}, sort_keys=True)


@contextlib.contextmanager
def job_log(job) -> Iterator[TextIO]:
    """Send this process's output (Python logging, stdout, stderr and the C++
    libraries' messages) to the job's log file; on failure, also print the
    error to the console so that it is seen without opening the log. Yields
    the console, for what a job must show there.

    ``job``: a rule script's ``snakemake`` object (its first log file; its
    rule, threads and resources are logged as :data:`REQUEST`), a log path,
    or ``None`` (log to the console).

    Once the block has succeeded, the objects the job made are frozen
    (:func:`gc.freeze`): the interpreter's exit then skips collecting them,
    which nothing needs (every output is written, closed and renamed into
    place by then) and which took ~1 s in a process that imported TensorFlow
    (a garbage collection of its object graph, not a wait: its native threads
    sit idle); frozen, the exit takes ~0.1 s, and still runs as usual
    (``atexit`` handlers, flushed streams, joined threads)."""
    path = job.log[0] if hasattr(job, "log") else job
    if path is None:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
        yield sys.stdout
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    console = os.fdopen(os.dup(2), "w")
    with open(path, "w") as fh:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(fh.fileno(), 1)
        os.dup2(fh.fileno(), 2)
        logging.basicConfig(
            level=logging.INFO,
            format="%(asctime)s %(levelname)s %(message)s",
            stream=sys.stderr,
            force=True,
        )
        log.info("job process up after %.2fs", since_process_start())
        if hasattr(job, "resources"):
            log.info(REQUEST, request(job))
        try:
            yield console
        except Exception as exc:
            log.exception("job failed")
            print(f"error: {exc}\n(details in {path})", file=console, flush=True)
            raise
        log.info(DONE, since_process_start(), cpu_seconds())
        gc.freeze()
