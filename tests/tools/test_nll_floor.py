"""tools/nll_floor.py: the floored NLL against hand-computed values."""

import math

import numpy as np
import pandas as pd
import pytest

from snapens.analyse.comparisons import PAIRED_KEYS
from snapens.evaluate.scores import EPS
from tools import nll_floor


def test_floored_values_are_the_hand_computed_ones():
    # two members, two rows, both of class 0; the final member gives row 0's
    # true class probability 0, which the floor turns into -log(eps) = 36.04 nats
    probs = np.array(
        [
            [[1.0, 0.0], [1.0, 0.0]],
            [[0.0, 1.0], [0.5, 0.5]],
        ],
        dtype=np.float32,
    )
    y = np.array([0, 0])
    out = nll_floor.floored_values(probs, y, {"ece_bins": 15})
    assert out["final_nll"] == pytest.approx((-math.log(EPS) - math.log(0.5)) / 2, rel=1e-12)
    # the ensemble: [0.5, 0.5] and [0.75, 0.25]
    assert out["ensemble_nll"] == pytest.approx((math.log(2) - math.log(0.75)) / 2, rel=1e-12)
    assert out["final_nll_even"] == pytest.approx(-math.log(EPS), rel=1e-12)  # row 0 alone
    assert out["final_nll_odd"] == pytest.approx(math.log(2), rel=1e-12)


def test_changed_runs_and_verdict_changes_count_only_real_differences():
    exact = pd.DataFrame(
        {"dataset": ["d"] * 3, "method": ["m"] * 3, "final_nll": [1.0, 2.0, 3.0], "ensemble_nll": [0.5] * 3}
    )
    floored = exact.copy()
    floored.loc[1, "final_nll"] = 2.5  # the floor bound on one run
    floored.loc[2, "final_nll"] = 3.0 + 1e-8  # float32 rounding: not a change
    changed = nll_floor.changed_runs(exact, floored)
    assert changed.to_dict("records") == [
        {"dataset": "d", "method": "m", "model": "final", "runs_changed": 1, "largest_change": 0.5}
    ]
    keys = {k: "x" for k in PAIRED_KEYS} | {"a_model": "ensemble", "b_model": "final"}
    a = pd.DataFrame(
        [
            {**keys, "metric": "nll", "verdict": "better"},
            {**keys, "metric": "accuracy", "verdict": "better"},
            {**keys, "a_model": "swa", "metric": "nll", "verdict": "better"},
        ]
    )
    b = a.copy()
    # all three differ, but accuracy is not an NLL metric and swa keeps its exact values
    b.loc[:, "verdict"] = "unclear"
    counts, rows = nll_floor.verdict_changes(a, b)
    assert counts[["metric", "tests", "verdicts_changed"]].to_dict("records") == [
        {"metric": "nll", "tests": 1, "verdicts_changed": 1}
    ]
    assert len(rows) == 1


def test_study_points_are_named_as_the_runs_whatever_the_key_order():
    # study.json keeps the config with sorted keys: lr_max before members
    sweeps = {"snapshot": {"lr_max": [0.1], "members": [1, 3]}}
    methods = ["snapshot/members-1_lr_max-0.1", "snapshot/members-3_lr_max-0.1", "other"]
    points = nll_floor.study_points(sweeps, methods)
    assert sorted(points) == methods[:2]
    assert points["snapshot/members-3_lr_max-0.1"] == {"method": "snapshot", "lr_max": 0.1, "members": 3}
