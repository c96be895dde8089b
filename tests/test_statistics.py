import numpy as np
import pytest
from scipy import stats as st

from snapens.statistics import mean_ci, paired, wilcoxon


def test_mean_ci_matches_scipy_t_interval():
    x = np.array([0.80, 0.82, 0.79, 0.85, 0.81])
    res = mean_ci(x, 0.95)
    lo, hi = st.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=st.sem(x))
    assert res["mean"] == pytest.approx(x.mean())
    assert res["sd"] == pytest.approx(x.std(ddof=1))
    assert (res["ci_low"], res["ci_high"]) == pytest.approx((lo, hi))


def test_mean_ci_degenerate():
    assert mean_ci([0.5, 0.5, 0.5])["ci_low"] == 0.5
    assert np.isnan(mean_ci([0.5])["ci_low"])


def test_paired_counts_direction():
    a = np.array([0.9, 0.8, 0.7, 0.6])
    b = np.array([0.8, 0.8, 0.75, 0.5])
    acc = paired(a, b, higher_is_better=True)
    assert (acc["wins"], acc["ties"], acc["losses"]) == (2, 1, 1)
    loss = paired(a, b, higher_is_better=False)
    assert (loss["wins"], loss["ties"], loss["losses"]) == (1, 1, 2)
    assert acc["mean_diff"] == pytest.approx(np.mean(a - b))
    assert acc["p_value"] == pytest.approx(st.wilcoxon(a - b).pvalue)


def test_wilcoxon_all_zero_is_undefined():
    stat, p = wilcoxon(np.zeros(5))
    assert np.isnan(stat) and np.isnan(p)


def test_paired_length_mismatch():
    with pytest.raises(ValueError, match="length"):
        paired([1, 2], [1, 2, 3], True)


def test_deep_ensemble_equivalent_on_a_synthetic_curve():
    from snapens.tables import deep_ensemble_equivalent

    k = np.arange(1, 6)
    curve = 0.5 + 0.2 / k  # NLL of ensembles of k independent models: 0.7, 0.6, 0.567, 0.55, 0.54
    dee, low, high = deep_ensemble_equivalent(k, curve, [0.7, 0.6, 0.65, 0.545, 0.8, 0.5])
    np.testing.assert_allclose(dee, [1, 2, 1.5, 4.5, 1, 5])
    assert list(low) == [False, False, False, False, True, False]
    assert list(high) == [False, False, False, False, False, True]
    # a curve that rises again is treated by its running minimum
    dee, _, _ = deep_ensemble_equivalent([1, 2, 3], [0.7, 0.6, 0.65], [0.6])
    assert dee[0] == 2
