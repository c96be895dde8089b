"""Across-repeat statistics, checked against values derived independently:
Holm by hand; the sign-flip test against SciPy's permutation test (exact
enumeration), the binomial test and hand-worked subsets; its interval
against a brute-force inversion of the test; intervals by the t formula;
deep ensemble equivalents by hand."""

import io
import math
from itertools import product

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from snapens.analyse import comparisons, dee, dee_table, paired_table
from snapens.analyse.statistics import (
    holm,
    mcnemar,
    mean_ci,
    p_floor,
    paired,
    repeats_needed,
    sign_flip,
    simultaneous,
)
from snapens.evaluate.metrics import METRICS

# --- Holm -------------------------------------------------------------------------


def test_holm_by_hand():
    # sorted: 0.005 (x4 = 0.02), 0.01 (x3 = 0.03), 0.03 (x2 = 0.06), 0.04 (x1 = 0.04 -> 0.06, monotone)
    assert holm([0.01, 0.04, 0.03, 0.005]).tolist() == pytest.approx([0.03, 0.06, 0.06, 0.02])
    # capped at 1; a NaN is no hypothesis: m = 2 here
    out = holm([0.6, math.nan, 0.2, 0.7, 0.9])  # m = 4: 0.2 x 4 = 0.8, 0.6 x 3 = 1.8 -> 1, then 1, 1
    assert out[2] == pytest.approx(0.8) and math.isnan(out[1]) and out[0] == out[3] == out[4] == 1.0
    # ties keep their order and share the step-down value
    assert holm([0.01, 0.01]).tolist() == pytest.approx([0.02, 0.02])


def test_holm_rejects_what_the_step_down_rule_does():
    rng = np.random.default_rng(5)
    for _ in range(200):
        p = rng.random(rng.integers(1, 12)) ** 3
        alpha, m = 0.05, len(p)
        order = np.argsort(p)
        rejected = set()
        for i, idx in enumerate(order):  # the textbook procedure: stop at the first failure
            if p[idx] > alpha / (m - i):
                break
            rejected.add(int(idx))
        assert {int(i) for i in np.flatnonzero(holm(p) <= alpha)} == rejected


# --- the sign-flip test -------------------------------------------------------------


def enumerated_p(d) -> float:
    """The two-sided sign-flip p-value written out: every sign vector, the
    doubled smaller tail of the flipped sums against the observed sum."""
    d = np.asarray(d, dtype=np.float64)
    observed = d.sum()
    sums = np.array([np.dot(signs, d) for signs in product((1, -1), repeat=len(d))])
    upper, lower = np.mean(sums >= observed - 1e-9), np.mean(sums <= observed + 1e-9)
    return min(1.0, 2 * min(upper, lower))


def test_p_values_are_scipys_exact_permutation_test():
    rng = np.random.default_rng(11)
    for _ in range(40):
        n = int(rng.integers(2, 12))
        d = rng.integers(-6, 9, size=n)  # lattices with ties and zeros
        ours = sign_flip(d, 1.0)["p_value"]
        scipy_p = st.permutation_test(
            (d,), np.sum, permutation_type="samples", n_resamples=np.inf, alternative="two-sided"
        ).pvalue
        assert ours == pytest.approx(scipy_p, abs=1e-12), d.tolist()
        assert ours == pytest.approx(enumerated_p(d), abs=1e-12)


def test_equal_count_differences_are_a_binomial_sign_test():
    # ten repeats that each gained one test row: a clear win, as the sign test says
    ten = sign_flip(np.ones(10, dtype=np.int64), 1000.0)
    assert ten["p_value"] == st.binomtest(10, 10).pvalue == 2 / 2**10
    assert (ten["ci_low"], ten["ci_high"]) == (0.001, 0.001)
    # three are not: no sign pattern of three can go below 2 / 8
    three = sign_flip(np.ones(3, dtype=np.int64), 1000.0)
    assert three["p_value"] == st.binomtest(3, 3).pvalue == 0.25
    assert (three["ci_low"], three["ci_high"]) == (-math.inf, math.inf)
    # more evidence of a larger gain is not weaker evidence (the bootstrap-t gave 0.35 here)
    bigger = sign_flip(np.array([1] * 9 + [2]), 1000.0)
    assert bigger["p_value"] == 2 / 2**10


def test_p_floor_is_the_all_one_sign_p_value():
    assert p_floor(10) == 2 / 2**10 and p_floor(3) == 0.25 and p_floor(0) == 1.0
    assert p_floor(20) == pytest.approx(2 / 10_001)  # random flips: the floor is theirs
    # ties do not count: seven non-zero of ten
    d = np.array([2, 0, 3, 1, 0, 5, 0, 1, 4, 2])
    assert sign_flip(d, 1.0)["p_floor"] == p_floor(7) == 2 / 2**7


def test_repeats_a_family_needs_by_hand():
    # Holm's first threshold 0.05 / m against 2 / 2**n
    assert repeats_needed(1) == 6  # 2/64 = 0.031 <= 0.05 < 2/32
    assert repeats_needed(20) == 10  # 2/1024 = 0.00195 <= 0.0025 < 2/512
    assert repeats_needed(25) == 10  # 0.002: 2/1024 = 0.00195 <= 0.002 < 2/512
    assert repeats_needed(50) == 11  # 0.001: 2/2048 <= 0.001 < 2/1024
    assert repeats_needed(300) is None  # 0.05 / 300 is below 2 / 10001: too few flips


def brute_force_interval(d, confidence, grid):
    """The values delta in ``grid`` the two-sided test of d - delta does not reject (every flip)."""
    alpha = round(1 - confidence, 12)
    return [x for x in grid if enumerated_p(np.asarray(d, dtype=np.float64) - x) > alpha]


def test_the_interval_is_the_test_inverted_by_hand():
    # subset means of [1, 2, 4]: 1, 2, 4, 1.5, 2.5, 3, 7/3; at 50%, c = floor(0.5 * 8 / 2 - 1) + 1 = 2:
    # the second smallest and second largest, 1.5 and 3
    res = sign_flip(np.array([1, 2, 4]), 1.0, confidence=0.5)
    assert (res["ci_low"], res["ci_high"]) == (1.5, 3.0)
    kept = brute_force_interval([1, 2, 4], 0.5, np.arange(0, 5.0001, 0.125))
    assert (min(kept), max(kept)) == (1.5, 3.0)


def test_the_interval_matches_a_brute_force_inversion():
    rng = np.random.default_rng(3)
    grid = np.arange(-6, 10.0001, 1 / 64)
    for _ in range(6):
        d = rng.integers(-3, 7, size=int(rng.integers(6, 10)))
        res = sign_flip(d, 1.0, 0.9)
        kept = brute_force_interval(d, 0.9, grid)
        if not kept:
            continue
        # the ends are subset means: the grid's kept points lie between them, within a grid step
        assert res["ci_low"] <= min(kept) < res["ci_low"] + 1 / 64 + 1e-12
        assert res["ci_high"] - 1 / 64 - 1e-12 < max(kept) <= res["ci_high"]


def test_interval_excludes_zero_exactly_when_p_is_at_most_alpha():
    rng = np.random.default_rng(2)
    for _ in range(300):
        n = int(rng.integers(2, 31))
        d = rng.integers(-4, 7, size=n)
        res = sign_flip(d, 1.0, 0.95, flips=999)
        excludes = res["ci_low"] > 0 or res["ci_high"] < 0
        assert excludes == (res["p_value"] <= 0.05), d.tolist()


def test_random_flips_approach_the_exact_p_value():
    # 2**16 flips enumerate n = 16; 10,000 random ones agree within their binomial error
    rng = np.random.default_rng(6)
    d = rng.integers(-5, 9, size=16)
    exact = sign_flip(d, 1.0, flips=2**16)["p_value"]
    assert exact == pytest.approx(
        st.permutation_test((d,), np.sum, permutation_type="samples", n_resamples=np.inf).pvalue, abs=1e-12
    )
    drawn = sign_flip(d, 1.0)["p_value"]
    assert abs(drawn - exact) < 4 * math.sqrt(exact * (1 - exact) / 10_000) * 2


def test_identical_differences_and_no_differences():
    res = sign_flip(np.full(10, 3), 1000.0)
    assert (res["ci_low"], res["ci_high"], res["sd_diff"]) == (0.003, 0.003, 0.0)
    none = sign_flip(np.zeros(10, dtype=np.int64), 1.0)
    assert none["p_value"] == 1.0 and none["p_floor"] == 1.0


def test_the_simultaneous_interval_is_wider_and_equal_for_a_family_of_one():
    rng = np.random.default_rng(4)
    res = sign_flip(rng.integers(-2, 5, size=25), 1.0, 0.95)
    low, high = simultaneous(res["null"], 30, 0.95)
    assert low < res["ci_low"] and high > res["ci_high"]
    assert simultaneous(res["null"], 1, 0.95) == (res["ci_low"], res["ci_high"])


def test_mcnemar_by_hand():
    # three seeds diverged on one side only, none on the other: binomial(3, 3) two-sided = 2/8
    assert mcnemar([1, 1, 1, 0, 1], [0, 0, 0, 0, 1]) == 0.25
    assert mcnemar([0, 0], [0, 0]) == 1.0
    # 6 against 1 discordant: 2 * P(X <= 1 | n = 7) = 2 * 8 / 128
    assert mcnemar([1] * 6 + [0] * 3, [0] * 6 + [1, 0, 0]) == pytest.approx(16 / 128)


def test_effect_sizes():
    a, b = np.array([12, 14, 13, 15]), np.array([10, 10, 10, 10])
    res = paired(a, b, True)
    assert res["relative"] == pytest.approx(3.5 / 10)
    assert res["standardised"] == pytest.approx(3.5 / np.std([2, 4, 3, 5], ddof=1))


def test_floats_without_their_exact_values_are_refused():
    with pytest.raises(TypeError, match="exact integers"):
        paired([0.9, 0.8], [0.8, 0.8], True)


def test_paired_counts_direction_on_the_exact_values():
    a = np.array([90, 80, 70, 60])
    b = np.array([80, 80, 75, 50])
    acc = paired(a / 100, b / 100, higher_is_better=True, exact=(a, b), scale=100)
    assert (acc["wins"], acc["ties"], acc["losses"]) == (2, 1, 1)
    loss = paired(a / 100, b / 100, higher_is_better=False, exact=(a, b), scale=100)
    assert (loss["wins"], loss["ties"], loss["losses"]) == (1, 1, 2)
    assert acc["mean_diff"] == pytest.approx((10 + 0 - 5 + 10) / 4 * 0.01)
    assert acc["mean_a"] == pytest.approx(0.75) and acc["mean_b"] == pytest.approx(0.7125)
    assert acc["p_value"] == enumerated_p([10, 0, -5, 10])
    # the counts, not the floats, decide: 0.7 - 0.6 - 0.1 is not 0 in floating point
    tie = paired(np.array([0.7]) - 0.6, np.array([0.1]), True, exact=(np.array([10]), np.array([10])))
    assert (tie["wins"], tie["ties"], tie["losses"]) == (0, 1, 0)


def test_paired_length_mismatch():
    with pytest.raises(ValueError, match="length"):
        paired([1, 2], [1, 2, 3], True)


def test_mean_ci_is_the_t_interval():
    x = np.array([0.80, 0.82, 0.79, 0.85, 0.81])
    res = mean_ci(x, 0.95)
    half = 2.7764451051977987 * x.std(ddof=1) / math.sqrt(5)  # t(0.975, 4) from tables
    assert res["mean"] == pytest.approx(0.814)
    assert (res["ci_low"], res["ci_high"]) == pytest.approx((0.814 - half, 0.814 + half))


def test_mean_ci_degenerate():
    assert mean_ci([0.5, 0.5, 0.5])["ci_low"] == 0.5
    assert np.isnan(mean_ci([0.5])["ci_low"])


# --- the paired table on accuracies read back from CSV -------------------------


def runs_through_csv(final_counts, ensemble_counts, rows=1000):
    """A runs table of one method whose accuracies went through CSV, as the
    summarise stage reads them."""
    n = len(final_counts)
    df = pd.DataFrame(
        {"dataset": "d", "method": "m", "seed": range(1, n + 1), "members": 3, "test_rows": rows}
    )
    for model, counts in (("final", final_counts), ("ensemble", ensemble_counts)):
        for m in METRICS:
            df[f"{model}_{m}"] = np.asarray(counts) / rows if m == "accuracy" else 0.5
    df["ensemble_vote_accuracy"] = df["ensemble_accuracy"]
    buffer = io.StringIO()
    df.to_csv(buffer, index=False, float_format="%.10g")
    return pd.read_csv(io.StringIO(buffer.getvalue()))


def test_accuracy_differences_are_counts_so_ties_are_ties():
    # equal count differences from different bases: 603 - 600 and 688 - 685 are
    # both +3, but 0.603 - 0.600 != 0.688 - 0.685 in binary floating point
    final = [600, 685, 601, 600, 600, 682, 600, 686, 700, 600, 688, 602, 683, 687, 810, 688]
    diff = [3, 3, 3, -3, 6, 6, -6, 3, 0, 9, -3, 3, 6, 3, 3, -9]
    runs = runs_through_csv(final, [f + d for f, d in zip(final, diff)])
    floats = runs["ensemble_accuracy"] - runs["final_accuracy"]
    assert floats.nunique() > len(set(diff)), (
        "the float differences must hide ties for this test to mean anything"
    )
    row = (
        paired_table.paired_table(runs, flips=2**16)
        .query("metric == 'accuracy' and a_model == 'ensemble'")
        .iloc[0]
    )
    assert row.p_value == pytest.approx(
        st.permutation_test((np.array(diff),), np.sum, permutation_type="samples", n_resamples=np.inf).pvalue,
        abs=1e-12,
    )
    assert (row.wins, row.ties, row.losses) == (11, 1, 4)
    assert row.mean_diff == pytest.approx(sum(diff) / len(diff) / 1000, rel=1e-12)


def test_equal_count_differences_from_different_bases_have_exactly_no_spread():
    final = [600, 685, 601, 682, 700, 810]
    runs = runs_through_csv(final, [f + 3 for f in final])
    floats = runs["ensemble_accuracy"] - runs["final_accuracy"]
    assert floats.std() > 0  # in floating point they differ
    row = paired_table.paired_table(runs).query("metric == 'accuracy' and a_model == 'ensemble'").iloc[0]
    assert row.sd_diff == 0 and row.ci_low == row.ci_high == 0.003
    assert (row.wins, row.ties, row.losses) == (6, 0, 0)


def test_accuracy_that_is_not_a_fraction_of_the_test_rows_is_refused():
    runs = runs_through_csv([850, 851], [852, 853])
    runs.loc[0, "final_accuracy"] = 0.8505
    with pytest.raises(ValueError, match="not fractions of 1000 test rows"):
        paired_table.paired_table(runs)


def test_continuous_metrics_are_compared_on_a_1e9_grid():
    nll = METRICS["nll"]
    values = pd.read_csv(io.StringIO("x\n0.3000000001\n0.2\n0.1000000001\n"))["x"]
    units = nll.units(values)
    assert units.tolist() == [300000000, 200000000, 100000000]
    diffs = units[:-1] - units[1:]
    assert diffs[0] == diffs[1]  # 0.3000000001 - 0.2 and 0.2 - 0.1000000001 are equal on the grid


# --- deep ensemble equivalent ----------------------------------------------------


CURVE = [0.7, 0.6, 0.56, 0.55, 0.545]  # mean NLL of 1..5 independent models


@pytest.mark.parametrize(
    "value,expected",
    [
        (0.7, 1.0),
        (0.6, 2.0),
        (0.65, 1.5),
        (0.58, 2.5),
        (0.5475, 4.5),
        (0.545, 5.0),
        (0.8, dee.BELOW),
        (0.5, dee.ABOVE),
    ],
)
def test_equivalent_by_hand(value, expected):
    assert dee.equivalent(CURVE, value) == pytest.approx(expected)


def test_a_curve_that_rises_again_is_read_on_its_upper_envelope():
    # [0.7, 0.6, 0.65, 0.58] made non-increasing from the right: [0.7, 0.65, 0.65, 0.58];
    # 0.62 is crossed between k = 3 (0.65) and k = 4 (0.58), at 3 + 0.03 / 0.07
    assert dee.monotone([0.7, 0.6, 0.65, 0.58]).tolist() == [0.7, 0.65, 0.65, 0.58]
    assert dee.equivalent([0.7, 0.6, 0.65, 0.58], 0.62) == pytest.approx(3 + 0.03 / 0.07)
    # on the flat stretch, its right end: 0.65 is worth 3
    assert dee.equivalent([0.7, 0.6, 0.65, 0.58], 0.65) == 3.0


def test_the_reference_is_worth_M_even_where_its_curve_rises_at_the_end():
    # a calibrated curve can rise: the reference's own value c(M) is still M
    assert dee.equivalent([0.5, 0.45, 0.44, 0.46], 0.46) == 4.0
    assert dee.equivalent([0.5, 0.45, 0.44, 0.46], 0.44) == math.inf  # below c(M): "> 4"


def test_a_flat_curve_and_a_missing_value():
    # on a flat curve the reading jumps on any difference: the table's identification rule catches it
    flat = [0.4, 0.4, 0.4]
    assert (dee.equivalent(flat, 0.4), dee.equivalent(flat, 0.3999), dee.equivalent(flat, 0.4001)) == (
        3.0,
        math.inf,
        -math.inf,
    )
    assert math.isnan(dee.equivalent(flat, math.nan)) and dee.fmt(math.nan) == "n/a"


FOLD_VALUES = ("nll_even", "nll_odd", "nll_calibrated_even", "nll_calibrated_odd")
REF = {"d": dee_table.Reference("ref", {"": "ref"})}


def study_with_reference(values, reference_curves):
    """runs and long tables of a reference method (rows: seeds, columns: k) and
    a method, every value the same on both folds and for both DEE metrics."""
    seeds = range(1, len(values) + 1)
    long = pd.DataFrame(
        [
            {
                "dataset": "d",
                "method": "ref",
                "seed": s,
                "k": k + 1,
                **{f"subset_{c}": v for c in FOLD_VALUES},
            }
            for s, curve in zip(seeds, reference_curves)
            for k, v in enumerate(curve)
        ]
    )
    runs = pd.DataFrame(
        [
            {"dataset": "d", "method": "ref", "seed": s, **{f"ensemble_{c}": curve[-1] for c in FOLD_VALUES}}
            for s, curve in zip(seeds, reference_curves)
        ]
        + [
            {"dataset": "d", "method": "m", "seed": s, **{f"ensemble_{c}": v for c in FOLD_VALUES}}
            for s, v in zip(seeds, values)
        ]
    )
    return runs, long


def dee_rows(runs, long, resamples, metric="nll_calibrated"):
    table = dee_table.dee_table(runs, long, REF, resamples=resamples)
    assert set(table.metric) == {"nll_calibrated", "nll"}
    return table[table.metric == metric].set_index("method")


def test_dee_table_reference_is_M_and_beyond_the_curve_is_censored():
    rng = np.random.default_rng(0)
    base = np.array([0.70, 0.62, 0.59, 0.575, 0.57])
    curves = base + rng.normal(0, 0.003, size=(30, 5))  # noisy per seed, decreasing on average
    assert np.all(np.diff(curves.mean(axis=0)) < 0)
    runs, long = study_with_reference(np.full(30, 0.40), curves)
    table = dee_rows(runs, long, 500)
    assert table.loc["ref", "dee"] == 5  # exactly M, by construction
    assert table.loc["m", "dee"] == math.inf and table.loc["m", "dee_ci_low"] == math.inf
    assert table.loc["m", "dee_text"] == "> 5 [> 5, > 5]"
    assert table.loc["ref", "reference_members"] == 5 and table.loc["ref", "repeats"] == 30


def test_dee_table_point_and_interval_from_the_means_over_repeats():
    curves = np.tile([0.7, 0.6, 0.56, 0.55, 0.545], (8, 1))  # the same curve in every repeat
    values = np.array([0.64, 0.66] * 4)  # mean 0.65: DEE 1.5; a resample's mean is in [0.64, 0.66]
    runs, long = study_with_reference(values, curves)
    row = dee_rows(runs, long, 1000, "nll").loc["m"]
    assert row.dee == pytest.approx(1.5)
    assert 1.4 <= row.dee_ci_low <= 1.5 <= row.dee_ci_high <= 1.6
    assert row.dee_text == f"1.50 [{row.dee_ci_low:.2f}, {row.dee_ci_high:.2f}]"


def test_vectorised_equivalents_are_the_scalar_ones():
    rng = np.random.default_rng(1)
    curves = np.sort(rng.random((2000, 6)), axis=1)[:, ::-1].copy()
    curves[::7] = curves[::7, ::-1]  # some curves rise
    values = rng.random(2000) * 1.2 - 0.1
    expected = [dee.equivalent(c, v) for c, v in zip(curves, values)]
    assert dee.equivalents(curves, values).tolist() == expected


def test_dee_bootstrap_is_reproducible():
    rng = np.random.default_rng(1)
    ref = 0.6 + rng.normal(0, 0.02, (20, 4)) - np.arange(4) * 0.02
    values = 0.56 + rng.normal(0, 0.02, 20)
    assert dee.bootstrap(ref, values, 300, 0.95) == dee.bootstrap(ref, values, 300, 0.95)


def test_large_test_sets_count_exactly_after_the_csv_round_trip():
    rows = 100_003
    counts = np.array([91_234, 91_237, 88_001])
    values = pd.read_csv(io.StringIO("x\n" + "\n".join(f"{c / rows:.10g}" for c in counts)))["x"]
    assert METRICS["accuracy"].units(values, rows).tolist() == counts.tolist()


def test_a_repeat_with_an_undefined_value_is_left_out_of_its_comparison():
    res = comparisons.compare("nll", [0.3, np.nan, 0.2, 0.25], [0.35, 0.3, 0.1, 0.25], 1000, 0.95)
    assert res["n"] == 3 and (res["wins"], res["ties"], res["losses"]) == (1, 1, 1)
    with pytest.raises(ValueError, match="NaN or infinite"):
        METRICS["nll"].units([0.3, np.nan])


def test_dee_with_one_shared_repeat_is_not_identified():
    # one repeat cannot show that the reference gains from its members
    runs, long = study_with_reference([0.58], [[0.7, 0.6, 0.55]])
    row = dee_rows(runs, long, 100).loc["m"]
    assert np.isnan(row.dee) and row.identified == "no" and row.dee_text == "n/a"


def test_an_nll_of_1e32_nats_is_compared_without_wrapping_int64():
    # a model whose weights grew huge without overflowing: its exact NLL is
    # 2e32 nats, which 1e9 units per nat would wrap around int64. The
    # comparison must see what the numbers say: a mean difference of about
    # 2e32 / 4 = 5e31 (a worse), and the other three repeats tied.
    a = np.array([2e32, 0.5, 0.6, 0.7])
    b = np.array([0.4, 0.5, 0.6, 0.7])
    res = comparisons.compare("nll", a, b, np.full(4, 1000), 0.95, flips=2000)
    assert res["mean_diff"] == pytest.approx(5e31, rel=1e-12)
    assert (res["wins"], res["ties"], res["losses"]) == (0, 3, 1)
    # exactly: 2e32 nats is 2 * 10**41 units, less 0.4e9
    assert METRICS["nll"].units(a).tolist()[0] == 2 * 10**41
    assert METRICS["nll"].units(a).tolist()[1:] == METRICS["nll"].units(b).tolist()[1:]


def test_one_diverged_run_changes_no_other_repeats_difference():
    # twenty seeds where the ensemble is better by 0.05 nats in every one
    rng = np.random.default_rng(9)
    final = 0.45 + rng.normal(0, 0.02, 20)
    ensemble = final - 0.05
    clear = comparisons.compare("nll", ensemble, final, np.full(20, 1000), 0.95)
    assert (clear["wins"], clear["ties"], clear["losses"]) == (20, 0, 0)
    for diverged in (1e6, 1e30):  # one final model's NLL blows up: the ensemble wins that seed by more
        final_d = final.copy()
        final_d[7] = diverged
        res = comparisons.compare("nll", ensemble, final_d, np.full(20, 1000), 0.95)
        assert (res["wins"], res["ties"], res["losses"]) == (20, 0, 0)
        assert res["p_value"] == clear["p_value"] == 2 / 10_001  # every flip's sum is below the observed
        units = METRICS["nll"].units(final_d)
        assert [int(u) for u in units[np.arange(20) != 7]] == METRICS["nll"].units(
            final[np.arange(20) != 7]
        ).tolist()


def test_units_refuse_what_is_not_a_number():
    with pytest.raises(ValueError, match="NaN or infinite"):
        METRICS["nll"].units(np.array([np.inf]))


def test_a_flat_reference_curve_identifies_no_dee():
    # the default study's case: independent members whose ensemble barely beats one model,
    # here by +-0.001 nats at random per seed: any value near the curve would read "> M" or "< 1"
    rng = np.random.default_rng(12)
    gains = rng.choice([-0.001, 0.001], size=30)
    curves = np.column_stack([0.4630 + gains, np.full(30, 0.4628), 0.4630 - np.zeros(30)])
    runs, long = study_with_reference(np.full(30, 0.40), curves)
    table = dee_rows(runs, long, 200)
    assert set(table.identified) == {"no"} and table.dee.isna().all()
    assert table.loc["m", "dee_text"].startswith("not identifiable: 1 to 3 reference models gain")


def test_a_gain_within_the_curves_own_noise_identifies_no_dee():
    # the default study's case: ten independent models beat one by 0.0015 nats in every
    # seed (a gain the paired test would call certain), while the curve's level moves by
    # 0.01 from seed to seed: placed on a curve that rises by less than its level's
    # uncertainty, any value near it would read "> 10" or "< 1" on noise
    rng = np.random.default_rng(14)
    level = 0.462 + rng.normal(0, 0.01, 30)
    curves = level[:, None] + np.linspace(0.0015, 0.0, 10)[None, :]
    runs, long = study_with_reference(np.full(30, 0.455), curves)
    table = dee_rows(runs, long, 200)
    half = st.t.ppf(0.975, 29) * np.std(level, ddof=1) / math.sqrt(30)  # of c(1) and c(M) alike
    assert table.loc["m", "reference_gain"] == pytest.approx(0.0015, abs=1e-12)
    assert table.loc["m", "reference_level_half_width"] == pytest.approx(half, rel=1e-9)
    assert half > 0.0015 and table.loc["m", "identified"] == "no" and np.isnan(table.loc["m", "dee"])
    assert table.loc["m", "value_half_width"] == 0.0  # the method's value is the same every seed
    assert table.loc["m", "dee_text"] == (
        f"not identifiable: 1 to 10 reference models gain 0.0015, within the +-{half:.4f} uncertainty "
        "of placing the value on the curve"
    )


def test_a_value_too_noisy_for_a_curve_that_gains_little_identifies_no_dee():
    # the reference's level is known to +-0.0006 and it gains 0.0015, but the method's own
    # mean moves by more than the whole curve: its DEE is not identified, the reference's is
    rng = np.random.default_rng(15)
    level = 0.462 + rng.normal(0, 0.0015, 30)
    curves = level[:, None] + np.linspace(0.0015, 0.0, 10)[None, :]
    values = 0.460 + rng.normal(0, 0.006, 30)
    runs, long = study_with_reference(values, curves)
    table = dee_rows(runs, long, 200)
    spread = st.t.ppf(0.975, 29) * np.std(values, ddof=1) / math.sqrt(30)
    assert table.loc["m", "value_half_width"] == pytest.approx(spread, rel=1e-9)
    assert table.loc["m", "reference_level_half_width"] < 0.0015 < spread
    assert table.loc["m", "identified"] == "no" and table.loc["ref", "identified"] == "yes"
    assert table.loc["ref", "dee"] == 10.0


def test_a_rising_reference_curve_still_gives_the_reference_M():
    # calibrated curves can rise at the end; the reference's own value is c(M) and its DEE M
    rng = np.random.default_rng(13)
    curves = np.array([0.5, 0.45, 0.44, 0.46]) + rng.normal(0, 0.002, size=(12, 4))
    runs, long = study_with_reference(np.full(12, 0.47), curves)
    table = dee_rows(runs, long, 200)
    assert table.loc["ref", "identified"] == "yes" and table.loc["ref", "dee"] == 4.0
    assert table.loc["ref", "reference_gain"] == pytest.approx(np.mean(curves[:, 0] - curves[:, -1]))


def test_the_diverged_run_demo_gives_better_through_the_paired_table():
    # twenty seeds where the ensemble's NLL is 0.05 nats below the final model's; then one
    # final model's NLL blown up to 1e30 (a diverged run): the verdict stays "better"
    rng = np.random.default_rng(21)
    final = 0.45 + rng.normal(0, 0.02, 20)
    for blown in (None, 1e6, 1e30):
        df = pd.DataFrame(
            {"dataset": "d", "method": "m", "seed": range(1, 21), "members": 3, "test_rows": 1000}
        )
        for model in ("final", "ensemble"):
            for m in METRICS:
                df[f"{model}_{m}"] = 0.5 if m == "accuracy" else final - (0.05 if model == "ensemble" else 0)
        df["ensemble_vote_accuracy"] = 0.5
        if blown is not None:
            df.loc[7, "final_nll"] = blown
        row = paired_table.paired_table(df).query("metric == 'nll' and comparison == 'final'").iloc[0]
        assert (row.verdict, row.wins, row.ties, row.losses) == ("better", 20, 0, 0)


def test_the_front_page_names_the_dee_or_why_it_is_not_identifiable():
    from snapens.analyse.dee_text import dee_sentence

    rng = np.random.default_rng(16)
    level = 0.462 + rng.normal(0, 0.01, 30)
    curves = level[:, None] + np.linspace(0.0015, 0.0, 10)[None, :]
    runs, long = study_with_reference(np.full(30, 0.455), curves)
    table = dee_table.dee_table(runs, long, REF, resamples=200)
    (line, _) = dee_sentence(table, "d", "m")
    assert line.startswith(
        "Deep ensemble equivalent of ``m``'s ensemble on d (calibrated NLL; reference ``ref``)"
    )
    assert "not identifiable: 1 to 10 reference models gain 0.0015" in line
    assert dee_sentence(table, "d", "absent") == [] and dee_sentence(None, "d", "m") == []


def test_a_reference_read_back_from_csv_names_no_rate_it_did_not_choose():
    from snapens.analyse.dee_text import reference_text

    row = pd.read_csv(io.StringIO("reference,reference_chosen,selection\nindependent,,\n")).iloc[0]
    assert reference_text(row) == "`independent`"  # not "at nan"
