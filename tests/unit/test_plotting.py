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
from snapens.report.dee import deep_ensemble_equivalent, reference_name
from snapens.report.figures import DRAWING_MODULES, FAMILIES
from snapens.report.frontier import frontier
from snapens.report.members import decision_regions, diversity
from snapens.report.runs import learning_curves, lr_schedules, methods, paired_differences, tutorial
from snapens.report.style import method_styles, save
from snapens.report.sweeps import sweep_accuracy, sweep_gain, sweep_heatmap
from workflow_utils import ROOT


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


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
    fig = frontier("d", *frontier_tables())
    ax = fig.axes[0]
    points = [line for line in ax.get_lines() if line.get_linestyle() == "None"]
    # 6 grid points of the judged sweep (2 single, 4 ensembles) and 4 equal-cost ones
    assert len(points) == 10
    curves = [line for line in ax.get_lines() if line.get_linestyle() == "-" and len(line.get_xdata()) == 3]
    assert len(curves) == 2 and list(curves[0].get_xdata()) == [1, 2, 3]
    assert any(line.get_linestyle() == "--" for line in ax.get_lines())  # the limit


def drawn(fig, tmp_path, stem):
    return [p.read_bytes() for p in save(fig, tmp_path / stem)]


@pytest.mark.parametrize(
    "draw",
    [
        lambda: paired_differences("d", runs_table(), 0.95),
        lambda: deep_ensemble_equivalent("d", dee_table()),
        lambda: sweep_heatmap("d", sweep_table(), 0.95),
        lambda: sweep_gain("d", sweep_table(), 0.95),
        lambda: sweep_accuracy("d", sweep_table(), 0.95),
        lambda: frontier("d", *frontier_tables()),
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
    svg = drawn(deep_ensemble_equivalent("d", dee_table()), tmp_path, "dee")[1].decode()
    assert "&gt; 10" in svg and "&lt; 1" in svg and "3.20" in svg
    assert "inf" not in svg.lower().replace("infinite", "")


def test_sweep_heatmap_marks_the_cells_without_an_adjusted_verdict(tmp_path):
    fig = sweep_heatmap("d", sweep_table(), 0.95)
    cells = {
        ax.get_title().split(":\n")[1]: sorted({t.get_text() for t in ax.texts})
        for ax in fig.axes
        if ax.texts
    }
    # M = 2 (no adjusted verdict) is in parentheses; M = 5 is clear; M = 1 is blank (no "+0.0");
    # accuracy in percentage points (+0.001 is +0.1), the NLLs in nats
    assert cells == {
        "accuracy (higher is better)": ["(+0.1)", "+2.0"],
        "capped NLL (lower is better)": ["(-0.001)", "-0.020"],
        "capped calibrated NLL (lower is better)": ["(-0.001)", "-0.020"],
    }
    svg = drawn(fig, tmp_path, "heat")[1].decode()
    assert "(+0.1)" in svg and "accuracy (percentage points)" in svg and "capped NLL (nats)" in svg


def test_sweep_accuracy_with_two_schedule_keys_draws_a_panel_per_other_value():
    """members x lr_max x lr_min (with lr_min = 0): one panel per (members,
    lr_min), lines over lr_max; the x axes of 0-containing keys stay linear."""
    base = sweep_table()
    table = pd.concat(
        [base.assign(lr_min=v, swept="members lr_max lr_min") for v in (0.0, 0.001)], ignore_index=True
    )
    fig = sweep_accuracy("d", table, 0.95)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible() and ax.get_title()]
    assert titles == [f"snapshot, members {m}, lr_min {v:g}" for m in (1, 2, 5) for v in (0.0, 0.001)]
    assert all(len(line.get_xdata()) == 2 for ax in fig.axes for line in ax.get_lines())
    assert "lr_max" in fig._suptitle.get_text()
    swapped = table.assign(swept="lr_min members")  # lr_min drawn along x: it holds 0, so linear
    gain = sweep_gain("d", swapped[swapped.lr_max == 0.01], 0.95)
    assert {ax.get_xscale() for ax in gain.axes if ax.get_xlabel()} == {"log"}  # members across
    acc = sweep_accuracy("d", swapped[swapped.lr_max == 0.01], 0.95)
    assert {ax.get_xscale() for ax in acc.axes if ax.get_xlabel()} == {"linear"}


DRAW_ALL = """
import sys
{first}
import test_plotting as t
scipy_loaded = "scipy" in sys.modules
learning = t.pd.DataFrame({{"dataset": "d", "method": t.np.repeat(["a", "b"], 50), "epoch": t.np.tile(t.np.arange(50), 2),
                            "lr": 0.01, "loss": t.np.linspace(1, 0.2, 100), "accuracy": t.np.linspace(0.5, 0.9, 100)}})
figures = [t.learning_curves("d", learning), t.paired_differences("d", t.runs_table(), 0.95),
           t.sweep_gain("d", t.sweep_table(), 0.95)]
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
    fig = diversity("d", diversity_table())
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 4  # 2 methods x 2 statistics
    limits = sorted({im.get_clim() for im in images})
    # disagreement from 0 to the largest (0.4); correlation from the smallest (0.5) to 1
    assert limits == [(0.0, 0.4), (0.5, 1.0)]
    bars = [ax for ax in fig.axes if not ax.images and ax.collections]
    assert len(bars) == 2  # one colour bar per statistic, not one per panel
    # each pair of panels under its method's name, each panel titled with its statistic
    assert [t.get_text() for t in fig.texts if t is not fig._suptitle] == ["a", "b/members-3"]
    assert [ax.get_title() for ax in fig.axes if ax.images] == ["disagreement", "correlation"] * 2
    assert drawn(fig, tmp_path, "first") == drawn(diversity("d", diversity_table()), tmp_path, "second")


# --- every family from small tables: readable (snapens.report.layout), and what the issue asked


def learning_table():
    """Four methods; a and b train alike (the same curves: both must show)."""
    epochs = np.arange(60)
    frames = []
    for method, lr in (("a", 0.01), ("b", 0.01), ("c", 0.02), ("d", 0.005)):
        frames.append(
            pd.DataFrame(
                {
                    "dataset": "d",
                    "method": method,
                    "epoch": epochs,
                    "lr": lr * (1 + np.cos(np.pi * (epochs % 20) / 20)) / 2,
                    "loss": 1.2 * np.exp(-epochs / (30 if method in "ab" else 20)) + 0.25,
                    "accuracy": 0.9 - 0.5 * np.exp(-epochs / 10),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def curves_table():
    rows = []
    for method in ("a", "b", "c"):
        for k in range(1, 6):
            row = {"dataset": "d", "method": method, "k": k}
            for kind, level in (("single", 0.8 - 0.01 * k), ("ensemble", 0.82)):
                row |= {
                    f"{kind}_accuracy_mean": level,
                    f"{kind}_accuracy_ci_low": level - 0.01,
                    f"{kind}_accuracy_ci_high": level + 0.01,
                }
            rows.append(row)
    return pd.DataFrame(rows)


def summary_table():
    rows = []
    for i, method in enumerate(("a", "b/members-3_lr_max-0.1", "c")):
        row = {"dataset": "d", "method": method}
        for j, model in enumerate(("final", "ensemble", "swa", "swa_tail", "weighted")):
            for name in METRICS:
                value = np.nan if (model == "weighted" and method != "a") else 0.4 + 0.01 * (i + j)
                row |= {
                    f"{model}_{name}_mean": value,
                    f"{model}_{name}_ci_low": value - 0.005,
                    f"{model}_{name}_ci_high": value + 0.005,
                }
        rows.append(row)
    return pd.DataFrame(rows)


def decision_grid():
    """Two methods of three members and one of a single member (its ensemble is its final model)."""
    x, y = np.meshgrid(np.linspace(-3, 3, 40), np.linspace(-3, 3, 40))
    names, probs = [], []
    for method, shift in (("a", 0.0), ("b", 0.5), ("c", 0.0)):
        for what, extra in (("final model", 0.0), (f"ensemble of {1 if method == 'c' else 3}", 0.3)):
            logits = np.stack(
                [x.ravel(), y.ravel() + shift + (0 if method == "c" else extra), -x.ravel()], axis=1
            )
            p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
            names.append(f"{method}: {what}")
            probs.append(p)
    rng = np.random.default_rng(0)
    return {
        "names": np.array(names),
        "probs": np.array(probs, dtype=np.float32),
        "seed": np.array(7),
        "grid_x": x.astype(np.float32),
        "grid_y": y.astype(np.float32),
        "X_test": rng.normal(size=(100, 2)).astype(np.float32),
        "y_test": rng.integers(0, 3, 100),
    }


def schedules():
    records = {
        "snapshot": {"schedule": {"name": "cosine_epoch", "lr_max": 0.01}, "members": 5},
        "constant": {"schedule": {"name": "constant", "lr": 0.01}, "members": 5},
        "independent": {
            "schedule": {"name": "step_decay", "lr": 0.01, "factor": 0.1, "milestones": [0.5, 0.75]},
            "members": 5,
            "ensemble": "independent",
        },
    }
    for record in records.values():
        record.setdefault("ensemble", "snapshots")
        record["steps_per_epoch"] = 4
        record["epochs"] = 50
    return {"epochs": 50, "methods": records}


STUDY = {"config": {"methods": {"ref": {"schedule": {"name": "cosine_epoch", "lr_max": 0.05}}}}}

DRAWINGS = {
    "lr_schedules": lambda: lr_schedules("d", schedules()),
    "learning_curves": lambda: learning_curves("d", learning_table()),
    "tutorial": lambda: tutorial("d", curves_table(), 0.95),
    "paired_differences": lambda: paired_differences("d", runs_table(), 0.95),
    "diversity": lambda: diversity("d", diversity_table()),
    "methods": lambda: methods("d", summary_table(), 0.95),
    "deep_ensemble_equivalent": lambda: deep_ensemble_equivalent("d", dee_table(), STUDY),
    "decision_regions": lambda: decision_regions("d", decision_grid()),
    "sweep_heatmap": lambda: sweep_heatmap("d", sweep_table(), 0.95),
    "sweep_gain": lambda: sweep_gain("d", sweep_table(), 0.95),
    "sweep_accuracy": lambda: sweep_accuracy("d", sweep_table(), 0.95),
    "frontier": lambda: frontier("d", *frontier_tables()),
}


def test_every_drawing_module_is_a_library_input_of_the_plot_rules():
    """An edit of a drawing function reruns the figure jobs: the plot rules'
    library (snapens.plan.sources, from rule_plot's imports) holds every
    module the registry draws with."""
    from snapens.plan.sources import sources

    library = {path.split("snapens/")[1] for path in sources("snapens.report.rule_plot")}
    assert {family.module for family in FAMILIES.values()} <= set(DRAWING_MODULES)
    assert {f"report/{module}.py" for module in (*DRAWING_MODULES, "style")} <= library


def test_a_family_names_a_module_of_drawing_functions_or_its_function():
    from snapens.report.figures import Family, register

    with pytest.raises(ValueError, match="module must be one of"):
        register(Family("nowhere", "Nowhere", module="plotting"))
    assert "nowhere" not in FAMILIES


def test_every_family_is_drawn_here():
    assert set(DRAWINGS) == set(FAMILIES)


@pytest.mark.parametrize("name", list(DRAWINGS))
def test_every_family_reads_without_overlaps_empty_axes_or_excess_width(name):
    """The same check every plot job runs (tests/workflow run it strict on the tiny studies)."""
    from snapens.report import layout

    assert layout.problems(DRAWINGS[name]()) == []


def test_a_dataset_of_a_family_with_nothing_to_draw_says_so_and_passes_the_check():
    from snapens.report import layout

    for fig in (
        sweep_heatmap("other", sweep_table(), 0.95),
        sweep_gain("other", sweep_table(), 0.95),
        sweep_accuracy("other", sweep_table(), 0.95),
        frontier("other", *frontier_tables()),
        deep_ensemble_equivalent("other", dee_table()),
        diversity("d", diversity_table()[diversity_table().method == "zzz"]),
    ):
        assert layout.problems(fig) == []
        assert any(t.get_text() for ax in fig.axes for t in ax.texts)


def test_every_method_has_its_own_colour_line_style_and_marker_in_every_family():
    """learning_curves: a and b draw the same curves, told apart by line style
    and markers; the colours are those paired_differences gives the methods."""
    fig = learning_curves("d", learning_table())
    lines = {line.get_label(): line for line in fig.axes[1].get_lines()}
    assert list(lines) == ["a", "b", "c", "d"]
    styles = {(line.get_color(), line.get_linestyle(), line.get_marker()) for line in lines.values()}
    assert len(styles) == 4 and len({s[0] for s in styles}) == 4 and len({s[1] for s in styles}) == 4
    assert lines["a"].get_markevery() != lines["b"].get_markevery()  # markers shifted, never stacked
    assert fig.axes[2].get_legend() is not None  # beside the panels, outside the data
    styles = method_styles(["a", "b", "b/members-3_lr_max-0.1", "c"])
    assert styles["b/members-3_lr_max-0.1"] == styles["b"] != styles["a"]
    pairs = paired_differences("d", runs_table(), 0.95)
    from matplotlib.colors import to_hex

    drawn_colors = [
        to_hex(c.get_facecolor()[0]) for c in pairs.axes[0].collections if len(c.get_offsets()) == 10
    ]
    assert drawn_colors[:2] == [to_hex(lines["a"].get_color()), to_hex(lines["b"].get_color())]


def test_difference_axes_name_the_metric_and_its_unit():
    fig = paired_differences("d", runs_table(), 0.95)
    labels = [ax.get_xlabel().replace("\n", " ") for ax in fig.axes]
    assert labels[0] == "ensemble \u2212 final, accuracy (percentage points)"
    assert "ensemble \u2212 final, NLL (nats)" in labels
    assert all(label.endswith(")") for label in labels)
    gain = sweep_gain("d", sweep_table(), 0.95)
    assert [ax.get_ylabel().replace("\n", " ") for ax in gain.axes][:2] == [
        "ensemble \u2212 final, accuracy (percentage points)",
        "ensemble \u2212 final, capped NLL (nats)",
    ]
    # drawn in those units: +0.02 of accuracy is +2 percentage points
    assert max(np.max(line.get_ydata()) for line in gain.axes[0].get_lines()) == pytest.approx(2.0)


def test_the_deep_ensemble_equivalent_follows_the_identifiability_rule_and_names_its_reference():
    table = dee_table().assign(identified=["yes", "yes", "no", "yes"], reference_gain=0.0123)
    table["reference_chosen"] = np.nan  # as read back from an empty CSV cell
    fig = deep_ensemble_equivalent("d", table, STUDY)
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("not identifiable") == 1 and "< 1" not in texts  # c is not identified: no number
    assert "reference: ref at lr_max 0.05" in ax.get_title() and "nan" not in ax.get_title()
    assert "gains 0.0123 nats" in ax.get_title()
    # without the study's config the reference is named without a rate, never "at nan"
    title = deep_ensemble_equivalent("d", table).axes[0].get_title()
    assert "reference: ref\n" in title + "\n" and "nan" not in title
    nothing = deep_ensemble_equivalent("d", table.assign(identified="no"), STUDY)
    assert "Not identifiable for any method on d" in nothing.axes[0].texts[0].get_text()


def test_a_dataset_without_deep_ensemble_equivalent_says_why_from_the_tables():
    elsewhere = deep_ensemble_equivalent("e", dee_table()).axes[0].texts[0].get_text()
    assert "none of its methods trains independent members" in elsewhere.replace("\n", " ")
    assert "ref (on d), was not run on e" in elsewhere.replace("\n", " ")
    none = deep_ensemble_equivalent("e", dee_table().iloc[:0]).axes[0].texts[0].get_text()
    assert "no method of this study trains independent members" in none.replace("\n", " ")


def test_decision_regions_show_where_the_ensemble_differs_with_a_class_legend():
    fig = decision_regions("d", decision_grid())
    panels = [ax for ax in fig.axes if ax.collections]
    assert len(panels) == 2  # a and b; c has one member: its ensemble is its final model
    assert panels[0].get_title().startswith("a\nthe ensemble of 3 differs on")
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[:3] == [f"class {c}: final model's region" for c in range(3)]
    assert "the ensemble predicts another class" in legend
    assert "left out: 1 method of one member" in fig._suptitle.get_text()


def test_frontier_ticks_only_the_costs_drawn_and_keeps_its_legend_off_the_panels():
    fig = frontier("d", *frontier_tables())
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "3"]
    assert ax.get_xlim()[1] < 3.5 and all(a.get_legend() is None for a in fig.axes) and fig.legends


def test_methods_wraps_its_metrics_into_rows_of_four():
    fig = methods("d", summary_table(), 0.95)
    columns = {round(ax.get_position().x0, 3) for ax in fig.axes}
    assert len(fig.axes) == len(METRICS) and len(columns) == min(4, len(METRICS))


def test_the_reference_is_named_with_the_rate_chosen_or_the_single_one_configured():
    row = dee_table().iloc[0]
    chosen = row.copy()
    chosen["reference_chosen"], chosen["selection"] = "lr_max 0.1", "cross-fit: chosen on the odd seeds"
    assert reference_name(chosen, None) == "ref at lr_max 0.1 (chosen on the odd seeds and one test fold)"
    one_rate = {
        "config": {"methods": {"ref": {"schedule": {"lr_max": 0.01}}}, "sweeps": {"ref": {"lr_max": [0.3]}}}
    }
    assert reference_name(row, one_rate) == "ref at lr_max 0.3"  # the swept value, not the base's
    two_rates = {
        "config": {
            "methods": {"ref": {"schedule": {"lr_max": 0.01}}},
            "sweeps": {"ref": {"lr_max": [0.1, 0.3]}},
        }
    }
    assert reference_name(row, two_rates) == "ref"  # nothing chosen among two: no rate to name
    assert reference_name(row, STUDY) == "ref at lr_max 0.05"
