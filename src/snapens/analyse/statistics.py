"""Across-repeat statistics: means with confidence intervals, paired
comparisons and their multiplicity control.

Repeats are paired by seed: the same seed gives the same initial weights and
batch order to every method, so differences are computed seed by seed.

**One procedure per comparison.** A paired comparison's interval, its p-value
and its verdict all come from one studentised (bootstrap-t) resampling of
the repeats' differences (:func:`bootstrap_t`): the interval is
``mean +- q * se`` with ``q`` the bootstrap quantile of ``|t*|``, the p-value
the share of resamples with ``|t*|`` at least the observed ``|t|``, and the
interval excludes zero exactly when ``p <= 1 - confidence``. The bootstrap-t
was chosen over a sign-flip permutation test because it gives an interval
without assuming the differences symmetric (accuracy differences are counts,
often skewed), and over the percentile bootstrap because its coverage is
second-order accurate at the study's 30 repeats.

**Exact differences.** The differences are taken as integers: test-row counts
for accuracy, multiples of 1e-9 for continuous metrics (see
:meth:`snapens.evaluate.metrics.Metric.units`), so equal differences are
equal, a run of identical differences has exactly zero spread, and the
win/tie/loss counts see their ties. Differences of floats read back from CSV
would not be: 0.853 - 0.850 != 0.856 - 0.853 in binary floating point.

**Families.** :func:`holm` adjusts the p-values of a family of comparisons
(one dataset x metric x comparison across grid points or methods);
:func:`simultaneous` gives the family's Bonferroni intervals from the same
resamples.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
from scipy import stats

RESAMPLES = 10_000  # bootstrap resamples of a paired comparison (config: evaluation.bootstrap)
SEED = 0  # the resampling generator's seed: the same tables every time


@cache
def t_quantile(confidence: float, df: int) -> float:
    """The two-sided Student-t quantile of ``confidence`` with ``df`` degrees
    of freedom (cached: SciPy takes ~0.2 ms a call, and a sweep's tables ask
    for the same few tens of thousands of times)."""
    return float(stats.t.ppf((1 + confidence) / 2, df))


def mean_ci(values, confidence: float = 0.95) -> dict[str, float]:
    """Mean, sample standard deviation and Student-t confidence interval."""
    x = np.asarray(values, dtype=np.float64)
    n = len(x)
    mean = float(x.mean()) if n else math.nan
    sd = float(x.std(ddof=1)) if n > 1 else math.nan
    if n > 1 and sd > 0:
        half = t_quantile(confidence, n - 1) * sd / math.sqrt(n)
    elif n > 1:
        half = 0.0
    else:
        half = math.nan
    return {"n": n, "mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half}


def _integers(values) -> np.ndarray:
    x = np.asarray(values)
    if not np.issubdtype(x.dtype, np.integer):
        raise TypeError(
            f"paired differences must be exact integers, got {x.dtype} "
            "(convert with snapens.evaluate.metrics.Metric.units)"
        )
    return x.astype(np.int64)


@cache
def resample_indices(n: int, resamples: int, seed: int = SEED) -> np.ndarray:
    """``(resamples, n)`` indices of repeats drawn with replacement, the same
    for every comparison of ``n`` repeats (a fixed generator)."""
    return np.random.default_rng([seed, n]).integers(0, n, size=(resamples, n))


def _studentised(d: np.ndarray, resamples: int) -> tuple[float, np.ndarray]:
    """Observed ``|t| = |mean| / se`` of the integer differences ``d`` and the
    resamples' ``|t*| = |mean* - mean| / se*``. A zero standard error gives
    ``|t| = 0`` when the numerator is zero, else infinity."""
    n = len(d)
    x = d.astype(np.float64)  # integers below 2**53: sums are exact
    mean, se = x.mean(), x.std(ddof=1) / math.sqrt(n)
    boot = x[resample_indices(n, resamples)]
    num = np.abs(boot.mean(axis=1) - mean)
    den = boot.std(axis=1, ddof=1) / math.sqrt(n)
    num[num < 1e-9] = 0.0  # means of integers over n: equal up to rounding are equal
    with np.errstate(divide="ignore", invalid="ignore"):
        t_star = np.where(num == 0, 0.0, num / den)
    observed = 0.0 if mean == 0 else (abs(mean) / se if se > 0 else math.inf)
    return observed, t_star


def quantile(t_star: np.ndarray, level: float) -> float:
    """The ``ceil((B + 1) * level)``-th smallest of the ``B`` values of
    ``|t*|``; infinite when that exceeds ``B`` (too few resamples for the level)."""
    k = math.ceil((len(t_star) + 1) * level - 1e-12)
    return math.inf if k > len(t_star) else float(np.sort(t_star)[k - 1])


def bootstrap_t(diff_units, scale: float, confidence: float = 0.95, resamples: int = RESAMPLES) -> dict:
    """Bootstrap-t comparison of paired integer differences ``diff_units``
    (``a - b`` per repeat, in units of ``1 / scale`` of the metric).

    Returns ``mean_diff`` and ``sd_diff`` (in the metric), the interval
    ``ci_low``/``ci_high`` = ``mean +- q se`` with ``q`` :func:`quantile` of
    ``|t*|`` at ``confidence``, ``p_value`` = ``(1 + #{|t*| >= |t|}) / (B + 1)``,
    and ``t_star`` (the resamples' ``|t*|``, for :func:`simultaneous`). The
    interval excludes zero exactly when ``p_value <= 1 - confidence``.
    """
    d = _integers(diff_units)
    n = len(d)
    if n < 2:
        return {
            "mean_diff": d.mean() / scale if n else math.nan,
            "sd_diff": math.nan,
            "ci_low": math.nan,
            "ci_high": math.nan,
            "se": math.nan,
            "p_value": math.nan,
            "t_star": None,
        }
    observed, t_star = _studentised(d, resamples)
    x = d.astype(np.float64)
    mean, sd = x.mean() / scale, x.std(ddof=1) / scale
    se = sd / math.sqrt(n)
    half = _half_width(quantile(t_star, confidence), se)
    p = (1 + int(np.count_nonzero(t_star >= observed))) / (len(t_star) + 1)
    return {
        "mean_diff": mean,
        "sd_diff": sd,
        "ci_low": mean - half,
        "ci_high": mean + half,
        "se": se,
        "p_value": p,
        "t_star": t_star,
    }


def _half_width(q: float, se: float) -> float:
    return 0.0 if se == 0 else q * se


def simultaneous(
    t_star, mean: float, se: float, family: int, confidence: float = 0.95
) -> tuple[float, float]:
    """The Bonferroni interval of one of ``family`` comparisons: ``mean +- q se``
    with ``q`` the quantile of ``|t*|`` at ``1 - (1 - confidence) / family``.
    All ``family`` intervals cover their differences together with
    probability at least ``confidence``."""
    if t_star is None or not math.isfinite(se):
        return math.nan, math.nan
    half = _half_width(quantile(t_star, 1 - (1 - confidence) / family), se)
    return mean - half, mean + half


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjusted p-values: sorted ascending, the i-th smallest
    (1-based) of ``m`` is ``max_{j <= i} min(1, (m - j + 1) p_(j))``. NaN
    p-values (comparisons that could not be made) are left out of ``m`` and
    stay NaN."""
    p = np.asarray(p_values, dtype=np.float64)
    out = np.full(p.shape, math.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = len(ok)
    order = ok[np.argsort(p[ok], kind="stable")]
    running = 0.0
    for i, idx in enumerate(order):
        running = max(running, min(1.0, (m - i) * p[idx]))
        out[idx] = running
    return out


def paired(
    a,
    b,
    higher_is_better: bool,
    confidence: float = 0.95,
    exact=None,
    scale: float = 1.0,
    resamples: int = RESAMPLES,
) -> dict:
    """Compare ``a`` with ``b`` repeat by repeat (``diff = a - b``).

    ``exact`` is ``(a_units, b_units)``: the same values as exact integers, in
    units of ``1 / scale`` (see :meth:`snapens.evaluate.metrics.Metric.units`);
    without it ``a`` and ``b`` must be integers themselves. The bootstrap-t
    (:func:`bootstrap_t`) and the counts use the integer differences:
    ``wins`` counts repeats where ``a`` is better than ``b`` in the metric's
    direction, ``losses`` where it is worse, ``ties`` where they are equal.
    Effect sizes: ``relative`` = mean difference / mean of ``b``;
    ``standardised`` = mean difference / sd of the differences (Cohen's d_z).
    """
    a_units, b_units = (a, b) if exact is None else exact
    a_units, b_units = _integers(a_units), _integers(b_units)
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if not a.shape == b.shape == a_units.shape == b_units.shape:
        raise ValueError(f"paired samples differ in length: {a.shape} vs {b.shape}")
    return compare_units(
        a_units - b_units,
        float(b.mean()) if len(b) else math.nan,
        higher_is_better,
        confidence,
        scale,
        resamples,
    ) | {"mean_a": float(a.mean()) if len(a) else math.nan, "mean_b": float(b.mean()) if len(b) else math.nan}


def compare_units(
    units,
    mean_b: float,
    higher_is_better: bool,
    confidence: float = 0.95,
    scale: float = 1.0,
    resamples: int = RESAMPLES,
) -> dict:
    """:func:`paired` of differences already taken (integers in units of ``1 / scale``)."""
    units = _integers(units)
    res = bootstrap_t(units, scale, confidence, resamples)
    better = units > 0 if higher_is_better else units < 0
    worse = units < 0 if higher_is_better else units > 0
    mean, sd = res["mean_diff"], res["sd_diff"]
    return {
        "n": len(units),
        "mean_diff": mean,
        "sd_diff": sd,
        "se_diff": res["se"],
        "ci_low": res["ci_low"],
        "ci_high": res["ci_high"],
        "p_value": res["p_value"],
        "relative": mean / mean_b if mean_b else math.nan,
        "standardised": mean / sd if sd and math.isfinite(sd) else math.nan,
        "wins": int(better.sum()),
        "ties": int((units == 0).sum()),
        "losses": int(worse.sum()),
        "t_star": res["t_star"],
    }
