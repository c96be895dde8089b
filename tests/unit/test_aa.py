"""An A/A check on the study's own runs: the repeats of one method split into
two halves and compared as if they were two methods reject at about the
nominal rate (every verdict here is false).

``tests/data/aa_sweep_runs.csv`` holds the final models' and ensembles' NLL
and accuracy of every sweep grid point with 20 seeds, exported from a
finished sweep by ``python -m tools.inference_sim --aa results/sweep/tables/runs.csv
--export-aa tests/data/aa_sweep_runs.csv``. The differences of two random
halves are symmetric by construction; the runs supply what a simulation
would have to guess: heavy tails from high learning rates, accuracy counts
with ties, diverged runs.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from snapens.analyse.statistics import sign_flip
from snapens.evaluate.metrics import METRICS

FIXTURE = Path(__file__).parent.parent / "data" / "aa_sweep_runs.csv"
SPLITS = 20  # random splits of each grid point's 20 seeds


def halves_rejections(runs: pd.DataFrame, column: str, splits: int = SPLITS) -> tuple[int, int]:
    """Over every dataset x method and ``splits`` random splits of its seeds into
    two halves paired by position: sign-flip rejections at 5% and comparisons."""
    name = column.split("_", 1)[1]
    rejected = total = 0
    for key, frame in runs.groupby(["dataset", "method"], sort=True):
        frame = frame.sort_values("seed")
        if len(frame) < 20:
            continue
        values = frame[column].to_numpy(dtype=np.float64)
        units = METRICS[name].units(values, frame["test_rows"].to_numpy())
        rng = np.random.default_rng([len(frame), sum(map(ord, "/".join(key)))])
        for _ in range(splits):
            order = rng.permutation(len(frame))
            first, second = order[:10], order[10:20]
            res = sign_flip(units[first] - units[second], 1.0)
            rejected += res["p_value"] <= 0.05
            total += 1
    return rejected, total


def test_halves_of_one_method_reject_at_about_the_nominal_rate():
    runs = pd.read_csv(FIXTURE)
    assert runs.groupby(["dataset", "method"]).size().min() >= 20
    for column in ("ensemble_nll", "final_nll", "final_accuracy"):
        rejected, total = halves_rejections(runs, column)
        rate = rejected / total
        # ten pairs: an exact test rejects at most 50 of 1024 sign patterns (4.9%); ties
        # (accuracy counts) make it a little less
        assert total >= 1000 and 0.03 <= rate <= 0.06, (column, rate, total)
