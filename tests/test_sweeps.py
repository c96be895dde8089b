"""Sweeps: grid expansion, names and the grid points the config refuses."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from snapens import sweeps
from workflow_utils import expected_figures, job_counts, snakemake, tiny_config

BASE = {"members": 10, "ensemble": "snapshots", "validation_fraction": 0,
        "schedule": {"name": "cosine_epoch", "lr_max": 0.01}}


def test_names_are_readable_and_stable():
    assert sweeps.point_name("snapshot", {"members": 10, "lr_max": 0.03}) == "snapshot/members-10_lr_max-0.03"
    assert sweeps.value_text(1e-05) == "1e-05"
    assert sweeps.value_text(0.3) == "0.3"
    assert sweeps.value_text(2) == "2"
    # a computed value that its name cannot state exactly is refused, not renamed
    problems = sweeps.axis_problems("snapshot", {"lr_max": [0.1 + 0.2]}, {"snapshot": BASE})
    assert problems == ["sweeps.snapshot.lr_max[0] = 0.30000000000000004: give at most 6 significant "
                        "digits (its path would name it 0.3)"]


def test_grid_order_and_values():
    points = sweeps.grid({"members": [1, 5], "lr_max": [0.01, 0.1, 0.3]})
    assert [(p["members"], p["lr_max"]) for p in points] == [
        (1, 0.01), (1, 0.1), (1, 0.3), (5, 0.01), (5, 0.1), (5, 0.3)]
    spec = sweeps.apply(BASE, {"members": 5, "lr_max": 0.1})
    assert spec["members"] == 5 and spec["schedule"] == {"name": "cosine_epoch", "lr_max": 0.1}
    assert BASE["members"] == 10 and BASE["schedule"]["lr_max"] == 0.01  # the base is untouched


def test_expand_replaces_the_base_in_place():
    methods = {"a": BASE, "snapshot": BASE, "z": BASE}
    out = sweeps.expand(methods, {"snapshot": {"members": [2, 5]}})
    assert list(out) == ["a", "snapshot/members-2", "snapshot/members-5", "z"]
    assert out["snapshot/members-5"]["members"] == 5
    assert sweeps.grid_points({"snapshot": {"members": [2], "lr_max": [0.1]}}) == {
        "snapshot/members-2_lr_max-0.1": {"method": "snapshot", "members": 2, "lr_max": 0.1}}


def test_axis_problems_name_the_key():
    methods = {"snapshot": BASE}
    assert sweeps.axis_problems("nope", {"members": [1]}, methods) == [
        "sweeps.nope: no such method (methods: snapshot)"]
    (problem,) = sweeps.axis_problems("snapshot", {"lr_min": [0.1]}, methods)
    assert problem.startswith("sweeps.snapshot.lr_min: not a parameter of methods.snapshot")
    assert "members, lr_max" in problem
    assert sweeps.axis_problems("snapshot", {"members": [2, 2]}, methods) == [
        "sweeps.snapshot.members = [2, 2]: values repeat"]


def _row(members, lr, d_nll, nll_ci, d_cal, cal_ci, d_acc=0.0, acc_ci=(-0.01, 0.01)):
    row = {"dataset": "toy", "method": sweeps.point_name("snapshot", {"members": members, "lr_max": lr}),
           "base": "snapshot", "swept": "members lr_max", "members": members, "lr_max": lr,
           "repeats": 5, "dee": 2.0, "dee_ci_low": 1.5, "dee_ci_high": 2.5, "dee_text": "2.0 [1.5, 2.5]"}
    for name, d, (lo, hi) in (("accuracy", d_acc, acc_ci), ("nll", d_nll, nll_ci),
                              ("nll_calibrated", d_cal, cal_ci)):
        row |= {f"diff_{name}_mean": d, f"diff_{name}_ci_low": lo, f"diff_{name}_ci_high": hi}
    return row


def test_sweep_section_marks_verdicts_and_the_share_left_after_calibration():
    """Four hand-made points: NLL gains of 0.2 (0.05 of it left calibrated: share
    0.25), 0.1 (all left: 1.00), one covering zero (no share) and one worse."""
    from snapens.reporting import _sweep_section, calibration_share

    sweep = pd.DataFrame([
        _row(1, 0.01, -0.2, (-0.3, -0.1), -0.05, (-0.08, -0.02)),
        _row(5, 0.01, -0.1, (-0.15, -0.05), -0.1, (-0.2, -0.01), 0.02, (0.01, 0.03)),
        _row(1, 0.1, -0.01, (-0.05, 0.03), 0.0, (-0.01, 0.01)),
        _row(5, 0.1, 0.04, (0.01, 0.07), 0.03, (0.01, 0.05)),
    ])
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
    from snapens.reporting import _sweep_section

    # lr_max listed first in the config: the summary's columns are still M
    sweep = pd.DataFrame([_row(m, lr, -0.1, (-0.2, -0.01), -0.1, (-0.2, -0.01)) for lr in (0.01, 0.1)
                          for m in (5, 1)]).assign(swept="lr_max members")
    text = "\n".join(_sweep_section(sweep, "toy", 95))
    assert "#### snapshot: NLL (lower is better), columns: members" in text
    assert "| lr_max | 1 | 5 |" in text


# --- end to end: a tiny sweep on blobs and on MNIST-1D with its own settings ---------

SWEEP_POINTS = [f"snapshot/members-{m}_lr_max-{lr}" for m in (1, 3) for lr in ("0.01", "0.1")]


def sweep_config() -> dict:
    config = tiny_config()
    config["datasets"]["mnist1d"] = {"kind": "mnist1d", "model": {"hidden_units": 6},
                                     "training": {"epochs": 3}}
    config["methods"] = {m: config["methods"][m] for m in ("snapshot", "independent")}
    config["sweeps"] = {"snapshot": {"members": [1, 3], "lr_max": [0.01, 0.1]}}
    config["evaluation"]["bootstrap"] = 200
    return config


@pytest.fixture(scope="module")
def sweep_study(tmp_path_factory):
    work = tmp_path_factory.mktemp("sweep")
    res = snakemake(work, sweep_config(), "--cores", "2")
    assert res.returncode == 0, res.stdout + res.stderr
    return work / "results"


def test_dry_run_names_every_grid_point(tmp_path):
    res = snakemake(tmp_path, sweep_config(), "-n")
    assert res.returncode == 0, res.stderr
    out = res.stdout + res.stderr
    for point in SWEEP_POINTS:
        assert f"method={point}" in out, point
    # a train job per dataset x method (grid points and independent); nothing written
    assert job_counts(out)["train"] == 2 * (len(SWEEP_POINTS) + 1)
    assert not (tmp_path / "results").exists()


@pytest.mark.slow
def test_each_grid_point_is_a_method_with_readable_paths(sweep_study):
    for dataset in ("blobs", "mnist1d"):
        for point in SWEEP_POINTS:
            members = int(point.split("members-")[1].split("_")[0])
            for seed in (7, 8):
                run = sweep_study / "runs" / dataset / point / f"seed-{seed}"
                snaps = sorted(p.name for p in (run / "snapshots").glob("*.keras"))
                assert snaps == [f"snapshot-{i:02d}.keras" for i in range(1, members + 1)], run
                meta = json.loads((run / "run.json").read_text())
                assert meta["config"]["method_config"]["members"] == members
                assert meta["config"]["method_config"]["schedule"]["lr_max"] == float(point.split("lr_max-")[1])
    # MNIST-1D runs with its own width and epochs, blobs with the study's
    meta = json.loads((sweep_study / "runs/mnist1d/independent/seed-7/run.json").read_text())
    assert meta["config"]["model"]["hidden_units"] == 6 and meta["config"]["training"]["epochs"] == 3
    training = pd.read_csv(sweep_study / "runs/mnist1d/snapshot/members-3_lr_max-0.1/seed-7/training.csv")
    assert list(training["epoch"]) == [0, 1, 2]
    training = pd.read_csv(sweep_study / "runs/blobs/snapshot/members-3_lr_max-0.1/seed-7/training.csv")
    assert len(training) == 12


@pytest.mark.slow
def test_sweep_table_agrees_with_the_runs_own_tables(sweep_study):
    sweep = pd.read_csv(sweep_study / "tables" / "sweep.csv")
    assert len(sweep) == 2 * len(SWEEP_POINTS)
    assert set(sweep["method"]) == set(SWEEP_POINTS) and set(sweep["base"]) == {"snapshot"}
    assert set(sweep["swept"]) == {"members lr_max"}
    for _, row in sweep.iterrows():
        # recomputed from each seed's ensemble.csv: k = 1 is the final model, k = M the ensemble
        diffs, finals = {}, {}
        for seed in (7, 8):
            ens = pd.read_csv(sweep_study / "runs" / row.dataset / row.method / f"seed-{seed}" / "ensemble.csv")
            assert len(ens) == row.members == row["members"]
            for name in ("accuracy", "nll", "nll_calibrated"):
                diffs.setdefault(name, []).append(ens[name].iloc[-1] - ens[name].iloc[0])
                finals.setdefault(name, []).append(ens[name].iloc[0])
        for name in ("accuracy", "nll", "nll_calibrated"):
            assert row[f"diff_{name}_mean"] == pytest.approx(sum(diffs[name]) / 2, abs=1e-9)
            assert row[f"final_{name}_mean"] == pytest.approx(sum(finals[name]) / 2, abs=1e-9)
        if row.members == 1:  # one cosine-annealed model: the ensemble is the final model
            assert (row.diff_nll_mean, row.diff_nll_ties, row.diff_accuracy_ties) == (0, 2, 2)
        assert isinstance(row.dee_text, str) and row.dee_text


@pytest.mark.slow
def test_sweep_figures_and_report_sections(sweep_study):
    figures = {p.name for p in (sweep_study / "figures").iterdir()}
    assert figures == expected_figures(sweep_config())
    for family in ("sweep_heatmap", "sweep_gain", "sweep_accuracy"):
        for dataset in ("blobs", "mnist1d"):
            assert f"{family}_{dataset}.png" in figures
    headline = (sweep_study / "tables" / "headline.rst").read_text()
    assert "Sweep of ``snapshot`` on blobs (4 grid points, 2 repeats each). The ensemble" in headline
    assert "Sweep of ``snapshot`` on mnist1d" in headline
    markdown = (sweep_study / "tables" / "summary.md").read_text()
    assert markdown.count("### Sweeps") == 2 and "calibrated NLL" in markdown


@pytest.mark.slow
def test_report_has_a_sweeps_section_and_names_the_grid(sweep_study, tmp_path):
    from snapens import report_check

    work = sweep_study.parent
    res = snakemake(work, work / "config.yaml", "--report", "results/report.html")
    assert res.returncode == 0, res.stderr
    html = (sweep_study / "report.html").read_text()
    assert "Sweeps" in html and "members in 1, 3 x lr_max in 0.01, 0.1" in html
    assert "Sweep of" in html  # the front page's sentence, from headline.rst
    figures = report_check.figures_in(sweep_study / "report.html")
    assert len(figures) == len(expected_figures(sweep_config())) // 2
    assert {f"results/figures/sweep_heatmap_{d}.png" for d in ("blobs", "mnist1d")} <= set(figures)


def _calibrated_nll_by_hand(probs, y):
    """The fold protocol written out independently: a bounded scalar search over
    log T with the NLL spelled in NumPy, fitted on one parity, scored on the other."""
    import numpy as np
    from scipy.optimize import minimize_scalar

    z = np.log(np.maximum(probs.astype(np.float64), np.finfo(np.float64).eps))

    def nll(zz, yy, T):
        s = zz / T
        s = s - s.max(axis=1, keepdims=True)
        logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
        return -np.mean(np.maximum(logp[np.arange(len(yy)), yy], np.log(np.finfo(np.float64).eps)))

    scores = []
    for fit, score in ((slice(0, None, 2), slice(1, None, 2)), (slice(1, None, 2), slice(0, None, 2))):
        res = minimize_scalar(lambda u: nll(z[fit], y[fit], np.exp(u)), bounds=(np.log(0.01), np.log(100)),
                              method="bounded", options={"xatol": 1e-10})
        scores.append(nll(z[score], y[score], np.exp(res.x)))
    return float(np.mean(scores))


@pytest.mark.slow
def test_calibrated_nll_recomputes_from_the_stored_probabilities(sweep_study):
    import numpy as np

    run = sweep_study / "runs" / "mnist1d" / "snapshot" / "members-3_lr_max-0.1" / "seed-8"
    with np.load(run / "probabilities.npz") as npz:
        probs, y = npz["probs"], npz["y_test"]
    members = pd.read_csv(run / "members.csv")
    ensemble = pd.read_csv(run / "ensemble.csv")
    for i in range(len(probs)):
        assert members["nll_calibrated"].iloc[i] == pytest.approx(_calibrated_nll_by_hand(probs[i], y), abs=1e-7)
    full = probs.astype(np.float64).mean(axis=0)
    assert ensemble["nll_calibrated"].iloc[-1] == pytest.approx(_calibrated_nll_by_hand(full, y), abs=1e-7)
