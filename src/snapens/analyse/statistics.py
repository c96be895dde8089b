"""Across-repeat statistics: means with confidence intervals and paired tests.

Repeats are paired by seed: the same seed gives the same initial weights and
batch order to every method, so differences are computed seed by seed.

The signed-rank test and the win/tie/loss counts take exact differences:
:func:`paired` compares the values as integers (test-row counts for accuracy,
multiples of 1e-9 for continuous metrics; see
:meth:`snapens.evaluate.metrics.Metric.units`), so equal differences are equal and the
test sees its ties and zeros. Differences of floats read back from CSV would
not be: 0.853 - 0.850 != 0.856 - 0.853 in binary floating point.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats


def mean_ci(values, confidence: float = 0.95) -> dict[str, float]:
    """Mean, sample standard deviation and Student-t confidence interval."""
    x = np.asarray(values, dtype=np.float64)
    n = len(x)
    mean = float(x.mean()) if n else math.nan
    sd = float(x.std(ddof=1)) if n > 1 else math.nan
    if n > 1 and sd > 0:
        half = float(stats.t.ppf((1 + confidence) / 2, n - 1)) * sd / math.sqrt(n)
    elif n > 1:
        half = 0.0
    else:
        half = math.nan
    return {"n": n, "mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half}


def wilcoxon(diff) -> tuple[float, float]:
    """Two-sided Wilcoxon signed-rank test of paired integer differences.

    Zeros are dropped (Wilcoxon's method); tied absolute differences get
    their mean rank. The p-value is exact when there are no ties and no
    zeros (n <= 50), exact by enumerating all sign assignments when there
    are (n <= 13), and otherwise from the normal approximation with the tie
    correction of the variance (no continuity correction): SciPy's
    ``method="auto"``. Returns ``(statistic, p_value)``, the statistic being
    the smaller of the positive and negative rank sums; both NaN when every
    difference is zero, where the test is undefined.
    """
    d = _integers(diff)
    if not np.any(d != 0):
        return math.nan, math.nan
    res = stats.wilcoxon(d, zero_method="wilcox", alternative="two-sided", method="auto")
    return float(res.statistic), float(res.pvalue)


def _integers(values) -> np.ndarray:
    x = np.asarray(values)
    if not np.issubdtype(x.dtype, np.integer):
        raise TypeError(
            f"paired differences must be exact integers, got {x.dtype} "
            "(convert with snapens.evaluate.metrics.Metric.units)"
        )
    return x.astype(np.int64)


def paired(a, b, higher_is_better: bool, confidence: float = 0.95, exact=None) -> dict[str, float]:
    """Compare ``a`` with ``b`` repeat by repeat (``diff = a - b``).

    ``exact`` is ``(a_units, b_units)``: the same values as exact integers
    (see :meth:`snapens.evaluate.metrics.Metric.units`); without it ``a`` and ``b``
    must be integers themselves. The signed-rank test and the counts use the
    integer differences: ``wins`` counts repeats where ``a`` is better than
    ``b`` in the metric's direction, ``losses`` where it is worse, ``ties``
    where they are equal. Means, sd and the interval are of ``a - b`` as given.
    """
    a_units, b_units = (a, b) if exact is None else exact
    a_units, b_units = _integers(a_units), _integers(b_units)
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if not a.shape == b.shape == a_units.shape == b_units.shape:
        raise ValueError(f"paired samples differ in length: {a.shape} vs {b.shape}")
    units = a_units - b_units
    ci = mean_ci(a - b, confidence)
    better = units > 0 if higher_is_better else units < 0
    worse = units < 0 if higher_is_better else units > 0
    statistic, p = wilcoxon(units)
    return {
        "n": ci["n"],
        "mean_a": float(a.mean()),
        "mean_b": float(b.mean()),
        "mean_diff": ci["mean"],
        "sd_diff": ci["sd"],
        "ci_low": ci["ci_low"],
        "ci_high": ci["ci_high"],
        "wilcoxon_statistic": statistic,
        "p_value": p,
        "wins": int(better.sum()),
        "ties": int((units == 0).sum()),
        "losses": int(worse.sum()),
    }
