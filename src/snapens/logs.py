"""Job logs: every process's output in its rule's log file, and its start-up time."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from pathlib import Path
from typing import Iterator

log = logging.getLogger("snapens")

READY = "ready after %.2fs of start-up"  # parsed by snapens.bench_study
DONE = "done after %.2fs, %.2fs of CPU"  # likewise: the job process's own wall and CPU time


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


def ready() -> None:
    """Log how long the job took to get ready for its real work (interpreter,
    imports, thread set-up, reading the data): the start-up that packing runs
    into one process pays once."""
    log.info(READY, since_process_start())


@contextlib.contextmanager
def job_log(path: str | os.PathLike | None, exit_when_done: bool = True) -> Iterator[None]:
    """Send this process's output (Python logging, stdout, stderr and the C++
    libraries' messages) to ``path``; on failure, also print the error to the
    console so that it is seen without opening the log.

    A job's process has nothing left to do once its block has succeeded: with
    ``exit_when_done`` it then ends at once (``os._exit(0)``, after flushing
    its output), skipping the interpreter's teardown, which takes ~1.9 s in a
    process that imported TensorFlow. Every output is written and closed (and
    renamed into place) by then."""
    if path is None:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
        yield
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
        try:
            yield
        except Exception as exc:
            log.exception("job failed")
            print(f"error: {exc}  (details in {path})", file=console, flush=True)
            raise
        log.info(DONE, since_process_start(), cpu_seconds())
        if exit_when_done:
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
            fh.flush()
            console.flush()
            os._exit(0)
