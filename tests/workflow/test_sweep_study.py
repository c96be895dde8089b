"""A tiny sweep end to end, on MNIST-1D with its own model and training settings:
every grid point a method with readable paths, sweep.csv agreeing with the
runs' own tables, its figures, report section and recomputable numbers."""

import json

import numpy as np
import pandas as pd
import pytest

from workflow_utils import expected_figures, job_counts, snakemake, tiny_config

pytestmark = pytest.mark.slow

# --- end to end: a tiny sweep on MNIST-1D with its own settings ---------

# both keys swept (members across, lr_max down), one value of lr_max: the grid's
# layouts with several values are the unit tests' (tests/unit/test_sweeps.py);
# with the equal-cost baselines: 3 models of 1 epoch, and 3 of the full 3 epochs
SWEEP_POINTS = [f"snapshot/members-{m}_lr_max-0.1" for m in (1, 3)]
EQUAL, FULL = "equal_cost/members-3_lr_max-0.1", "full_cost/lr_max-0.1"


def sweep_config() -> dict:
    config = tiny_config()
    config["datasets"] = {}
    config["datasets"]["mnist1d"] = {
        "kind": "mnist1d",
        "model": {"hidden_units": 6},
        "training": {"epochs": 3},
    }
    independent = {
        "members": 3,
        "ensemble": "independent",
        "schedule": {"name": "cosine_epoch", "lr_max": 0.1},
    }
    config["methods"] = {
        "snapshot": config["methods"]["snapshot"],
        "equal_cost": {**independent, "budget": "split"},
        "full_cost": independent,
    }
    config["sweeps"] = {
        "snapshot": {"members": [1, 3], "lr_max": [0.1]},
        "equal_cost": {"members": [3], "lr_max": [0.1]},
        "full_cost": {"lr_max": [0.1]},
    }
    config["baselines"] = {"snapshot": {"equal_cost": "equal_cost", "full_cost": "full_cost"}}
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
    # an evaluation per dataset x method (grid points and baselines), all
    # trained in one job (their expected training is far below
    # execution.train_job_seconds); nothing written
    assert job_counts(out)["evaluate"] == len(SWEEP_POINTS) + 2
    assert job_counts(out)["train"] == 1
    assert not (tmp_path / "results").exists()


@pytest.mark.slow
def test_each_grid_point_is_a_method_with_readable_paths(sweep_study):
    for dataset in ("mnist1d",):
        for point in SWEEP_POINTS:
            members = int(point.split("members-")[1].split("_")[0])
            for seed in (7, 8):
                run = sweep_study / "runs" / dataset / point / f"seed-{seed}"
                snaps = sorted(p.name for p in (run / "snapshots").glob("*.keras"))
                assert snaps == [f"snapshot-{i:02d}.keras" for i in range(1, members + 1)], run
                meta = json.loads((run / "run.json").read_text())
                assert meta["config"]["method_config"]["members"] == members
                assert meta["config"]["method_config"]["schedule"]["lr_max"] == float(
                    point.split("lr_max-")[1]
                )
    # MNIST-1D runs with its own width and epochs (the study's: 8 units, 12 epochs)
    meta = json.loads((sweep_study / f"runs/mnist1d/{FULL}/seed-7/run.json").read_text())
    assert meta["config"]["model"]["hidden_units"] == 6 and meta["config"]["training"]["epochs"] == 3
    # the equal-cost ensemble: 3 models of one epoch each, one cosine cycle each
    training = pd.read_csv(sweep_study / f"runs/mnist1d/{EQUAL}/seed-7/training.csv")
    assert training.groupby("member")["epoch"].apply(list).tolist() == [[0]] * 3
    training = pd.read_csv(sweep_study / "runs/mnist1d/snapshot/members-3_lr_max-0.1/seed-7/training.csv")
    assert list(training["epoch"]) == [0, 1, 2]


@pytest.mark.slow
def test_sweep_table_agrees_with_the_runs_own_tables(sweep_study):
    sweep = pd.read_csv(sweep_study / "tables" / "sweep.csv", keep_default_na=False, na_values=[""])
    assert set(sweep["method"]) == {*SWEEP_POINTS, EQUAL, FULL}
    assert set(sweep["base"]) == {"snapshot", "equal_cost", "full_cost"}
    sweep = sweep[sweep.base == "snapshot"]
    assert set(sweep["swept"]) == {"members lr_max"} and set(sweep["role"]) == {"judged"}
    for _, row in sweep.iterrows():
        # recomputed from each seed's ensemble.csv: k = 1 is the final model, k = M the ensemble
        diffs, finals = {}, {}
        for seed in (7, 8):
            ens = pd.read_csv(
                sweep_study / "runs" / row.dataset / row.method / f"seed-{seed}" / "ensemble.csv"
            )
            assert len(ens) == row.members == row["members"]
            for name in ("accuracy", "nll", "nll_calibrated"):
                diffs.setdefault(name, []).append(ens[name].iloc[-1] - ens[name].iloc[0])
                finals.setdefault(name, []).append(ens[name].iloc[0])
        for name in ("accuracy", "nll", "nll_calibrated"):
            assert row[f"diff_{name}_mean"] == pytest.approx(sum(diffs[name]) / 2, abs=1e-9)
            assert row[f"final_{name}_mean"] == pytest.approx(sum(finals[name]) / 2, abs=1e-9)
        # the rate at the last snapshot over the peak, read from the run's
        # training.csv (a per-epoch schedule: the epoch's rate) and run.json
        run = sweep_study / "runs" / row.dataset / row.method / "seed-7"
        last = json.loads((run / "run.json").read_text())["snapshot_epochs"][-1]
        rate = pd.read_csv(run / "training.csv").set_index("epoch").loc[last, "lr"]
        assert row.last_lr_fraction == pytest.approx(rate / 0.1, rel=1e-6)
        assert row.annealed == ("yes" if rate / 0.1 <= 0.1 else "no")
        if row.members == 1:  # one cosine-annealed model: the ensemble is the final model, not a test
            assert (row.diff_nll_mean, row.diff_nll_ties, row.diff_accuracy_ties) == (0, 2, 2)
            assert row.diff_nll_verdict == "not tested"
        assert isinstance(row.dee_text, str) and row.dee_text


def ensemble_rows(root, method, seed):
    return pd.read_csv(root / "runs" / "mnist1d" / method / f"seed-{seed}" / "ensemble.csv")


@pytest.mark.slow
def test_equal_cost_comparisons_recompute_from_the_runs_files(sweep_study):
    """The grid point of 3 snapshots against the one single model (the only
    candidate) and against the equal-cost ensemble, recomputed from the
    per-run files; the full-cost reference (one rate: nothing to choose, every
    seed measured) cannot be identified on two repeats."""
    row = pd.read_csv(sweep_study / "tables" / "sweep.csv").set_index("method").loc[SWEEP_POINTS[1]]
    single, equal = [], []
    for seed in (7, 8):
        mine = ensemble_rows(sweep_study, SWEEP_POINTS[1], seed).iloc[-1]
        one = ensemble_rows(sweep_study, SWEEP_POINTS[0], seed).iloc[-1]
        other = ensemble_rows(sweep_study, EQUAL, seed).iloc[-1]
        fold = [mine[f"nll_calibrated_{f}"] - one[f"nll_calibrated_{f}"] for f in ("even", "odd")]
        single.append(sum(fold) / 2)
        equal.append(mine["nll"] - other["nll"])
    assert row.vs_single_nll_calibrated_mean == pytest.approx(np.mean(single), abs=1e-8)
    assert row.vs_single_nll_calibrated_chosen == "lr_max 0.1"
    assert row.vs_equal_nll_mean == pytest.approx(np.mean(equal), abs=1e-8)
    dee = pd.read_csv(sweep_study / "tables" / "deep_ensemble_equivalent.csv")
    own = dee[dee.method == FULL].set_index("metric")
    # two repeats cannot place a value on the curve (a t-interval on one degree of freedom
    # is wider than the curve's whole rise): no DEE, and the gain it read instead
    assert set(own.identified) == {"no"} and own.dee.isna().all()

    def fold_mean(seed, k):  # c_s(k): the mean of the two folds' subset curves
        rows = ensemble_rows(sweep_study, FULL, seed)
        return (rows["subset_nll_even"].iloc[k] + rows["subset_nll_odd"].iloc[k]) / 2

    gain = np.mean([fold_mean(seed, 0) - fold_mean(seed, -1) for seed in (7, 8)])
    assert own.loc["nll", "reference_gain"] == pytest.approx(gain, abs=1e-8)
    assert set(dee.reference) == {"full_cost"} and set(dee.reference_chosen) == {"lr_max 0.1"}


@pytest.mark.slow
def test_sweep_figures_and_report_sections(sweep_study):
    figures = {p.name for p in (sweep_study / "figures").iterdir()}
    assert figures == expected_figures(sweep_config())
    for family in ("sweep_heatmap", "sweep_gain", "sweep_accuracy"):
        for dataset in ("mnist1d",):
            assert f"{family}_{dataset}.png" in figures
    headline = (sweep_study / "tables" / "headline.rst").read_text()
    assert (
        "``snapshot`` on mnist1d (1 grid point with more than one member, 2 repeats each) against "
        "the best single model at equal cost" in headline
    )
    markdown = (sweep_study / "tables" / "summary.md").read_text()
    assert markdown.count("### Sweeps") == 1 and "calibrated NLL" in markdown


@pytest.mark.slow
def test_report_has_a_sweeps_section_and_names_the_grid(sweep_study, tmp_path):
    from tools import report_check

    work = sweep_study.parent
    res = snakemake(work, work / "config.yaml", "--report", "results/report.html")
    assert res.returncode == 0, res.stderr
    html = (sweep_study / "report.html").read_text()
    assert "Sweeps" in html and "members in 1, 3 x lr_max in 0.1" in html
    assert "the best single model at equal cost" in html  # the front page's sentence, from headline.rst
    figures = report_check.figures_in(sweep_study / "report.html")
    assert len(figures) == len(expected_figures(sweep_config())) // 2
    assert {"results/figures/sweep_heatmap_mnist1d.png"} <= set(figures)


def _calibrated_nll_by_hand(probs, y):
    """The fold protocol written out independently: a bounded scalar search over
    log T with the NLL spelled in NumPy, fitted on one parity, scored on the other."""
    from scipy.optimize import minimize_scalar

    z = np.log(np.maximum(probs.astype(np.float64), np.finfo(np.float64).eps))

    def nll(zz, yy, T):
        s = zz / T
        s = s - s.max(axis=1, keepdims=True)
        logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
        return -np.mean(np.maximum(logp[np.arange(len(yy)), yy], np.log(np.finfo(np.float64).eps)))

    scores = []
    for fit, score in ((slice(0, None, 2), slice(1, None, 2)), (slice(1, None, 2), slice(0, None, 2))):
        res = minimize_scalar(
            lambda u, fit=fit: nll(z[fit], y[fit], np.exp(u)),
            bounds=(np.log(0.01), np.log(100)),
            method="bounded",
            options={"xatol": 1e-10},
        )
        scores.append(nll(z[score], y[score], np.exp(res.x)))
    return float(np.mean(scores))


@pytest.mark.slow
def test_calibrated_nll_recomputes_from_the_stored_probabilities(sweep_study):

    run = sweep_study / "runs" / "mnist1d" / "snapshot" / "members-3_lr_max-0.1" / "seed-8"
    with np.load(run / "probabilities.npz") as npz:
        probs, y = npz["probs"], npz["y_test"]
    members = pd.read_csv(run / "members.csv")
    ensemble = pd.read_csv(run / "ensemble.csv")
    for i in range(len(probs)):
        assert members["nll_calibrated"].iloc[i] == pytest.approx(
            _calibrated_nll_by_hand(probs[i], y), abs=1e-7
        )
    full = probs.astype(np.float64).mean(axis=0)
    assert ensemble["nll_calibrated"].iloc[-1] == pytest.approx(_calibrated_nll_by_hand(full, y), abs=1e-7)


def test_nll_floor_rebuilds_the_published_verdicts(sweep_study, capsys):
    # the tool first checks that runs.csv reproduces paired_tests.csv's verdicts
    from tools import nll_floor

    nll_floor.main([str(sweep_study)])
    out = capsys.readouterr().out
    assert "Paired NLL verdicts, exact against floored:" in out


def test_front_page_answers_the_budget_question_first(sweep_study):
    """The sweep's summary.md opens with whether the ensemble pays at equal
    cost, each decimal from the sweep.csv row its sentence names."""
    from workflow_utils import check_front_page

    tables = sweep_study / "tables"
    assert check_front_page(tables) >= 2
    head = "\n".join((tables / "summary.md").read_text().splitlines()[:15])
    assert "snapshot ensemble pays" in head and "no verdict is possible at 2 repeats" in head
