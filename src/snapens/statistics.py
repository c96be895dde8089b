"""Across-repeat statistics: means with confidence intervals and paired tests.

Repeats are paired by seed: the same seed gives the same initial weights and
batch order to every method, so differences are computed seed by seed.

Paired differences are exact: :func:`paired` takes integer values (test-row
counts for accuracy, multiples of 1e-9 for continuous metrics; see
:meth:`snapens.metrics.Metric.units`), so equal differences are equal and the
signed-rank test sees its ties and zeros. Differences of floats read back from
CSV would not be: 0.853 - 0.850 != 0.856 - 0.853 in binary floating point.
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
            "(convert with snapens.metrics.Metric.units)"
        )
    return x.astype(np.int64)


def paired(a, b, higher_is_better: bool, confidence: float = 0.95, unit: float = 1.0) -> dict[str, float]:
    """Compare ``a`` with ``b`` repeat by repeat (``diff = a - b``).

    ``a`` and ``b`` are integers in units of ``unit`` (the reported means
    and interval are in the metric's units: integers times ``unit``).
    ``wins`` counts repeats where ``a`` is better than ``b`` in the metric's
    direction, ``losses`` where it is worse, ``ties`` where they are equal.
    """
    a, b = _integers(a), _integers(b)
    if a.shape != b.shape:
        raise ValueError(f"paired samples differ in length: {a.shape} vs {b.shape}")
    diff = a - b
    ci = mean_ci(diff * unit, confidence)
    better = diff > 0 if higher_is_better else diff < 0
    worse = diff < 0 if higher_is_better else diff > 0
    statistic, p = wilcoxon(diff)
    return {
        "n": ci["n"],
        "mean_a": float(np.mean(a * unit)),
        "mean_b": float(np.mean(b * unit)),
        "mean_diff": ci["mean"],
        "sd_diff": ci["sd"],
        "ci_low": ci["ci_low"],
        "ci_high": ci["ci_high"],
        "wilcoxon_statistic": statistic,
        "p_value": p,
        "wins": int(better.sum()),
        "ties": int((diff == 0).sum()),
        "losses": int(worse.sum()),
    }
