"""Figures: every registered family has its caption and function, and drawing
the same tables twice gives the same bytes."""

import inspect
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from snapens.evaluate.metrics import METRICS
from snapens.report import plotting
from snapens.report.figures import FAMILIES
from workflow_utils import ROOT


@pytest.mark.parametrize("name", list(FAMILIES))
def test_every_family_has_a_caption_asking_its_question_and_a_function(name):
    family = FAMILIES[name]
    caption = (ROOT / "workflow" / "report" / f"{name}.rst").read_text()
    assert re.match(r"\*\*[^*]+\?\*\*", caption), f"{name}.rst should open with its question in bold"
    params = inspect.signature(family.draw_function()).parameters
    assert list(params)[0] == "dataset"
    assert set(family.inputs) | set(family.params) <= set(params)


def runs_table():
    rng = np.random.default_rng(0)
    rows = []
    for method in ("a", "b"):
        for seed in range(1, 11):
            row = {"dataset": "d", "method": method, "seed": seed, "members": 5, "test_rows": 1000}
            for model in ("final", "ensemble"):
                for m in METRICS:
                    row[f"{model}_{m}"] = (
                        rng.integers(800, 900) / 1000 if m == "accuracy" else rng.uniform(0.1, 0.5)
                    )
            rows.append(row)
    return pd.DataFrame(rows)


def dee_table():
    inf = math.inf
    return pd.DataFrame(
        {
            "dataset": "d",
            "method": ["a", "b", "c", "ref"],
            "metric": "nll_calibrated",
            "reference": "ref",
            "reference_chosen": "",
            "selection": "",
            "reference_members": 10,
            "dee": [3.2, inf, -inf, 10.0],
            "dee_ci_low": [2.5, 8.0, -inf, 9.1],
            "dee_ci_high": [4.0, inf, 1.4, inf],
        }
    )


def sweep_table():
    """A sweep of members x lr_max: the ensemble gains clearly at M = 5, nothing at M = 1
    (not compared: a one-member ensemble is its final model)."""
    rows = []
    for members in (1, 2, 5):
        for lr in (0.01, 0.1):
            row = {
                "dataset": "d",
                "method": f"snapshot/members-{members}_lr_max-{lr:g}",
                "base": "snapshot",
                "role": "",
                "swept": "members lr_max",
                "members": members,
                "lr_max": lr,
                "repeats": 10,
                "dee_text": "n/a",
            }
            for m, metric in METRICS.items():
                sign = 1 if metric.higher_is_better else -1
                diff = {1: 0.0, 2: 0.001 * sign, 5: 0.02 * sign}[members]
                half = {1: 0.0, 2: 0.005, 5: 0.004}[members]  # M = 2: the CI covers zero
                row.update(
                    {
                        f"final_{m}_mean": 0.5,
                        f"final_{m}_ci_low": 0.45,
                        f"final_{m}_ci_high": 0.55,
                        f"ensemble_{m}_mean": 0.5 + diff,
                        f"ensemble_{m}_ci_low": 0.45 + diff,
                        f"ensemble_{m}_ci_high": 0.55 + diff,
                        f"diff_{m}_mean": diff,
                        f"diff_{m}_ci_low": diff - half,
                        f"diff_{m}_ci_high": diff + half,
                        # M = 1 is no test; M = 2 has no adjusted verdict
                        f"diff_{m}_verdict": {1: "not tested", 2: "unclear", 5: "better"}[members],
                    }
                )
            rows.append(row)
    return pd.DataFrame(rows)


def frontier_tables():
    """sweep.csv with a judged sweep and its baselines, curves.csv of the
    full-cost ensembles, limits.csv."""
    sweep = sweep_table().assign(role="judged")
    equal = sweep[sweep.members > 1].assign(
        base="equal_cost", role="equal_cost", method=lambda d: "equal_cost/" + d.method.str.split("/").str[1]
    )
    full = sweep[sweep.members == 1].assign(
        base="full_cost",
        role="full_cost",
        swept="lr_max",
        method=lambda d: "full_cost/lr_max-" + d.lr_max.map("{:g}".format),
    )
    curves = pd.DataFrame(
        [
            {"dataset": "d", "method": m, "k": k, **{f"ensemble_{n}_mean": 0.5 - 0.01 * k for n in METRICS}}
            for m in full.method
            for k in range(1, 4)
        ]
    )
    limits = pd.DataFrame([{"dataset": "d", "model": "bayes_optimal", **{n: 0.4 for n in METRICS}}])
    return pd.concat([sweep, equal, full], ignore_index=True), curves, limits


def test_frontier_draws_every_candidate_and_the_limit():
    fig = plotting.frontier("d", *frontier_tables())
    ax = fig.axes[0]
    points = [line for line in ax.get_lines() if line.get_linestyle() == "None"]
    # 6 grid points of the judged sweep (2 single, 4 ensembles) and 4 equal-cost ones
    assert len(points) == 10
    curves = [line for line in ax.get_lines() if line.get_linestyle() == "-" and len(line.get_xdata()) == 3]
    assert len(curves) == 2 and list(curves[0].get_xdata()) == [1, 2, 3]
    assert any(line.get_linestyle() == "--" for line in ax.get_lines())  # the limit


def drawn(fig, tmp_path, stem):
    return [p.read_bytes() for p in plotting.save(fig, tmp_path / stem)]


@pytest.mark.parametrize(
    "draw",
    [
        lambda: plotting.paired_differences("d", runs_table(), 0.95),
        lambda: plotting.deep_ensemble_equivalent("d", dee_table()),
        lambda: plotting.sweep_heatmap("d", sweep_table(), 0.95),
        lambda: plotting.sweep_gain("d", sweep_table(), 0.95),
        lambda: plotting.sweep_accuracy("d", sweep_table(), 0.95),
        lambda: plotting.frontier("d", *frontier_tables()),
    ],
    ids=[
        "paired_differences",
        "deep_ensemble_equivalent",
        "sweep_heatmap",
        "sweep_gain",
        "sweep_accuracy",
        "frontier",
    ],
)
def test_the_same_tables_give_the_same_bytes(draw, tmp_path):
    assert drawn(draw(), tmp_path, "first") == drawn(draw(), tmp_path, "second")


def test_censored_equivalents_are_labelled_not_drawn_as_numbers(tmp_path):
    svg = drawn(plotting.deep_ensemble_equivalent("d", dee_table()), tmp_path, "dee")[1].decode()
    assert "&gt; 10" in svg and "&lt; 1" in svg and "3.20" in svg
    assert "inf" not in svg.lower().replace("infinite", "")


def test_sweep_heatmap_marks_the_cells_without_an_adjusted_verdict(tmp_path):
    svg = drawn(plotting.sweep_heatmap("d", sweep_table(), 0.95), tmp_path, "heat")[1].decode()
    # M = 2 (no adjusted verdict) is in parentheses; M = 5 is clear; M = 1 is blank
    assert "(+0.001)" in svg and "(-0.001)" in svg and "0.000" not in svg
    assert "+0.020" in svg and "-0.020" in svg and "(+0.020)" not in svg and "(-0.020)" not in svg


def test_sweep_accuracy_with_two_schedule_keys_draws_a_panel_per_other_value():
    """members x lr_max x lr_min (with lr_min = 0): one panel per (members,
    lr_min), lines over lr_max; the x axes of 0-containing keys stay linear."""
    base = sweep_table()
    table = pd.concat(
        [base.assign(lr_min=v, swept="members lr_max lr_min") for v in (0.0, 0.001)], ignore_index=True
    )
    fig = plotting.sweep_accuracy("d", table, 0.95)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible() and ax.get_title()]
    assert titles == [f"snapshot, members {m}, lr_min {v:g}" for m in (1, 2, 5) for v in (0.0, 0.001)]
    assert all(len(line.get_xdata()) == 2 for ax in fig.axes for line in ax.get_lines())
    assert "lr_max" in fig._suptitle.get_text()
    swapped = table.assign(swept="lr_min members")  # lr_min drawn along x: it holds 0, so linear
    gain = plotting.sweep_gain("d", swapped[swapped.lr_max == 0.01], 0.95)
    assert {ax.get_xscale() for ax in gain.axes if ax.get_xlabel()} == {"log"}  # members across
    acc = plotting.sweep_accuracy("d", swapped[swapped.lr_max == 0.01], 0.95)
    assert {ax.get_xscale() for ax in acc.axes if ax.get_xlabel()} == {"linear"}


DRAW_ALL = """
import sys
{first}
from snapens.report import plotting
import test_plotting as t
scipy_loaded = "scipy" in sys.modules
learning = t.pd.DataFrame({{"dataset": "d", "method": t.np.repeat(["a", "b"], 50), "epoch": t.np.tile(t.np.arange(50), 2),
                            "lr": 0.01, "loss": t.np.linspace(1, 0.2, 100), "accuracy": t.np.linspace(0.5, 0.9, 100)}})
figures = [plotting.learning_curves("d", learning), plotting.paired_differences("d", t.runs_table(), 0.95),
           plotting.sweep_gain("d", t.sweep_table(), 0.95)]
out = [b for i, fig in enumerate(figures) for b in t.drawn(fig, t.Path(sys.argv[1]), f"fig{{i}}")]
t.Path(sys.argv[1], "scipy").write_text(str(scipy_loaded))
t.Path(sys.argv[1], "bytes").write_bytes(b"\\n---\\n".join(out))
"""


def test_figures_do_not_load_scipy_and_draw_the_same_bytes_as_seaborn_with_it(tmp_path):
    """seaborn is imported without SciPy (a figure job starts faster); the
    figures are those seaborn draws when SciPy is loaded before it."""
    import os
    import subprocess
    import sys

    here = Path(__file__).parent
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(here), str(here.parent)]),
    }  # this module, its helpers
    results = {}
    for name, first in (("without", ""), ("with", "import scipy.stats")):
        out = tmp_path / name
        out.mkdir()
        script = DRAW_ALL.format(first=first)
        res = subprocess.run(
            [sys.executable, "-c", script, str(out)],
            capture_output=True,
            text=True,
            cwd=here,
            env=env,
        )
        assert res.returncode == 0, res.stderr
        results[name] = ((out / "scipy").read_text(), (out / "bytes").read_bytes())
    assert results["without"][0] == "False" and results["with"][0] == "True"
    assert results["without"][1] == results["with"][1]


def diversity_table():
    """Two methods of 2 and 3 members with known pairwise statistics."""
    rows = []
    for method, members, base in (("a", 2, 0.1), ("b/members-3", 3, 0.4)):
        for i in range(1, members + 1):
            for j in range(1, members + 1):
                same = i == j
                rows.append(
                    {
                        "dataset": "d",
                        "method": method,
                        "i": i,
                        "j": j,
                        "disagreement_mean": 0.0 if same else base,
                        "correlation_mean": 1.0 if same else 0.9 - base,
                    }
                )
    return pd.DataFrame(rows)


def test_diversity_panels_of_a_statistic_share_one_scale_with_its_fixed_end(tmp_path):
    fig = plotting.diversity("d", diversity_table())
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 4  # 2 methods x 2 statistics
    limits = sorted({im.get_clim() for im in images})
    # disagreement from 0 to the largest (0.4); correlation from the smallest (0.5) to 1
    assert limits == [(0.0, 0.4), (0.5, 1.0)]
    bars = [ax for ax in fig.axes if not ax.images and ax.collections]
    assert len(bars) == 2  # one colour bar per statistic, not one per panel
    assert "b\nmembers-3\ndisagreement" in [ax.get_title() for ax in fig.axes]
    assert drawn(fig, tmp_path, "first") == drawn(
        plotting.diversity("d", diversity_table()), tmp_path, "second"
    )
