"""Rule ``summarise`` reads the runs' tables in several processes: the same
tables and rows, in the same order, as one process reading them."""

import numpy as np
import pandas as pd

from snapens.analyse.rule_summarise import read_runs
from snapens.evaluate.runfiles import table_columns


def write_run(run_dir, seed: int, members: int) -> None:
    """A run's tables with every column the study reads, values drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    run_dir.mkdir(parents=True)
    sizes = {"members": members, "ensemble": members, "diversity": members**2, "training": 5}
    for name, columns in table_columns().items():
        rows = sizes.get(name, 1)
        table = pd.DataFrame(rng.uniform(0.1, 0.9, (rows, len(columns))), columns=list(columns))
        if name in ("averaged", "weighted"):
            table["model"] = "swa" if name == "averaged" else "weighted"
        if name == "diversity":
            table["i"], table["j"] = np.divmod(np.arange(rows), members)
        table.to_csv(run_dir / f"{name}.csv", index=False)


def test_runs_read_in_two_processes_match_one_process_in_order(tmp_path):
    jobs = []
    for seed in range(1, 8):
        run = tmp_path / f"seed-{seed}"
        write_run(run, seed, members=3)
        jobs.append(("d", "m", seed, run, 3, 100))
    serial, parallel = read_runs(jobs, 1), read_runs(jobs, 2)
    assert [row["seed"] for _, row in parallel] == list(range(1, 8))
    for (tables_a, row_a), (tables_b, row_b) in zip(serial, parallel, strict=True):
        assert list(row_a) == list(row_b) and pd.Series(row_a).equals(pd.Series(row_b))  # NaN where NaN
        for name in table_columns():
            pd.testing.assert_frame_equal(tables_a[name], tables_b[name])
    # the rows are the runs' own: seed 1's final accuracy is its ensemble table's first row
    first = pd.read_csv(tmp_path / "seed-1" / "ensemble.csv")
    assert parallel[0][1]["final_accuracy"] == first["accuracy"].iloc[0]
