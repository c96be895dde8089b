"""Across-repeat statistics, checked against values derived independently:
p-values by enumerating sign assignments or by the textbook normal formula,
intervals by the t formula, deep ensemble equivalents by hand."""

import io
import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from snapens.analyse import dee, tables
from snapens.analyse.statistics import mean_ci, paired, wilcoxon
from snapens.evaluate.metrics import METRICS

# --- independent signed-rank computations -------------------------------------


def midranks(values):
    """Ranks 1..n of ``values``, ties sharing the mean of their ranks."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def enumerated_p(diffs):
    """Two-sided p of the signed-rank statistic, exact: every one of the 2^n sign
    assignments of the (mid)ranks of the non-zero differences is equally likely."""
    d = [x for x in diffs if x != 0]
    ranks = midranks([abs(x) for x in d])
    observed = sum(r for r, x in zip(ranks, d) if x > 0)
    totals = [sum(r for r, s in zip(ranks, signs) if s) for signs in itertools.product((0, 1), repeat=len(d))]
    at_least = sum(t >= observed - 1e-9 for t in totals) / len(totals)
    at_most = sum(t <= observed + 1e-9 for t in totals) / len(totals)
    return min(1.0, 2 * min(at_least, at_most))


def normal_p(diffs):
    """Two-sided p from the normal approximation with the tie-corrected variance
    n(n+1)(2n+1)/24 - sum(t^3 - t)/48 (zeros dropped, no continuity correction)."""
    d = [x for x in diffs if x != 0]
    n = len(d)
    ranks = midranks([abs(x) for x in d])
    t_plus = sum(r for r, x in zip(ranks, d) if x > 0)
    groups = pd.Series([abs(x) for x in d]).value_counts()
    var = n * (n + 1) * (2 * n + 1) / 24 - sum(t**3 - t for t in groups) / 48
    z = (t_plus - n * (n + 1) / 4) / math.sqrt(var)
    return math.erfc(abs(z) / math.sqrt(2))


def test_no_ties_small_sample_is_exact():
    diffs = np.array([5, -1, 3, 8, 2, 7, -4])  # distinct absolute values, no zeros
    _, p = wilcoxon(diffs)
    assert p == pytest.approx(enumerated_p(diffs.tolist()), rel=1e-12)
    # by hand: ranks of |d| = 5,1,3,7,2,6,4 (for 5,-1,3,8,2,7,-4); negative ranks 1 + 4 = 5;
    # P(T- <= 5) = #subsets of 1..7 summing to <= 5 / 128 = 10 / 128
    # ({}, {1}, {2}, {3}, {4}, {5}, {1,2}, {1,3}, {1,4}, {2,3})
    assert p == pytest.approx(2 * 10 / 128)


def test_ties_and_zeros_small_sample_enumerates_sign_assignments():
    diffs = np.array([3, 3, -3, 6, 0, 6, 9, 0, 3, -6])  # ties in |d| and two zeros
    _, p = wilcoxon(diffs)
    assert p == pytest.approx(enumerated_p(diffs.tolist()), rel=1e-9)


def test_ties_and_zeros_large_sample_uses_the_tie_corrected_normal():
    rng = np.random.default_rng(3)
    diffs = rng.integers(-3, 6, size=30)  # many ties and zeros, like accuracy counts
    assert (diffs == 0).any() and len(set(np.abs(diffs))) < 10
    _, p = wilcoxon(diffs)
    assert p == pytest.approx(normal_p(diffs.tolist()), rel=1e-9)


def test_all_zero_differences_have_no_test():
    stat, p = wilcoxon(np.zeros(5, dtype=np.int64))
    assert np.isnan(stat) and np.isnan(p)


def test_floats_without_their_exact_values_are_refused():
    with pytest.raises(TypeError, match="exact integers"):
        paired([0.9, 0.8], [0.8, 0.8], True)


def test_paired_counts_direction_on_the_exact_values():
    a = np.array([90, 80, 70, 60])
    b = np.array([80, 80, 75, 50])
    acc = paired(a / 100, b / 100, higher_is_better=True, exact=(a, b))
    assert (acc["wins"], acc["ties"], acc["losses"]) == (2, 1, 1)
    loss = paired(a / 100, b / 100, higher_is_better=False, exact=(a, b))
    assert (loss["wins"], loss["ties"], loss["losses"]) == (1, 1, 2)
    assert acc["mean_diff"] == pytest.approx((10 + 0 - 5 + 10) / 4 * 0.01)
    assert acc["mean_a"] == pytest.approx(0.75) and acc["mean_b"] == pytest.approx(0.7125)
    assert acc["p_value"] == pytest.approx(enumerated_p([10, 0, -5, 10]))
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
    row = tables.paired_table(runs).query("metric == 'accuracy' and a_model == 'ensemble'").iloc[0]
    assert row.p_value == pytest.approx(normal_p(diff), rel=1e-9)
    assert row.p_value != pytest.approx(st.wilcoxon(floats).pvalue, rel=1e-3)  # what float differences gave
    assert (row.wins, row.ties, row.losses) == (11, 1, 4)
    assert row.mean_diff == pytest.approx(sum(diff) / len(diff) / 1000, rel=1e-12)


def test_accuracy_that_is_not_a_fraction_of_the_test_rows_is_refused():
    runs = runs_through_csv([850, 851], [852, 853])
    runs.loc[0, "final_accuracy"] = 0.8505
    with pytest.raises(ValueError, match="not fractions of 1000 test rows"):
        tables.paired_table(runs)


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


def test_equivalent_is_the_smallest_k_on_a_curve_that_rises_again():
    # c(2) = 0.6 already reaches 0.62: between k = 1 and 2, at 1 + 0.08 / 0.1
    assert dee.equivalent([0.7, 0.6, 0.65, 0.58], 0.62) == pytest.approx(1.8)


def study_with_reference(values, reference_curves):
    """runs and long tables of a reference method (rows: seeds, columns: k) and a method."""
    seeds = range(1, len(values) + 1)
    long = pd.DataFrame(
        [
            {"dataset": "d", "method": "ref", "seed": s, "k": k + 1, "subset_nll": c}
            for s, curve in zip(seeds, reference_curves)
            for k, c in enumerate(curve)
        ]
    )
    runs = pd.DataFrame(
        [
            {"dataset": "d", "method": "ref", "seed": s, "ensemble_nll": c[-1]}
            for s, c in zip(seeds, reference_curves)
        ]
        + [{"dataset": "d", "method": "m", "seed": s, "ensemble_nll": v} for s, v in zip(seeds, values)]
    )
    return runs, long


def test_dee_table_reference_is_M_and_beyond_the_curve_is_censored():
    rng = np.random.default_rng(0)
    base = np.array([0.70, 0.62, 0.59, 0.575, 0.57])
    curves = base + rng.normal(0, 0.003, size=(30, 5))  # noisy per seed, decreasing on average
    assert np.all(np.diff(curves.mean(axis=0)) < 0)
    runs, long = study_with_reference(np.full(30, 0.40), curves)
    table = tables.dee_table(runs, long, {"d": "ref"}, resamples=500).set_index("method")
    assert table.loc["ref", "dee"] == 5  # exactly M, by construction
    assert table.loc["m", "dee"] == math.inf and table.loc["m", "dee_ci_low"] == math.inf
    assert table.loc["m", "dee_text"] == "> 5 [> 5, > 5]"
    assert table.loc["ref", "reference_members"] == 5 and table.loc["ref", "repeats"] == 30


def test_dee_table_point_and_interval_from_the_means_over_repeats():
    curves = np.tile([0.7, 0.6, 0.56, 0.55, 0.545], (8, 1))  # the same curve in every repeat
    values = np.array([0.64, 0.66] * 4)  # mean 0.65: DEE 1.5; a resample's mean is in [0.64, 0.66]
    runs, long = study_with_reference(values, curves)
    row = tables.dee_table(runs, long, {"d": "ref"}, resamples=1000).set_index("method").loc["m"]
    assert row.dee == pytest.approx(1.5)
    assert 1.4 <= row.dee_ci_low <= 1.5 <= row.dee_ci_high <= 1.6
    assert row.dee_text == f"1.50 [{row.dee_ci_low:.2f}, {row.dee_ci_high:.2f}]"


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
    res = tables.compare("nll", [0.3, np.nan, 0.2, 0.25], [0.35, 0.3, 0.1, 0.25], 1000, 0.95)
    assert res["n"] == 3 and (res["wins"], res["ties"], res["losses"]) == (1, 1, 1)
    with pytest.raises(ValueError, match="NaN or infinite"):
        METRICS["nll"].units([0.3, np.nan])


def test_dee_with_one_shared_repeat_has_no_interval():
    runs, long = study_with_reference([0.58], [[0.7, 0.6, 0.55]])
    row = tables.dee_table(runs, long, {"d": "ref"}, resamples=100).set_index("method").loc["m"]
    assert (
        row.dee == pytest.approx(2 + 0.02 / 0.05) and np.isnan(row.dee_ci_low) and np.isnan(row.dee_ci_high)
    )
    assert row.dee_text == "2.40 [n/a, n/a]"
