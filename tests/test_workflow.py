"""End-to-end: the workflow on a tiny config, its output contract (STUDY.md
section 7), and byte-identical tables across reruns, core counts and packing."""

import filecmp
import shutil
import json
import math

import numpy as np
import pandas as pd
import pytest

from snapens import metrics
from snapens.schedules import Budget, learning_rates
from workflow_utils import ROOT, copy_workflow, job_counts, snakemake, tiny_config

pytestmark = pytest.mark.slow

CONFIG = tiny_config()
SEEDS = [CONFIG["study"]["first_seed"] + i for i in range(CONFIG["study"]["repeats"])]
TABLES = ["runs.csv", "summary.csv", "paired_tests.csv", "curves.csv", "summary.md", "diversity.csv",
          "deep_ensemble_equivalent.csv", "learning_curves.csv"]


def run_dirs(results):
    for method in CONFIG["methods"]:
        for seed in SEEDS:
            yield method, seed, results / "runs" / "blobs" / method / f"seed-{seed}"


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """The tiny study, run from a copy of the workflow (a later test edits a script)."""
    work = tmp_path_factory.mktemp("study")
    res = snakemake(work, CONFIG, "--cores", "2", snakefile=copy_workflow(work))
    assert res.returncode == 0, res.stdout + res.stderr
    return work / "results"


def test_dry_run_shows_each_stage_as_its_own_rule(tmp_path):
    res = snakemake(tmp_path, CONFIG, "-n")
    assert res.returncode == 0, res.stderr
    out = res.stdout + res.stderr
    for rule in ("make_dataset", "train", "evaluate", "aggregate", "summarise", "seed_plot", "lr_schedules"):
        assert f"\n{rule} " in out, rule
    assert not (tmp_path / "results").exists()


def test_contract_files(study):
    with np.load(study / "data" / "blobs.npz") as npz:
        assert set(npz.files) >= {"X_train", "y_train", "X_test", "y_test"}
    members = CONFIG["methods"]["snapshot"]["members"]
    for _, _, run in run_dirs(study):
        snaps = sorted(p.name for p in (run / "snapshots").glob("*.keras"))
        assert snaps == [f"snapshot-{i:02d}.keras" for i in range(1, members + 1)]
        training = pd.read_csv(run / "training.csv")
        assert list(training.columns[:4]) == ["epoch", "lr", "loss", "accuracy"]
        trainings = members if "independent" in str(run) else 1
        assert list(training["epoch"]) == list(range(CONFIG["training"]["epochs"])) * trainings
        m = pd.read_csv(run / "members.csv")
        assert list(m.columns[:6]) == ["member", "epoch", "accuracy", "nll", "brier", "ece"]
        e = pd.read_csv(run / "ensemble.csv")
        assert list(e.columns[:6]) == ["k", "accuracy", "nll", "brier", "ece", "vote_accuracy"]
        assert list(e["k"]) == list(range(1, members + 1))
        for df in (m, e):
            for col in ("accuracy", "brier", "ece"):
                assert df[col].between(0, 1).all()
        assert (run / "probabilities.npz").exists()
        averaged = pd.read_csv(run / "averaged.csv")
        assert list(averaged["model"]) == ([] if "independent" in str(run) else ["swa"])
        weighted = pd.read_csv(run / "weighted.csv")
        assert len(weighted) == (1 if "weighted" in str(run) else 0)
        div = pd.read_csv(run / "diversity.csv")
        assert len(div) == members**2 and (div[div.i == div.j]["disagreement"] == 0).all()
        meta = json.loads((run / "run.json").read_text())
        assert meta["seed"] in SEEDS and "versions" in meta
    summary = pd.read_csv(study / "tables" / "summary.csv")
    assert list(zip(summary.dataset, summary.method)) == [("blobs", m) for m in CONFIG["methods"]]
    paired = pd.read_csv(study / "tables" / "paired_tests.csv")
    assert {"p_value", "wins", "ties", "losses", "ci_low", "ci_high"} <= set(paired.columns)
    assert (study / "tables" / "summary.md").read_text().startswith("# ")
    diversity = pd.read_csv(study / "tables" / "diversity.csv")
    assert set(diversity["method"]) == set(CONFIG["methods"])
    figures = {p.name for p in (study / "figures").glob("*.png")}
    families = ("lr_schedules", "learning_curves", "seed_plot", "paired_differences", "diversity",
                "methods", "deep_ensemble_equivalent", "decision_regions")
    assert figures == {f"{f}_blobs.png" for f in families}
    assert {p.stem for p in (study / "figures").glob("*.svg")} == {p.removesuffix(".png") for p in figures}
    dee = pd.read_csv(study / "tables" / "deep_ensemble_equivalent.csv")
    assert list(dee["method"]) == list(CONFIG["methods"]) and (dee["reference"] == "independent").all()
    assert not list(study.rglob(".tmp-*")), "temporary files left behind"


def test_snapshots_load_alone_and_reproduce_members_csv(study, tf_runtime):
    import keras

    with np.load(study / "data" / "blobs.npz") as npz:
        X, y = npz["X_test"], npz["y_test"]
    for _, _, run in run_dirs(study):
        table = pd.read_csv(run / "members.csv")
        weights = []
        for i, row in table.iterrows():
            model = keras.saving.load_model(run / "snapshots" / f"snapshot-{i + 1:02d}.keras")
            probs = np.asarray(model(X))
            assert metrics.accuracy(y, probs) == row["accuracy"]
            assert metrics.nll(y, probs) == pytest.approx(row["nll"], rel=1e-9)
            weights.append(model.get_weights())
        averaged = pd.read_csv(run / "averaged.csv")
        if len(averaged):  # the weight-averaged model: the mean of the snapshots' weights
            model.set_weights([np.mean(w, axis=0) for w in zip(*weights)])
            probs = np.asarray(model(X))
            assert metrics.accuracy(y, probs) == averaged["accuracy"].iloc[0]
            assert metrics.nll(y, probs) == pytest.approx(averaged["nll"].iloc[0], rel=1e-6)


def test_ensemble_k1_is_last_member_and_kM_is_average(study):
    with np.load(study / "data" / "blobs.npz") as npz:
        y = npz["y_test"]
    for _, _, run in run_dirs(study):
        m = pd.read_csv(run / "members.csv")
        e = pd.read_csv(run / "ensemble.csv")
        for col in metrics.METRICS:
            assert e[col].iloc[0] == m[col].iloc[-1]
        with np.load(run / "probabilities.npz") as npz:
            full = metrics.evaluate(y, npz["probs"].astype(np.float64).mean(axis=0))
        for col in metrics.METRICS:
            assert e[col].iloc[-1] == pytest.approx(full[col], rel=1e-9)


def test_snapshot_epochs_and_learning_rates(study):
    epochs = CONFIG["training"]["epochs"]
    for method, _, run in run_dirs(study):
        spec = CONFIG["methods"][method]
        m = pd.read_csv(run / "members.csv")
        period = epochs // spec["members"]
        independent = spec.get("ensemble") == "independent"
        expected_epochs = [epochs - 1] * spec["members"] if independent else [
            (i + 1) * period - 1 for i in range(spec["members"])]
        assert list(m["epoch"]) == expected_epochs
        training = pd.read_csv(run / "training.csv")
        steps = math.ceil(CONFIG["datasets"]["blobs"]["n_train"] / CONFIG["training"]["batch_size"])
        budget = Budget(epochs, 1 if independent else spec["members"], steps)
        expected = learning_rates(spec["schedule"], budget, per="epoch")
        for _, g in training.groupby(training.get("member", pd.Series(0, index=training.index))):
            np.testing.assert_allclose(g["lr"], expected, rtol=1e-6, atol=1e-9)


def _same_tables(a, b):
    for name in TABLES:
        assert filecmp.cmp(a / "tables" / name, b / "tables" / name, shallow=False), name
    for method, seed, run in run_dirs(a):
        rel = run.relative_to(a)
        for name in ("training.csv", "members.csv", "ensemble.csv", "averaged.csv", "diversity.csv",
                     "weighted.csv"):
            assert filecmp.cmp(run / name, b / rel / name, shallow=False), rel / name


def test_rerun_on_one_core_gives_identical_tables(study, tmp_path):
    res = snakemake(tmp_path, CONFIG, "--cores", "1")
    assert res.returncode == 0, res.stdout + res.stderr
    _same_tables(study, tmp_path / "results")


def test_one_run_per_job_gives_identical_tables(study, tmp_path):
    config = tiny_config()
    config["execution"]["pack_runs"] = False
    res = snakemake(tmp_path, config, "--cores", "2")
    assert res.returncode == 0, res.stdout + res.stderr
    assert len(list((tmp_path / "results" / "benchmarks" / "train" / "blobs" / "snapshot").glob("seed-*.tsv"))) == 2
    _same_tables(study, tmp_path / "results")


def test_lint_and_format(tmp_path):
    import subprocess
    import sys

    lint = subprocess.run([sys.executable, "-m", "snakemake", "--lint"], cwd=ROOT, capture_output=True, text=True)
    assert lint.returncode == 0 and "good condition" in lint.stdout + lint.stderr, lint.stdout + lint.stderr
    fmt = subprocess.run([sys.executable, "-m", "snakefmt", "--check", "Snakefile", "workflow"], cwd=ROOT,
                         capture_output=True, text=True)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_member_weights_come_from_held_out_training_rows(study):
    from snapens.ensembling import fit_weights, weighted_average

    with np.load(study / "data" / "blobs.npz") as npz:
        y_train, y_test = npz["y_train"], npz["y_test"]
    run = study / "runs" / "blobs" / "snapshot_weighted" / f"seed-{SEEDS[0]}"
    meta = json.loads((run / "run.json").read_text())
    val = meta["validation_rows"]
    assert len(val) == 20 and meta["train_rows"] == 80
    with np.load(run / "probabilities.npz") as npz:
        np.testing.assert_array_equal(npz["y_val"], y_train[val])
        w = fit_weights(npz["val_probs"], npz["y_val"])
        probs = npz["probs"]
    row = pd.read_csv(run / "weighted.csv").iloc[0]
    np.testing.assert_allclose([float(x) for x in row["weights"].split()], w, atol=1e-6)
    assert row["nll"] == pytest.approx(metrics.nll(y_test, weighted_average(probs, w)), rel=1e-6)


def test_changing_a_plot_script_reruns_only_that_figure(study):
    import time

    work = study.parent
    script = work / "workflow" / "scripts" / "plot_seed.py"
    script.write_text(script.read_text() + "# a cosmetic change\n")
    dry = snakemake(work, work / "config.yaml", "-n", snakefile=work / "Snakefile")
    assert dry.returncode == 0, dry.stderr
    assert job_counts(dry.stdout + dry.stderr) == {"seed_plot": 1, "all": 1}
    start = time.perf_counter()
    res = snakemake(work, work / "config.yaml", "--cores", "2", snakefile=work / "Snakefile")
    assert res.returncode == 0, res.stderr
    assert time.perf_counter() - start < 60
    again = snakemake(work, work / "config.yaml", "-n", snakefile=work / "Snakefile")
    assert job_counts(again.stdout + again.stderr) == {}


@pytest.mark.skipif(not any(shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")),
                    reason="needs Chromium (.ci/run installs it)")
def test_report_opens_in_a_browser_with_figures_visible(study, tmp_path):
    from snapens import report_check

    work = study.parent
    res = snakemake(work, work / "config.yaml", "--report", "results/report.html",
                    snakefile=work / "Snakefile")
    assert res.returncode == 0, res.stderr
    report = study / "report.html"
    figures = report_check.figures_in(report)
    assert len(figures) == 8
    assert report_check.check(report, tmp_path / "shots") == []
    # the check can fail: opening a figure the report does not hold leaves the view unchanged
    problems = report_check.check(report, tmp_path / "broken", figures=["results/figures/missing.png"])
    assert problems == [f"results/figures/missing.png: not visible in {tmp_path / 'broken' / 'missing.png'}"]
