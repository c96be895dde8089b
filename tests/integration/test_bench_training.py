"""`make bench` runs end to end (its timings are printed, not checked): a
benchmark, so the integration tier."""

import pytest


@pytest.mark.slow
def test_bench_runs_end_to_end():
    import subprocess
    import sys

    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.bench_training",
            "--tutorial-runs",
            "1",
            "--project-runs",
            "2",
            "--epochs",
            "10",
            "--members",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr
    assert "tutorial's way" in res.stdout and "ratio" in res.stdout
    assert "compute floor of a run: 0.002 GFLOP" in res.stdout  # 10 epochs of 4 steps, 303 weights, batch 32
