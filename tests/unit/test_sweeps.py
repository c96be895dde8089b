"""Sweeps: grid expansion, names and the grid points the config refuses."""

from __future__ import annotations

import pandas as pd

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


def _row(members, lr, d_nll, v_nll, d_cal, v_cal, d_acc=0.0, v_acc="unclear"):
    """A sweep.csv row with its ensemble-vs-final differences and verdicts (a
    one-member point is not tested)."""
    row = {
        "dataset": "toy",
        "method": sweeps.point_name("snapshot", {"members": members, "lr_max": lr}),
        "base": "snapshot",
        "role": "",
        "swept": "members lr_max",
        "members": members,
        "lr_max": lr,
        "repeats": 5,
        "dee": 2.0,
        "dee_ci_low": 1.5,
        "dee_ci_high": 2.5,
        "dee_text": "2.0 [1.5, 2.5]",
    }
    for name, d, v in (
        ("accuracy", d_acc, v_acc),
        ("nll_capped", d_nll, v_nll),
        ("nll_calibrated_capped", d_cal, v_cal),
    ):
        row |= {
            f"diff_{name}_mean": 0.0 if members == 1 else d,
            f"diff_{name}_verdict": "not tested" if members == 1 else v,
        }
    return row


def test_sweep_section_marks_the_adjusted_verdicts_and_leaves_one_member_points_out():
    from snapens.analyse.sweep_text import sweep_section

    sweep = pd.DataFrame(
        [
            _row(1, 0.01, 0, "", 0, ""),
            _row(2, 0.01, -0.2, "better", -0.05, "better"),
            _row(5, 0.01, -0.1, "better", -0.1, "better", 0.02, "better"),
            _row(1, 0.1, 0, "", 0, ""),
            _row(2, 0.1, -0.01, "unclear", 0.0, "unclear"),
            _row(5, 0.1, 0.04, "worse", 0.03, "worse"),
        ]
    )
    text = "\n".join(sweep_section(sweep, "toy", 95))
    assert "#### snapshot vs its own final model: capped NLL (lower is better), columns: members" in text
    # no intervals in these rows: the number rule's fallback of 3 decimals; zero unsigned
    assert "| 0.01 |  | -0.200+ | -0.100+ |" in text  # better; members 1 not compared
    assert "| 0.1 |  | -0.010 | +0.040- |" in text  # unclear; worse
    assert "| 0.01 |  | 0.000 | +0.020+ |" in text  # accuracy, higher is better
    assert "``snapshot`` on toy (4 grid points with more than one member, 5 repeats each)" in text
    assert "in capped NLL at 2 of 4 (lr_max 0.01: members 2, 5), worse at 1 (lr_max 0.1: members 5)" in text
    assert "share" not in text  # the calibration share had no interval: it is gone


def test_every_table_and_figure_puts_members_across():
    assert sweeps.axes("lr_max members") == ("members", ["lr_max"])
    assert sweeps.axes(["lr_max", "lr_min"]) == ("lr_max", ["lr_min"])
    assert sweeps.label(["lr_max", "members"], (0.01, 5)) == "lr_max 0.01, members 5"
    from snapens.analyse.sweep_text import sweep_section

    # lr_max listed first in the config: the summary's columns are still M
    sweep = pd.DataFrame(
        [_row(m, lr, -0.1, "better", -0.1, "better") for lr in (0.01, 0.1) for m in (5, 1)]
    ).assign(swept="lr_max members")
    text = "\n".join(sweep_section(sweep, "toy", 95))
    assert "#### snapshot vs its own final model: capped NLL (lower is better), columns: members" in text
    assert "| lr_max | 1 | 5 |" in text


def test_a_family_that_cannot_call_the_ensemble_worse_than_the_best_single_model_says_so():
    from snapens.analyse.sweep_text import sweep_sentences

    def point(members, lr, repeats):
        row = _row(members, lr, -0.01, "unclear", -0.01, "unclear") | {"role": "judged", "repeats": repeats}
        for name in ("accuracy", "nll_capped", "nll_calibrated_capped"):
            row |= {
                f"vs_single_{name}_mean": -0.01,
                f"vs_single_{name}_verdict": "" if members == 1 else "unclear",
            }
            row[f"vs_single_{name}_chosen"] = "lr_max 0.01"
        return row

    rates = (0.003, 0.01, 0.03, 0.1, 0.3)

    def text(repeats):
        rows = [point(1, lr, repeats) for lr in rates] + [point(m, 0.01, repeats) for m in (2, 5)]
        return " ".join(sweep_sentences(pd.DataFrame(rows), "toy"))

    # worse than one of 5 rates in a family of 2: each test at 0.05 / 10, which 2 / 2**n reaches at n = 9
    assert (
        'no "worse" verdict is possible at 8 repeats (worse than one of 5 rates, a family of 2 needs 9'
        in text(8)
    )
    assert 'no "worse" verdict' not in text(9)
