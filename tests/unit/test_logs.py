"""Job logs: the start-up time a job reports is the time its process has lived."""

import subprocess
import sys
import time

CHILD = "import time; time.sleep(0.5); from snapens.core.logs import since_process_start; print(since_process_start())"


def test_since_process_start_lies_between_the_childs_own_sleep_and_the_parents_clock():
    """A child that sleeps 0.5 s reports at least that, and never more than
    the parent saw pass from before starting it to after it ended (10 ms of
    clock-tick resolution aside): a start time rounded to whole seconds, as
    the boot time behind psutil's create_time is, fails the upper bound."""
    for _ in range(3):
        start = time.monotonic()
        out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True)
        elapsed = time.monotonic() - start
        reported = float(out.stdout)
        assert 0.5 <= reported <= elapsed + 0.02, (reported, elapsed)
