"""The equal-cost comparisons, the cross-fitted selection and the calibrated
deep ensemble equivalent, on hand-made runs whose answers are worked out
here by hand."""

import numpy as np
import pandas as pd
import pytest

from snapens.analyse import baselines, contract, dee_table, paired_table, selection, sweep_table, tables
from snapens.core.sweeps import grid_points
from snapens.evaluate import ensemble_table, ensembling
from snapens.evaluate.metrics import METRICS, evaluate, fold_columns

SWEEPS = {
    "snap": {"members": [1, 2], "lr_max": [0.01, 0.1]},
    "equal": {"members": [2], "lr_max": [0.01]},
}
POINTS = grid_points(SWEEPS)
SINGLE_LOW, SINGLE_HIGH = "snap/members-1_lr_max-0.01", "snap/members-1_lr_max-0.1"
TARGET, EQUAL = "snap/members-2_lr_max-0.01", "equal/members-2_lr_max-0.01"


def run(method, seed, accuracy_counts, members=2):
    """One runs.csv row: every metric 0.5 on both models and folds except the
    ensemble's accuracy, given as counts of correct rows on the even and odd
    folds (500 rows each) and on all 1000."""
    row = {"dataset": "d", "method": method, "seed": seed, "members": members, "test_rows": 1000}
    for model in ("final", "ensemble"):
        for m in METRICS:
            row[f"{model}_{m}"] = 0.5
            row |= {f"{model}_{c}": 0.5 for c in fold_columns(m)}
    even, odd = accuracy_counts
    row["ensemble_vote_accuracy"] = 0.5
    row |= {
        "ensemble_accuracy": (even + odd) / 1000,
        "ensemble_accuracy_even": even / 500,
        "ensemble_accuracy_odd": odd / 500,
    }
    return row


def hand_made_runs():
    """Four seeds. On the even rows the single model at 0.1 is better (450 vs
    400 of 500 right), on the odd rows the one at 0.01 (425 vs 350; 355 for
    seed 1). The grid point (2 members, 0.01) has 410 and 430; the equal-cost
    ensemble of 2 at 0.01 has 400 and 400."""
    rows = []
    for seed in range(1, 5):
        rows += [
            run(SINGLE_LOW, seed, (400, 425), members=1),
            run(SINGLE_HIGH, seed, (450, 355 if seed == 1 else 350), members=1),
            run(TARGET, seed, (410, 430)),
            run(EQUAL, seed, (400, 400)),
        ]
    return pd.DataFrame(rows)


def comparison(table, name):
    return table[(table.metric == "accuracy") & (table.comparison == name)].iloc[0]


def test_the_best_single_model_is_every_rate_and_nothing_is_chosen():
    table = paired_table.paired_table(
        hand_made_runs(), 0.95, 999, POINTS, [baselines.Baselines("snap", "equal")]
    )
    row = comparison(table, "single")
    # on all 1000 rows: lr 0.01 has 825 right, lr 0.1 805 (seed 1) or 800; the grid point 840.
    # Its gain is smallest against lr 0.01, 15 rows in every seed: the point estimate
    assert row.b_chosen == "lr_max 0.01" and row.selection == baselines.BEST_OF and row.family == "snap"
    assert row.n == 4 and row.mean_diff == pytest.approx(0.015, abs=1e-12)
    assert row.mean_b == pytest.approx(0.825, abs=1e-12) and (row.wins, row.ties, row.losses) == (4, 0, 0)
    # better than the best only if better than each rate: four seeds of one sign give 2/16 against each
    assert row.p_value == row.p_floor == 2 / 16 and row.verdict == contract.TOO_FEW


def test_equal_cost_ensemble_of_the_same_size_and_rate():
    table = paired_table.paired_table(
        hand_made_runs(), 0.95, 999, POINTS, [baselines.Baselines("snap", "equal")]
    )
    row = comparison(table, "equal")
    assert (row.a_method, row.b_method) == (TARGET, EQUAL)
    # 840 against 800 of 1000 in every seed: four wins, and an exact test of
    # four repeats cannot go below 2 / 2**4 = 0.125, so no interval and no verdict
    assert (row.mean_diff, row.sd_diff, row.wins) == (0.04, 0.0, 4)
    assert (row.ci_low, row.ci_high) == (-np.inf, np.inf)
    assert row.p_value == row.p_floor == 2 / 16 and row.verdict == contract.TOO_FEW
    # the one-member points are neither compared with a baseline nor tested against their final model
    assert set(table[table.comparison.isin(["single", "equal"])].a_method) == {TARGET}
    own = table[(table.comparison == "final") & (table.a_method == SINGLE_LOW)]
    assert own.p_value.isna().all() and set(own.verdict) == {"not tested"}


def test_holm_is_applied_within_each_family():
    table = paired_table.paired_table(
        hand_made_runs(), 0.95, 999, POINTS, [baselines.Baselines("snap", "equal")]
    )
    for _, fam in table.groupby(["dataset", "metric", "comparison", "family"]):
        p = fam.p_value.to_numpy()
        tested = p[~np.isnan(p)]
        for value, adjusted in zip(p, fam.p_holm):
            if np.isnan(value):
                assert np.isnan(adjusted)
            else:  # at least the raw p, at most m times it
                assert value <= adjusted <= min(1.0, len(tested) * value) + 1e-15
        assert set(fam.family_size) == {len(tested)}


def test_sweep_table_shows_the_three_comparisons():
    runs = hand_made_runs()
    summary = tables.summary_table(runs)
    paired = paired_table.paired_table(runs, 0.95, 999, POINTS, [baselines.Baselines("snap", "equal")])
    dee = pd.DataFrame(columns=dee_table.DEE_COLUMNS)
    sweep = sweep_table.sweep_table(
        summary, paired, dee, POINTS, [baselines.Baselines("snap", "equal")]
    ).set_index("method")
    target = sweep.loc[TARGET]
    assert target.vs_single_accuracy_mean == pytest.approx(0.015)
    assert target.vs_equal_accuracy_mean == pytest.approx(0.04)
    assert target.vs_single_accuracy_chosen == "lr_max 0.01"
    assert target.role == "judged" and sweep.loc[EQUAL, "role"] == "equal_cost"
    assert sweep.loc[SINGLE_LOW, "vs_single_accuracy_verdict"] == ""
    from snapens.analyse.headline import budget_table

    text = "\n".join(budget_table(sweep.reset_index(), "d", 95))
    assert "``snap`` at equal training cost" in text and "members 2, lr_max 0.01" in text
    assert "members 1" not in text  # a single model is the baseline, not a row
    assert "+0.040 [-inf, +inf]" in text  # four repeats cannot decide; no finite width: 3 decimals


# --- the selection never reads the rows it reports on -----------------------------


def fold_runs(probs_by_candidate, y):
    """runs (one per seed) of each candidate from its probabilities: the
    ensemble's fold columns as evaluate() writes them."""
    out = {}
    for name, per_seed in probs_by_candidate.items():
        rows = [
            {"seed": s, **{f"ensemble_{k}": v for k, v in evaluate(y, p).items()}}
            for s, p in enumerate(per_seed)
        ]
        out[name] = pd.DataFrame(rows).set_index("seed")
    return out


def test_changing_the_measured_folds_labels_leaves_the_choice_unchanged():
    rng = np.random.default_rng(7)
    n, classes = 60, 3
    y = rng.integers(0, classes, n)
    logits = np.eye(classes)[y] * 2.0

    def noisy(sharpness):
        out = []
        for _ in range(3):
            e = np.exp(sharpness * (logits + rng.normal(0, 1.5, (n, classes))))
            out.append(e / e.sum(1, keepdims=True))
        return out

    probs = {"soft": noisy(0.5), "sharp": noisy(3.0), "mid": noisy(1.2)}
    y_changed = y.copy()
    y_changed[1::2] = (y[1::2] + 1) % classes  # every odd row's label changed
    before, after = fold_runs(probs, y), fold_runs(probs, y_changed)
    for metric in ("accuracy", "nll", "nll_calibrated", "ece_calibrated"):
        assert selection.choose(before, metric, "even") == selection.choose(after, metric, "even")
        for name in probs:  # what the choice read is the same, bit for bit
            column = f"ensemble_{selection.selection_column(metric, 'even')}"
            assert before[name][column].tolist() == after[name][column].tolist()
    # the odd rows' measurements did change: the test would notice a leak
    assert not np.allclose(before["sharp"]["ensemble_nll_odd"], after["sharp"]["ensemble_nll_odd"])
    assert not np.allclose(
        before["sharp"]["ensemble_nll_calibrated_even"], after["sharp"]["ensemble_nll_calibrated_even"]
    ), (
        "the even rows' cross-fitted value uses the odd rows' temperature; only the in-sample one is free of them"
    )


# --- the calibrated deep ensemble equivalent ------------------------------------------


def independent_run(rng, y, members, classes=3, sharpness=1.5):
    logits = np.eye(classes)[y] * 1.5
    probs = []
    for _ in range(members):
        z = sharpness * (logits + rng.normal(0, 1.2, logits.shape))
        probs.append(np.exp(z) / np.exp(z).sum(1, keepdims=True))
    return np.stack(probs)


def study(rng, y, methods):
    """runs and long tables of ``methods`` (name -> (members, sharpness, independent)), 14 seeds (an
    exact test of the reference's gain needs six measured seeds for p <= 2 / 2**6, and a chosen
    reference is measured on the even seeds only)."""
    runs, records = [], []
    for name, (members, sharpness, independent) in methods.items():
        for seed in range(1, 15):
            probs = independent_run(rng, y, members, sharpness=sharpness)
            t = {
                "members": ensembling.member_table(np.log(probs), y, range(members)),
                "ensemble": ensemble_table.last_k_table(np.log(probs), y, subset_curves=independent),
            }
            runs.append(tables.run_row("d", name, seed, t, len(y)))
            records.append(("d", name, seed, t["members"], t["ensemble"]))
    return pd.DataFrame(runs), tables.long_table(records)


def test_the_reference_against_itself_is_worth_its_member_count():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 3, 80)
    runs, long = study(rng, y, {"ref": (4, 1.5, True), "other": (3, 2.0, False)})
    table = dee_table.dee_table(runs, long, {"d": dee_table.Reference("ref", {"": "ref"})}, resamples=200)
    own = table[table.method == "ref"].set_index("metric")
    assert own.loc["nll_calibrated", "dee"] == 4.0 and own.loc["nll", "dee"] == 4.0
    # the calibrated curve starts at the mean calibrated NLL of single members,
    # each measured on one fold with the other fold's temperature
    singles = long[(long.method == "ref") & (long.k == 1)]
    first = ((singles.subset_nll_calibrated_even + singles.subset_nll_calibrated_odd) / 2).mean()
    assert own.loc["nll_calibrated", "reference_nll_first"] == pytest.approx(first, rel=1e-12)


def test_the_reference_rate_is_chosen_through_the_single_models_per_fold():
    rng = np.random.default_rng(4)
    y = rng.integers(0, 3, 80)
    runs, long = study(
        rng,
        y,
        {
            "full_low": (4, 1.5, True),
            "full_high": (4, 6.0, True),
            "single_low": (1, 1.5, True),  # well calibrated: chosen on both folds
            "single_high": (1, 6.0, True),  # over-confident
        },
    )
    ref = dee_table.Reference(
        "full",
        {"lr 0.01": "full_low", "lr 0.1": "full_high"},
        {"lr 0.01": "single_low", "lr 0.1": "single_high"},
    )
    table = dee_table.dee_table(runs, long, {"d": ref}, resamples=200).set_index(["method", "metric"])
    assert table.loc[("full_low", "nll"), "reference_chosen"] == "lr 0.01"
    assert table.loc[("full_low", "nll"), "dee"] == 4.0
    assert table.loc[("full_low", "nll_calibrated"), "selection"] == selection.PROTOCOL


# --- the limit: the Bayes-optimal classifier of blobs ----------------------------------

BLOBS = {
    "kind": "blobs",
    "n_samples": 1100,
    "centers": 3,
    "n_features": 2,
    "cluster_std": 2.0,
    "random_state": 2,
    "n_train": 100,
}


def test_blobs_limit_is_the_posterior_of_the_generators_gaussians():
    from scipy.stats import multivariate_normal
    from sklearn.datasets import make_blobs

    from snapens.data.kinds import limit_log_probabilities, make_dataset

    data = make_dataset(BLOBS)
    # the generator's centres, drawn again; densities by SciPy, priors by counting the labels
    _, labels, centres = make_blobs(
        1100, n_features=2, centers=3, cluster_std=2.0, random_state=2, return_centers=True
    )
    dens = np.stack([multivariate_normal(c, 4.0 * np.eye(2)).pdf(data.X_test) for c in centres], axis=1)
    joint = dens * np.bincount(labels) / 1100
    expected = joint / joint.sum(axis=1, keepdims=True)
    got = np.exp(limit_log_probabilities(BLOBS, data.X_test))
    assert np.allclose(got, expected, rtol=1e-9, atol=1e-15)
    # on the tutorial's 1,000 test rows: 837 right, NLL 0.403
    assert int((got.argmax(axis=1) == data.y_test).sum()) == 837
    assert -np.mean(np.log(got[np.arange(1000), data.y_test])) == pytest.approx(0.403, abs=5e-4)
    assert limit_log_probabilities({"kind": "mnist1d"}, data.X_test) is None


def test_limits_table_has_a_row_per_dataset_with_a_known_limit():
    from snapens.data.kinds import make_dataset

    data = make_dataset(BLOBS)
    moons = {"kind": "moons"}
    tests = {"blobs": [(BLOBS, data.X_test, data.y_test)], "other": [(moons, data.X_test, data.y_test)]}
    from snapens.analyse.limits import LIMIT_MODEL, limits_table

    table = limits_table({"blobs": BLOBS, "other": moons}, tests)
    assert list(table.dataset) == ["blobs"] and table.model.iloc[0] == LIMIT_MODEL
    assert table.accuracy.iloc[0] == 0.837 and table.test_rows.iloc[0] == 1000 and table.draws.iloc[0] == 1
    assert (table.accuracy_even.iloc[0] + table.accuracy_odd.iloc[0]) / 2 == pytest.approx(0.837)


def test_a_redrawn_dataset_has_the_mean_of_its_draws_limits_and_each_seed_its_own_draw():
    from snapens.analyse.limits import limits_table
    from snapens.data.kinds import draw_spec, make_dataset

    spec = {**BLOBS, "redraw": True}
    draws = {seed: make_dataset(spec, seed) for seed in (1, 2, 3)}
    # seed 2's draw is the tutorial's problem (random_state 2); others differ
    fixed = make_dataset(BLOBS)
    assert np.array_equal(draws[2].X_train, fixed.X_train) and np.array_equal(draws[2].y_test, fixed.y_test)
    assert not np.array_equal(draws[1].X_train, draws[3].X_train)
    assert np.array_equal(make_dataset(spec, 1).X_test, draws[1].X_test)  # the same seed, the same draw
    tests = {"b": [(draw_spec(spec, s), d.X_test, d.y_test) for s, d in draws.items()]}
    table = limits_table({"b": spec}, tests)
    alone = [limits_table({"b": spec}, {"b": [t]}).accuracy.iloc[0] for t in tests["b"]]
    assert table.draws.iloc[0] == 3 and alone[1] == 0.837
    assert table.accuracy.iloc[0] == pytest.approx(sum(alone) / 3, abs=1e-12)


def test_the_share_of_the_distance_to_the_limit_by_hand():
    from types import SimpleNamespace

    from snapens.analyse.limits import Limit
    from snapens.analyse.statistics import sign_flip

    # single models 0.45 every seed, the limit 0.40: 0.05 from it; the ensemble is 0.01
    # better on half the seeds and 0.02 on the other: it closes (0.01 + 0.02) / 2 / 0.05 = 30%
    seeds = list(range(1, 13))
    single = np.full(12, 0.45)
    ens = single - np.where(np.arange(12) % 2, 0.02, 0.01)
    limit = Limit(pd.DataFrame({"nll": [0.40]}))
    out = SimpleNamespace(confidence=0.95, flips=10_000)
    got = baselines.limit_share(ens, {"s": single}, "s", limit, "nll", seeds, out)
    assert got["limit_distance"] == pytest.approx(0.05)
    assert got["limit_share"] == pytest.approx(0.3)
    # with a known distance the ratio's interval is the mean difference's over the distance
    diff = sign_flip(np.round((ens - single) * 1e9).astype(np.int64), 1e9)
    assert got["limit_share_ci_low"] == pytest.approx(diff["ci_high"] / -0.05, abs=1e-9)
    assert got["limit_share_ci_high"] == pytest.approx(diff["ci_low"] / -0.05, abs=1e-9)
    assert 0.2 <= got["limit_share_ci_low"] < 0.3 < got["limit_share_ci_high"] <= 0.4
    # against two single models the share is the smaller: a single model at 0.43 is 0.03 from
    # the limit, and the same ensemble closes (0.43 - 0.435) / 0.03 of it, a negative share
    better = np.full(12, 0.43)
    two = baselines.limit_share(ens, {"s": single, "t": better}, "t", limit, "nll", seeds, out)
    assert two["limit_share"] == pytest.approx((0.43 - 0.435) / 0.03)
    assert two["limit_share_ci_low"] <= two["limit_share"] <= two["limit_share_ci_high"] < 0.3
    # a redrawn dataset's limit is each seed's own draw's
    per_seed = Limit(pd.DataFrame({"nll": [0.40, 0.30]}), [1, 2])
    assert per_seed.of("nll", [2, 1, 2]).tolist() == [0.30, 0.40, 0.30]


def test_only_full_budget_independent_runs_get_the_calibrated_reference_curve():
    from snapens.core.settings import reference_candidate

    assert reference_candidate({"ensemble": "independent"})
    assert reference_candidate({"ensemble": "independent", "budget": "full"})
    assert not reference_candidate({"ensemble": "independent", "budget": "split"})
    assert not reference_candidate({"ensemble": "snapshots"}) and not reference_candidate({})


def test_the_tail_average_takes_the_last_half_of_the_snapshots_rounded_up():
    from snapens.evaluate.ensembling import tail_members

    assert [tail_members(m) for m in (1, 2, 3, 5, 10, 50)] == [1, 1, 2, 3, 5, 25]


def test_boundary_temperature_fits_are_counted_per_model_and_named_in_the_summary():
    from snapens.analyse.summary import boundary_sentences
    from snapens.analyse.tables import boundary_fits

    temps = ["temperature_even", "temperature_odd"]
    members = pd.DataFrame([[0.01, 1.3], [100.0, 0.01], [0.7, 0.9]], columns=temps)
    ensemble = pd.DataFrame([[0.7, 0.9], [0.5, 100.0]], columns=temps)  # k = 1 (final), k = 2
    averaged = pd.DataFrame([["swa", 0.01, 0.01], ["swa_tail", 2.0, 3.0]], columns=["model", *temps])
    got = boundary_fits({"members": members, "ensemble": ensemble, "averaged": averaged})
    assert got["member"] == 3 and got["final"] == 0 and got["ensemble"] == 1
    assert got["swa"] == 2 and got["swa_tail"] == 0 and np.isnan(got["weighted"])
    row = {"method": "m", "repeats": 2, "members": 3, **{f"{k}_boundary_fits": v for k, v in got.items()}}
    text = " ".join(boundary_sentences(pd.DataFrame([row])))
    assert "m member: 3 of 12" in text and "m ensemble: 1 of 4" in text and "m swa: 2 of 4" in text
    assert "final" not in text and "swa_tail" not in text
    clean = {**row, **{f"{k}_boundary_fits": 0 for k in ("member", "ensemble", "swa")}}
    assert "found its optimum inside [0.01, 100]" in boundary_sentences(pd.DataFrame([clean]))[0]


def test_a_redrawn_dataset_is_set_beside_its_fixed_twin():
    from snapens.analyse.draws import draw_section, draw_sentences
    from snapens.data.kinds import redrawn_pairs

    fixed = {**BLOBS}
    specs = {"blobs": fixed, "again": {**fixed, "random_state": 9, "redraw": True, "methods": ["s"]}}
    specs["other"] = {**fixed, "cluster_std": 1.0, "redraw": True}
    assert redrawn_pairs(specs) == {"again": "blobs"}  # another generator has no twin
    summary = pd.DataFrame({"dataset": ["blobs", "blobs", "again"], "method": ["s", "t", "s"]})
    rows = []
    for dataset, metric, verdict in [
        ("blobs", "nll_capped", "better"),
        ("again", "nll_capped", "better"),
        ("blobs", "accuracy", "better"),
        ("again", "accuracy", "unclear"),
        ("blobs", "nll_calibrated_capped", "worse"),
        ("again", "nll_calibrated_capped", "worse"),
    ]:
        rows.append(
            dict(
                dataset=dataset,
                metric=metric,
                a_method="s",
                a_model="ensemble",
                b_method="s",
                b_model="final",
                comparison="final",
                mean_diff=0.01,
                ci_low=0.0,
                ci_high=0.02,
                verdict=verdict,
                p_holm=0.01,
            )
        )
    paired = pd.DataFrame(rows)
    text = draw_sentences(summary, paired, {"again": "blobs"})[0]
    assert "hold at 2 of 3 method x metric pairs" in text and "s accuracy: better vs unclear" in text
    table = "\n".join(draw_section(summary, paired, {"again": "blobs"}, 95))
    assert "| s | capped NLL | +0.010 [0.000, +0.020] | better |" in table and "| t |" not in table
