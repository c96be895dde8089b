"""Across-repeat statistics: means with confidence intervals, paired
comparisons and their multiplicity control.

Why one module over 400 lines: its functions are one argument, told below:
the sign-flip test, its inversion into intervals, the best-of-several and
ratio tests built on the same subset sums, and the floors and Holm's
adjustment that say what a family can decide. Split, the argument would be
read across modules; docs/specification.md, docs/inference.md and
tools/inference_sim.py cite its functions here by name.

Repeats are paired by seed: the same seed gives the same initial weights and
batch order to every method, so differences are computed seed by seed.

**The estimand** of a paired comparison is the mean difference over seeds
(``a - b``): what a user who switches from ``b`` to ``a`` gains on average,
in the metric's own units (specification §6 says why not the median or the
probability of a win).

**One procedure: the sign-flip test** (:func:`sign_flip`). Under "no
difference between the methods" the two runs of a seed are exchangeable, so
each difference is as likely to have either sign. The test compares the sum
of the differences with the sums of the same differences under sign flips:
all ``2**n`` of them when there are at most ``flips + 1``, else the identity
and ``flips`` random ones from a fixed generator. Whatever the differences'
shape (heavy tails, a diverged run, lattices of counts with many ties) its
size is at most the nominal level under that null; the simulation study
(``docs/inference.md``) measured it and the alternatives'.

Its interval is the same test inverted (Hartigan 1969): flipping the signs
of a subset ``A`` of the repeats moves the sum below the observed one exactly
when the mean of ``d`` over ``A`` is below the tested value, so the interval's
ends are order statistics of the subset means, and it excludes zero exactly
when ``p <= 1 - confidence``. The simultaneous (Bonferroni) interval of a
family comes from the same subset means.

**Exact differences.** The differences are integers: test-row counts for
accuracy, multiples of 1e-9 for continuous metrics (see
:meth:`snapens.evaluate.metrics.Metric.units`), so equal differences are
equal, zero differences are ties, and sums of subsets are exact. Differences
of floats read back from CSV would not be: 0.853 - 0.850 != 0.856 - 0.853 in
binary floating point.

**Families.** :func:`holm` adjusts the p-values of a family of comparisons
(one dataset x metric x comparison across grid points or methods). An exact
test of ``n`` non-zero differences cannot give a p-value below ``2 / 2**n``
(:func:`p_floor`): a family whose every comparison is above Holm's first
threshold cannot give a verdict at its repeats (:func:`repeats_needed`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy import stats

FLIPS = 10_000  # random sign flips of a paired comparison (config: evaluation.sign_flips)
SEED = 0  # the flips' generator seed: the same tables every time
SAFE = 2**62  # |subset sums| below this are exact in int64


@cache
def t_quantile(confidence: float, df: int) -> float:
    """The two-sided Student-t quantile of ``confidence`` with ``df`` degrees
    of freedom (cached: SciPy takes ~0.2 ms a call, and a sweep's tables ask
    for the same few tens of thousands of times)."""
    return float(stats.t.ppf((1 + confidence) / 2, df))


def mean_ci(values, confidence: float = 0.95) -> dict[str, float]:
    """Mean, sample standard deviation, Student-t confidence interval and median."""
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
    median = float(np.median(x)) if n else math.nan
    return {"n": n, "mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half, "median": median}


def alpha_of(confidence: float) -> float:
    """``1 - confidence`` without the float residue of the subtraction (0.05, not 0.05000000000000004)."""
    return round(1.0 - confidence, 12)


def integers(values) -> np.ndarray:
    """Exact integer differences: an int64 array, or an object array of
    Python integers when values are too large for int64 sums (a diverged
    model's NLL of 1e30 nats is 1e39 units of 1e-9)."""
    x = np.asarray(values)
    if x.dtype == object:
        if not all(isinstance(v, (int, np.integer)) for v in x.tolist()):
            raise TypeError("paired differences must be exact integers")
        ints = [int(v) for v in x.tolist()]
        if all(abs(v) * max(len(ints), 1) < SAFE for v in ints):
            return np.asarray(ints, dtype=np.int64)
        return np.asarray(ints, dtype=object)
    if not np.issubdtype(x.dtype, np.integer):
        raise TypeError(
            f"paired differences must be exact integers, got {x.dtype} "
            "(convert with snapens.evaluate.metrics.Metric.units)"
        )
    x = x.astype(np.int64)
    if len(x) and int(np.max(np.abs(x))) * len(x) >= SAFE:
        return np.asarray([int(v) for v in x.tolist()], dtype=object)
    return x


@cache
def flip_sets(n: int, flips: int = FLIPS, seed: int = SEED) -> np.ndarray:
    """``(N, n)`` booleans: each row a set of repeats whose differences are
    flipped. Row 0 is the identity (nothing flipped). With ``2**n <= flips + 1``
    the rows are every subset (``N = 2**n``, an exact test); else the identity
    and ``flips`` random subsets from a generator seeded by ``(seed, n)``
    (``N = flips + 1``), the same for every comparison of ``n`` repeats."""
    if 2**n <= flips + 1:
        codes = np.arange(2**n, dtype=np.int64)
        return ((codes[:, None] >> np.arange(n)) & 1).astype(bool)
    drawn = np.random.default_rng([seed, n]).integers(0, 2, size=(flips, n)).astype(bool)
    return np.vstack([np.zeros((1, n), dtype=bool), drawn])


@cache
def _flip_matrix(n: int, flips: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`flip_sets` as int64 (0/1), for exact matrix products, and each set's size."""
    sets = flip_sets(n, flips).astype(np.int64)
    return sets, sets.sum(axis=1)


def _subset_sums(n: int, flips: int, d: np.ndarray) -> np.ndarray:
    """Sum of ``d`` over each flipped set: exact (int64, or Python integers)."""
    if d.dtype == object:
        return np.array([sum(d[row].tolist(), 0) for row in flip_sets(n, flips)], dtype=object)
    return _flip_matrix(n, flips)[0] @ d


@dataclass(frozen=True)
class Flipped:
    """The sign-flip distribution of one comparison, kept to invert the test
    at any level: the means of ``d`` over the non-empty flipped sets, sorted
    (in units), the number of empty sets (the identity, and random repeats of
    it) and the number of sets ``N``; ``scale`` turns units into the metric."""

    means: np.ndarray
    empty: int
    total: int
    scale: float

    def interval(self, alpha: float) -> tuple[float, float]:
        """The values ``delta`` that the two-sided test of ``mean = delta`` at
        level ``alpha`` does not reject, ``[low, high]`` in the metric:
        ``delta`` is kept while at least ``c`` subset means lie at or below it
        and ``c`` at or above it, ``c = floor(alpha N / 2 - empty) + 1``
        (infinite ends when ``c <= 0``: too few flips for the level)."""
        c = math.floor(alpha * self.total / 2 - self.empty + 1e-9) + 1
        if c <= 0:
            return -math.inf, math.inf
        if c > len(self.means):
            return math.nan, math.nan
        return float(self.means[c - 1]) / self.scale, float(self.means[len(self.means) - c]) / self.scale


def sign_flip(diff_units, scale: float, confidence: float = 0.95, flips: int = FLIPS) -> dict:
    """Sign-flip test and interval of the mean of paired integer differences
    ``diff_units`` (``a - b`` per repeat, in units of ``1 / scale`` of the metric).

    ``p_value = min(1, 2 min(P(S* >= S), P(S* <= S)))`` over the flipped sums
    ``S*`` (:func:`flip_sets`); the interval ``ci_low``/``ci_high`` inverts the
    same test (:class:`Flipped`) and excludes zero exactly when
    ``p_value <= 1 - confidence``; ``p_floor`` is the smallest p-value these
    differences' non-zero count allows (all of one sign). Also returned:
    ``mean_diff``, ``median_diff``, ``sd_diff``, ``se`` (sd / sqrt n) in the
    metric and ``null`` (the :class:`Flipped` distribution, for
    :func:`simultaneous`).
    """
    d = integers(diff_units)
    n = len(d)
    x = np.array([float(v) for v in d.tolist()]) if d.dtype == object else d.astype(np.float64)
    mean = sum(d.tolist(), 0) / n / scale if n else math.nan  # an exact sum, rounded once
    out = {
        "mean_diff": mean,
        "median_diff": float(np.median(x)) / scale if n else math.nan,
        "sd_diff": float(np.std(x, ddof=1)) / scale if n > 1 else math.nan,  # 0 for equal integers
    }
    out["se"] = out["sd_diff"] / math.sqrt(n) if n > 1 else math.nan
    if n < 2:
        return out | {
            "ci_low": math.nan,
            "ci_high": math.nan,
            "p_value": math.nan,
            "p_floor": math.nan,
            "null": None,
        }
    sets, size = _flip_matrix(n, flips)
    sums = _subset_sums(n, flips, d)  # S* >= S exactly when the flipped set's sum is <= 0
    total = len(sets)
    greater = int(np.count_nonzero(sums <= 0))  # draws at least as extreme upwards
    less = int(np.count_nonzero(sums >= 0))
    p = min(1.0, 2 * min(greater, less) / total)
    nonzero = np.array([v != 0 for v in d.tolist()], dtype=np.int64)
    only_ties = np.count_nonzero(sets @ nonzero == 0)  # sets holding only tied repeats
    floor = min(1.0, 2 * int(only_ties) / total)
    nonempty = size > 0
    if d.dtype == object:
        means = np.array([float(s) / k for s, k in zip(sums[nonempty].tolist(), size[nonempty].tolist())])
    else:
        means = sums[nonempty] / size[nonempty]
    null = Flipped(np.sort(means), total - int(np.count_nonzero(nonempty)), total, scale)
    low, high = null.interval(alpha_of(confidence))
    return out | {"ci_low": low, "ci_high": high, "p_value": p, "p_floor": floor, "null": null}


@dataclass(frozen=True)
class BestOf:
    """The sign-flip distributions of ``a`` against each of ``R`` candidates
    ``b_r`` (one :class:`Flipped` each), inverted for the difference against
    the best candidate, ``theta``: in the gain orientation ``g_r = sign (a - b_r)``
    (``sign`` +1 when higher is better, so that ``g > 0`` favours ``a``),
    ``theta = min_r g_r``. Its lower end is the smallest of the candidates'
    lower ends at the level itself (``a`` must beat every candidate: an
    intersection-union bound, no adjustment), its upper end the smallest of
    their upper ends at ``level / R`` (worse than one of ``R``: Bonferroni);
    together they cover ``theta`` with at least the level's probability."""

    nulls: tuple[Flipped, ...]
    sign: int

    def interval(self, alpha: float) -> tuple[float, float]:
        """``[low, high]`` of ``a - best b`` in the metric's own orientation."""
        R = len(self.nulls)
        lows = [_gain(n.interval(alpha), self.sign)[0] for n in self.nulls]
        highs = [_gain(n.interval(alpha / R), self.sign)[1] for n in self.nulls]
        low, high = min(lows), min(highs)
        return (low, high) if self.sign > 0 else (-high, -low)


def _gain(interval: tuple[float, float], sign: int) -> tuple[float, float]:
    low, high = interval
    return (low, high) if sign > 0 else (-high, -low)


def against_best(
    diffs: dict[str, np.ndarray],
    scale: float,
    higher_is_better: bool,
    confidence: float = 0.95,
    flips: int = FLIPS,
    means_b: dict[str, float] | None = None,
) -> dict:
    """``a`` against the best of several ``b_r`` whose integer differences
    ``a - b_r`` over the same repeats are ``diffs[r]``, without choosing ``r``
    on them: ``a`` is better than the best only if it is better than every
    ``b_r`` (each sign-flip test at the full level: an intersection-union
    test), and worse than the best if it is worse than some ``b_r`` (each at
    ``level / R``: Bonferroni over the ``R`` candidates). So
    ``p_value = min(1, max_r p_r [every mean favouring a], R min_r p_r [over
    those favouring some b_r])`` and the interval (:class:`BestOf`) excludes
    zero exactly when ``p_value <= 1 - confidence``. The point estimate and
    the other statistics of :func:`compare_units` (``relative`` from
    ``means_b``, each candidate's mean) are those against the candidate with
    the best mean (``best``), which leans towards the candidates: the interval
    and the verdict do not depend on that choice."""
    sign = 1 if higher_is_better else -1
    means_b = means_b or {}
    each = {
        r: compare_units(d, means_b.get(r, math.nan), higher_is_better, confidence, scale, flips)
        for r, d in diffs.items()
    }
    gains = {r: sign * res["mean_diff"] for r, res in each.items()}
    best = min(gains, key=gains.get)  # the candidate a gains least against: the best b
    R = len(each)
    favour_a = [r for r in each if gains[r] > 0]
    favour_b = [r for r in each if gains[r] < 0]
    p_better = max(each[r]["p_value"] for r in each) if len(favour_a) == R else 1.0
    p_worse = min(1.0, R * min(each[r]["p_value"] for r in favour_b)) if favour_b else 1.0
    null = BestOf(tuple(res["null"] for res in each.values()), sign) if each[best]["null"] else None
    low, high = null.interval(alpha_of(confidence)) if null else (math.nan, math.nan)
    floors = [res["p_floor"] for res in each.values()]
    return each[best] | {
        "best": best,
        "ci_low": low,
        "ci_high": high,
        "p_value": min(1.0, p_better, p_worse) if null else math.nan,
        "p_floor": min(max(floors), min(1.0, R * min(floors))) if null else math.nan,
        "null": null,
    }


def simultaneous(null: Flipped | None, family: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Bonferroni interval of one of ``family`` comparisons: the sign-flip
    interval at level ``1 - (1 - confidence) / family``. All ``family``
    intervals cover their mean differences together with probability at least
    ``confidence`` under the procedure's assumptions."""
    if null is None:
        return math.nan, math.nan
    return null.interval(alpha_of(confidence) / family)


def p_floor(nonzero: int, flips: int = FLIPS) -> float:
    """The smallest two-sided p-value of the sign-flip test on ``nonzero``
    non-zero differences: ``2 / 2**nonzero`` when every flip is enumerated,
    about ``2 / (flips + 1)`` otherwise."""
    if nonzero < 1:
        return 1.0
    return min(1.0, max(2.0 / 2**nonzero, 2.0 / (flips + 1)))


def repeats_needed(family: int, confidence: float = 0.95, flips: int = FLIPS) -> int | None:
    """The fewest repeats (all non-zero, all of one sign) at which a family of
    ``family`` comparisons can give a first verdict: Holm's first threshold
    is ``(1 - confidence) / family``, and :func:`p_floor` must reach it. None
    when ``flips`` are too few for any number of repeats."""
    alpha = alpha_of(confidence) / family
    if 2.0 / (flips + 1) > alpha:
        return None
    n = 1
    while p_floor(n, flips) > alpha:
        n += 1
    return n


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


def ratio_intervals(num, den, levels, flips: int = FLIPS) -> tuple[float, list[tuple[float, float]]]:
    """``sum(num) / sum(den)`` over repeats and its interval at each of
    ``levels`` (confidences) by the sign-flip test inverted (Fieller's
    construction): ``theta`` is kept when the test of mean zero of
    ``num - theta * den`` does not reject. For each flipped set ``A``,
    ``sum_A num - theta sum_A den`` changes sign at ``theta = sum_A num / sum_A den``,
    so the test's counts are counted at every such point, once for all
    levels. An end is infinite when the denominator is not clearly non-zero
    (NaN when nothing is kept)."""
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    n = len(num)
    total_den = float(den.sum())
    estimate = float(num.sum()) / total_den if total_den else math.nan
    if n < 2:
        return estimate, [(math.nan, math.nan) for _ in levels]
    sets, _ = _flip_matrix(n, flips)
    a, e = sets @ num, sets @ den  # per set: sum_A num - theta sum_A den <= 0 ...
    pos, neg, flat = e > 0, e < 0, e == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        r = a / e
    up, down = np.sort(r[pos]), np.sort(r[neg])
    flat_le, flat_ge = int(np.count_nonzero(flat & (a <= 0))), int(np.count_nonzero(flat & (a >= 0)))
    points = np.unique(np.concatenate([up, down]))
    middles = (points[:-1] + points[1:]) / 2 if len(points) > 1 else np.empty(0)
    theta = np.concatenate([[-math.inf], points, middles, [math.inf]])
    # ... when theta >= r for e > 0, or theta <= r for e < 0 (and always or never for e = 0)
    le = np.searchsorted(up, theta, side="right") + (len(down) - np.searchsorted(down, theta, side="left"))
    ge = (len(up) - np.searchsorted(up, theta, side="left")) + np.searchsorted(down, theta, side="right")
    intervals = []
    for confidence in levels:
        threshold = alpha_of(confidence) * len(sets) / 2
        kept = theta[(le + flat_le > threshold) & (ge + flat_ge > threshold)]
        intervals.append((float(kept.min()), float(kept.max())) if len(kept) else (math.nan, math.nan))
    return estimate, intervals


def mcnemar(a, b) -> float:
    """Exact two-sided p-value that two paired binary outcomes (e.g. diverged
    or not, per seed) have the same rate: the binomial test of the discordant
    pairs (McNemar's exact test); 1 when no pair is discordant."""
    a, b = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
    only_a, only_b = int(np.count_nonzero(a & ~b)), int(np.count_nonzero(b & ~a))
    if only_a + only_b == 0:
        return 1.0
    return float(stats.binomtest(only_a, only_a + only_b, 0.5).pvalue)


def paired(
    a,
    b,
    higher_is_better: bool,
    confidence: float = 0.95,
    exact=None,
    scale: float = 1.0,
    flips: int = FLIPS,
) -> dict:
    """Compare ``a`` with ``b`` repeat by repeat (``diff = a - b``).

    ``exact`` is ``(a_units, b_units)``: the same values as exact integers, in
    units of ``1 / scale`` (see :meth:`snapens.evaluate.metrics.Metric.units`);
    without it ``a`` and ``b`` must be integers themselves. The sign-flip test
    (:func:`sign_flip`) and the counts use the integer differences:
    ``wins`` counts repeats where ``a`` is better than ``b`` in the metric's
    direction, ``losses`` where it is worse, ``ties`` where they are equal.
    Effect sizes: ``relative`` = mean difference / mean of ``b``;
    ``standardised`` = mean difference / sd of the differences (Cohen's d_z).
    """
    a_units, b_units = (a, b) if exact is None else exact
    a_units, b_units = integers(a_units), integers(b_units)
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if not a.shape == b.shape == a_units.shape == b_units.shape:
        raise ValueError(f"paired samples differ in length: {a.shape} vs {b.shape}")
    return compare_units(
        a_units - b_units,
        float(b.mean()) if len(b) else math.nan,
        higher_is_better,
        confidence,
        scale,
        flips,
    ) | {"mean_a": float(a.mean()) if len(a) else math.nan, "mean_b": float(b.mean()) if len(b) else math.nan}


def compare_units(
    units,
    mean_b: float,
    higher_is_better: bool,
    confidence: float = 0.95,
    scale: float = 1.0,
    flips: int = FLIPS,
) -> dict:
    """:func:`paired` of differences already taken (integers in units of ``1 / scale``)."""
    units = integers(units)
    res = sign_flip(units, scale, confidence, flips)
    signs = np.array([(v > 0) - (v < 0) for v in units.tolist()], dtype=np.int64)
    better = signs > 0 if higher_is_better else signs < 0
    worse = signs < 0 if higher_is_better else signs > 0
    mean, sd = res["mean_diff"], res["sd_diff"]
    return {
        "n": len(units),
        "mean_diff": mean,
        "median_diff": res["median_diff"],
        "sd_diff": sd,
        "se_diff": res["se"],
        "ci_low": res["ci_low"],
        "ci_high": res["ci_high"],
        "p_value": res["p_value"],
        "p_floor": res["p_floor"],
        "relative": mean / mean_b if mean_b and math.isfinite(mean_b) else math.nan,
        "standardised": mean / sd if sd and math.isfinite(sd) else math.nan,
        "wins": int(better.sum()),
        "ties": int((signs == 0).sum()),
        "losses": int(worse.sum()),
        "null": res["null"],
    }
