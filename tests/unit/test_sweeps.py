"""Sweeps: grid expansion, names and the grid points the config refuses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from snapens.core import sweeps

BASE = {
    "members": 10,
    "ensemble": "snapshots",
    "validation_fraction": 0,
    "schedule": {"name": "cosine_epoch", "lr_max": 0.01},
}


def test_names_are_readable_and_stable():
    assert sweeps.point_name("snapshot", {"members": 10, "lr_max": 0.03}) == "snapshot/members-10_lr_max-0.03"
    assert sweeps.value_text(1e-05) == "1e-05"
    assert sweeps.value_text(0.3) == "0.3"
    assert sweeps.value_text(2) == "2"
    # a computed value that its name cannot state exactly is refused, not renamed
    problems = sweeps.axis_problems("snapshot", {"lr_max": [0.1 + 0.2]}, {"snapshot": BASE})
    assert problems == [
        "sweeps.snapshot.lr_max[0] = 0.30000000000000004: give at most 6 significant "
        "digits (its path would name it 0.3)"
    ]


def test_grid_order_and_values():
    points = sweeps.grid({"members": [1, 5], "lr_max": [0.01, 0.1, 0.3]})
    assert [(p["members"], p["lr_max"]) for p in points] == [
        (1, 0.01),
        (1, 0.1),
        (1, 0.3),
        (5, 0.01),
        (5, 0.1),
        (5, 0.3),
    ]
    spec = sweeps.apply(BASE, {"members": 5, "lr_max": 0.1})
    assert spec["members"] == 5 and spec["schedule"] == {"name": "cosine_epoch", "lr_max": 0.1}
    assert BASE["members"] == 10 and BASE["schedule"]["lr_max"] == 0.01  # the base is untouched


def test_expand_replaces_the_base_in_place():
    methods = {"a": BASE, "snapshot": BASE, "z": BASE}
    out = sweeps.expand(methods, {"snapshot": {"members": [2, 5]}})
    assert list(out) == ["a", "snapshot/members-2", "snapshot/members-5", "z"]
    assert out["snapshot/members-5"]["members"] == 5
    assert sweeps.grid_points({"snapshot": {"members": [2], "lr_max": [0.1]}}) == {
        "snapshot/members-2_lr_max-0.1": {"method": "snapshot", "members": 2, "lr_max": 0.1}
    }


def test_axis_problems_name_the_key():
    methods = {"snapshot": BASE}
    assert sweeps.axis_problems("nope", {"members": [1]}, methods) == [
        "sweeps.nope: no such method (methods: snapshot)"
    ]
    (problem,) = sweeps.axis_problems("snapshot", {"lr_min": [0.1]}, methods)
    assert problem.startswith("sweeps.snapshot.lr_min: not a parameter of methods.snapshot")
    assert "members, lr_max" in problem
    assert sweeps.axis_problems("snapshot", {"members": [2, 2]}, methods) == [
        "sweeps.snapshot.members = [2, 2]: values repeat"
    ]


def _row(members, lr, d_nll, nll_ci, d_cal, cal_ci, d_acc=0.0, acc_ci=(-0.01, 0.01)):
    row = {
        "dataset": "toy",
        "method": sweeps.point_name("snapshot", {"members": members, "lr_max": lr}),
        "base": "snapshot",
        "swept": "members lr_max",
        "members": members,
        "lr_max": lr,
        "repeats": 5,
        "dee": 2.0,
        "dee_ci_low": 1.5,
        "dee_ci_high": 2.5,
        "dee_text": "2.0 [1.5, 2.5]",
    }
    for name, d, (lo, hi) in (
        ("accuracy", d_acc, acc_ci),
        ("nll", d_nll, nll_ci),
        ("nll_calibrated", d_cal, cal_ci),
    ):
        row |= {f"diff_{name}_mean": d, f"diff_{name}_ci_low": lo, f"diff_{name}_ci_high": hi}
    return row


def test_sweep_section_marks_verdicts_and_the_share_left_after_calibration():
    """Four hand-made points: NLL gains of 0.2 (0.05 of it left calibrated: share
    0.25), 0.1 (all left: 1.00), one covering zero (no share) and one worse."""
    from snapens.analyse.summary import _sweep_section, calibration_share

    sweep = pd.DataFrame(
        [
            _row(1, 0.01, -0.2, (-0.3, -0.1), -0.05, (-0.08, -0.02)),
            _row(5, 0.01, -0.1, (-0.15, -0.05), -0.1, (-0.2, -0.01), 0.02, (0.01, 0.03)),
            _row(1, 0.1, -0.01, (-0.05, 0.03), 0.0, (-0.01, 0.01)),
            _row(5, 0.1, 0.04, (0.01, 0.07), 0.03, (0.01, 0.05)),
        ]
    )
    shares = [calibration_share(r) for _, r in sweep.iterrows()]
    assert shares[:2] == [pytest.approx(0.25), pytest.approx(1.0)]
    assert np.isnan(shares[2]) and np.isnan(shares[3])
    text = "\n".join(_sweep_section(sweep, "toy", 95))
    assert "#### snapshot: NLL (lower is better), columns: members" in text
    assert "| 0.01 | -0.2000+ | -0.1000+ |" in text  # better: CI below zero
    assert "| 0.1 | -0.0100 | +0.0400- |" in text  # covers zero; worse
    assert "| 0.01 | +0.0000 | +0.0200+ |" in text  # accuracy, higher is better
    assert "| 0.01 | 0.25 | 1.00 |" in text and "| 0.1 |  |  |" in text
    assert "Sweep of ``snapshot`` on toy (4 grid points, 5 repeats each)" in text
    assert "in NLL at 2 of 4 (lr_max 0.01: members 1, 5), worse at 1 (lr_max 0.1: members 5)" in text


def test_every_table_and_figure_puts_members_across():
    assert sweeps.axes("lr_max members") == ("members", ["lr_max"])
    assert sweeps.axes(["lr_max", "lr_min"]) == ("lr_max", ["lr_min"])
    assert sweeps.label(["lr_max", "members"], (0.01, 5)) == "lr_max 0.01, members 5"
    from snapens.analyse.summary import _sweep_section

    # lr_max listed first in the config: the summary's columns are still M
    sweep = pd.DataFrame(
        [_row(m, lr, -0.1, (-0.2, -0.01), -0.1, (-0.2, -0.01)) for lr in (0.01, 0.1) for m in (5, 1)]
    ).assign(swept="lr_max members")
    text = "\n".join(_sweep_section(sweep, "toy", 95))
    assert "#### snapshot: NLL (lower is better), columns: members" in text
    assert "| lr_max | 1 | 5 |" in text
