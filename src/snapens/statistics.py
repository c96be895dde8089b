"""Across-repeat statistics: means with confidence intervals and paired tests.

Repeats are paired by seed: the same seed gives the same initial weights and
batch order to every method, so differences are computed seed by seed.
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
    """Two-sided Wilcoxon signed-rank test of paired differences (zeros dropped).

    Returns ``(statistic, p_value)``; both NaN when every difference is zero,
    where the test is undefined.
    """
    d = np.asarray(diff, dtype=np.float64)
    if not np.any(d != 0):
        return math.nan, math.nan
    res = stats.wilcoxon(d, zero_method="wilcox", alternative="two-sided")
    return float(res.statistic), float(res.pvalue)


def paired(a, b, higher_is_better: bool, confidence: float = 0.95) -> dict[str, float]:
    """Compare ``a`` with ``b`` repeat by repeat (``diff = a - b``).

    ``wins`` counts repeats where ``a`` is better than ``b`` in the metric's
    direction, ``losses`` where it is worse, ``ties`` where they are equal.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"paired samples differ in length: {a.shape} vs {b.shape}")
    diff = a - b
    ci = mean_ci(diff, confidence)
    better = diff > 0 if higher_is_better else diff < 0
    worse = diff < 0 if higher_is_better else diff > 0
    statistic, p = wilcoxon(diff)
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
        "ties": int((diff == 0).sum()),
        "losses": int(worse.sum()),
    }
