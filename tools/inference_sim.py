"""Type-I error, coverage and power of paired procedures at the study's
numbers of repeats, by simulation; written into ``docs/inference.md``.

    python -m tools.inference_sim [--cores N] [--reps R] [--out docs/inference.md] [--quick]
    python -m tools.inference_sim --aa RUNS_CSV [--splits S] [--out docs/inference.md]
    python -m tools.inference_sim --aa RUNS_CSV --export-aa OUT.csv

The first form draws paired differences of n = 10, 15, 20 and 30 repeats from
laws symmetric about zero (null a), from skewed laws shifted so that each
procedure's own estimand is zero (null b), and from the symmetric laws
shifted by half their standard deviation (alternatives), and applies eight
candidate procedures at confidence 0.95 (:data:`CANDIDATES`): the study's
sign-flip test (:func:`snapens.analyse.statistics.sign_flip`), the previous
symmetric bootstrap-t, the t-test, the BCa and percentile bootstraps of the
mean, the Wilcoxon signed-rank test with the Hodges-Lehmann interval, the
sign test with the order-statistic interval of the median, and the
probability of improvement. It also simulates the comparison of an
ensemble with the best of several single models (rates) over seeds, by three
schemes that choose a rate and by the study's, which chooses none
(:func:`snapens.analyse.statistics.against_best`), and the repeats a
"worse" verdict against the best of the rates needs. It replaces the
generated blocks of ``--out`` (the lines between ``<!-- NAME:begin -->``
and ``<!-- NAME:end -->``) and keeps the prose around them. Every cell is cut into chunks of :data:`CHUNK`
replications, each with its own seed, so the numbers do not depend on
``--cores``.

The second form compares, for every dataset x method of a finished study's
``runs.csv`` with at least 20 seeds, two random halves of its seeds (A/A: no
difference by construction) with the sign-flip test and the bootstrap-t, and
writes the ``aa`` block; with ``--export-aa`` it writes instead the columns it
reads (for a test fixture).
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import re
import sys
import warnings
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from functools import cache, cached_property
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from scipy import integrate, optimize, special, stats

from snapens.analyse.selection import OTHER, choose
from snapens.analyse.statistics import FLIPS, against_best, alpha_of, p_floor, repeats_needed, sign_flip
from snapens.evaluate.metrics import FOLDS, METRICS, grid_units

LEVEL = 0.95  # confidence; a verdict is p <= 1 - LEVEL
ALPHA = alpha_of(LEVEL)
GRID = 1e6  # simulated differences are put on a grid of 1e-6 (the study: 1e-9)
NS = (10, 15, 20, 30)  # repeats per comparison
SEED = 1  # every cell's generator is seeded by (SEED, section, law, n, chunk)
CHUNK = 250  # replications per task
OLD_SEED = 0  # the previous bootstrap-t's resampling seed, (OLD_SEED, n)
GEOM_P = (3 - math.sqrt(5)) / 2  # P(G < 2) = P(G > 2): the median 2 splits the rest evenly
DIVERGED = 1e6  # one_diverged: the diverged repeat's difference
OUT = Path("docs/inference.md")

CANDIDATES = (
    "sign_flip",
    "bootstrap_t",
    "t_test",
    "bca",
    "percentile",
    "wilcoxon_hl",
    "sign_test",
    "prob_improvement",
)
LABELS = {
    "sign_flip": "sign-flip",
    "bootstrap_t": "boot-t",
    "t_test": "t-test",
    "bca": "BCa",
    "percentile": "percentile",
    "wilcoxon_hl": "Wilcoxon/HL",
    "sign_test": "sign test",
    "prob_improvement": "P(d>0)",
}
# the estimand of each candidate, and (null b) the centre its differences are shifted by
ESTIMAND = {c: "mean" for c in CANDIDATES[:5]} | {
    "wilcoxon_hl": "pseudo_median",
    "sign_test": "median",
    "prob_improvement": "pi",
}
CENTRE = {"mean": "mean", "pseudo_median": "pseudo_median", "median": "median", "pi": "median"}
SECTIONS = ("a", "b", "alt", "selection")


# ---------------------------------------------------------------- the laws


def signs(rng: np.random.Generator, shape) -> np.ndarray:
    """Independent random signs, +1 or -1."""
    return rng.integers(0, 2, size=shape) * 2.0 - 1.0


def diverged(rng: np.random.Generator, shape) -> np.ndarray:
    """Standard normal differences, one per row replaced by +-:data:`DIVERGED`."""
    x = rng.standard_normal(shape)
    x[np.arange(shape[0]), rng.integers(0, shape[1], shape[0])] = signs(rng, shape[0]) * DIVERGED
    return x


def lattice_mid(cdf: Callable[[int], float], x: float) -> float:
    """``P(X < x) + P(X = x) / 2`` of an integer-valued law with ``cdf``."""
    return 0.5 * (float(cdf(math.floor(x))) + float(cdf(math.ceil(x) - 1)))


def two_points(k: int) -> float:
    """The cdf of +-1 with equal probabilities."""
    return 0.0 if k < -1 else 0.5 if k < 1 else 1.0


@dataclass(frozen=True)
class Symmetric:
    """A law of differences symmetric about zero (null a). Its alternative
    adds ``shift``; ``mid(x, n)`` is ``P(d < x) + P(d = x) / 2`` for the
    null's ``d``, which is the probability of improvement of ``d + x``."""

    name: str
    draw: Callable[[np.random.Generator, tuple], np.ndarray]
    sd: float
    shift: float
    mid: Callable[[float, int], float]
    about: str


def symmetric(name, draw, sd, mid, about, shift=None) -> Symmetric:
    """A :class:`Symmetric` law shifted by half its sd unless ``shift`` is given."""
    return Symmetric(name, draw, sd, sd / 2 if shift is None else shift, mid, about)


NULL_A = {
    law.name: law
    for law in (
        symmetric(
            "normal", lambda g, s: g.standard_normal(s), 1.0, lambda x, n: stats.norm.cdf(x), "N(0, 1)"
        ),
        symmetric(
            "t3",
            lambda g, s: g.standard_t(3, s),
            math.sqrt(3),
            lambda x, n: stats.t.cdf(x, 3),
            "Student t, 3 df",
        ),
        *(
            symmetric(
                f"sym_lognormal_{sigma:g}",
                lambda g, s, sigma=sigma: signs(g, s) * g.lognormal(0.0, sigma, s),
                math.exp(sigma**2),
                lambda x, n, sigma=sigma: 0.5 + 0.5 * stats.lognorm.cdf(x, sigma),
                f"random sign x lognormal(0, {sigma:g})",
            )
            for sigma in (1.0, 1.5)
        ),
        symmetric(
            "sym_geometric",
            lambda g, s: signs(g, s) * g.geometric(GEOM_P, s),
            math.sqrt((2 - GEOM_P) / GEOM_P**2),
            lambda x, n: 0.5 + 0.5 * lattice_mid(stats.geom(GEOM_P).cdf, x),
            "random sign x geometric(p) on 1, 2, ...",
        ),
        symmetric(
            "lattice_ties",
            lambda g, s: g.poisson(0.5, s) - g.poisson(0.5, s),
            1.0,
            lambda x, n: lattice_mid(stats.skellam(0.5, 0.5).cdf, x),
            "Poisson(0.5) - Poisson(0.5)",
        ),
        symmetric("all_equal", signs, 1.0, lambda x, n: lattice_mid(two_points, x), "+-1, random sign"),
        symmetric(
            "one_diverged",
            diverged,
            math.nan,
            lambda x, n: ((n - 1) * stats.norm.cdf(x) + 0.5) / n,
            f"N(0, 1), one repeat replaced by +-{DIVERGED:g}",
            shift=0.5,
        ),
    )
}


def lognormal_pseudo_median(sigma: float) -> float:
    """The median of ``(X1 + X2) / 2`` for iid lognormal(0, sigma) ``X``, by
    quadrature of ``P(X1 + X2 <= s)`` and root finding."""

    def below(total: float) -> float:
        top = math.log(total) / sigma

        def inner(z: float) -> float:
            rest = total - math.exp(sigma * z)
            return stats.norm.pdf(z) * stats.norm.cdf(math.log(rest) / sigma) if rest > 0 else 0.0

        return integrate.quad(inner, -np.inf, top, epsabs=1e-13, epsrel=1e-11, limit=200)[0]

    return optimize.brentq(lambda s: below(s) - 0.5, 1e-6, 1e4, xtol=1e-13) / 2


def lattice_median(dist) -> float:
    """The median of an integer-valued SciPy law (the midpoint when two integers are medians)."""
    low = float(dist.ppf(0.5))
    return low + 0.5 if abs(float(dist.cdf(low)) - 0.5) < 1e-12 else low


@dataclass(frozen=True)
class Skewed:
    """A skewed law of differences (null b), shifted by the centre of each
    estimand (:func:`centres`) so that a candidate's own estimand is zero."""

    name: str
    draw: Callable[[np.random.Generator, tuple], np.ndarray]
    about: str


NULL_B = {
    law.name: law
    for law in (
        *(
            Skewed(
                f"lognormal_{sigma:g}",
                lambda g, s, sigma=sigma: g.lognormal(0.0, sigma, s),
                f"lognormal(0, {sigma:g})",
            )
            for sigma in (1.0, 1.5)
        ),
        Skewed("geometric", lambda g, s: g.geometric(GEOM_P, s).astype(float), "geometric(p) on 1, 2, ..."),
    )
}


@cache
def centres(name: str) -> dict[str, float]:
    """Mean, median and pseudo-median (median of the mean of two independent
    draws) of a null-b law: exact, or by quadrature for the lognormal's."""
    if name == "geometric":
        pair = stats.nbinom(2, GEOM_P)  # G1 + G2 - 2
        return {
            "mean": 1 / GEOM_P,
            "median": lattice_median(stats.geom(GEOM_P)),
            "pseudo_median": (2 + lattice_median(pair)) / 2,
        }
    sigma = float(name.split("_")[1])
    return {"mean": math.exp(sigma**2 / 2), "median": 1.0, "pseudo_median": lognormal_pseudo_median(sigma)}


# ---------------------------------------------------------------- the candidates


@dataclass
class Outcome:
    """Per replication: a verdict or not, and the interval's ends."""

    reject: np.ndarray
    low: np.ndarray
    high: np.ndarray


def verdict(p) -> np.ndarray:
    """``p <= 1 - LEVEL`` (NaN: no verdict)."""
    with np.errstate(invalid="ignore"):
        return np.asarray(p, dtype=np.float64) <= ALPHA + 1e-12


class Batch:
    """Replications of one cell (rows) of ``n`` paired differences, on the
    :data:`GRID` as the study puts its differences on 1e-9: exact integer
    ``units`` and the floats ``x = units / GRID`` that every candidate reads.
    ``rng`` draws the bootstrap resamples of the percentile, BCa and
    probability-of-improvement candidates (:attr:`resampled`)."""

    def __init__(self, x: np.ndarray, rng: np.random.Generator, resamples: int = 2000):
        self.units = np.round(np.asarray(x, dtype=np.float64) * GRID).astype(np.int64)
        self.x = self.units / GRID
        self.rng = rng
        self.resamples = resamples

    @property
    def n(self) -> int:
        return self.x.shape[1]

    @cached_property
    def resampled(self) -> tuple[np.ndarray, np.ndarray]:
        """Per row, ``resamples`` fresh resamples of its repeats: the sorted
        resampled means and the sorted resampled probabilities of improvement,
        both ``(rows, resamples)``. Rows are drawn in order, each from the
        same stream as ``scipy.stats.bootstrap(rng=...)`` draws one sample."""
        rows, n = self.x.shape
        means, wins = np.empty((rows, self.resamples)), np.empty((rows, self.resamples))
        for r in range(rows):
            draws = self.x[r, self.rng.integers(0, n, size=(self.resamples, n))]
            means[r] = draws.mean(axis=1)
            wins[r] = ((draws > 0) + 0.5 * (draws == 0)).mean(axis=1)
        return np.sort(means, axis=1), np.sort(wins, axis=1)


def sorted_quantile(ordered: np.ndarray, q) -> np.ndarray:
    """Per row of ``ordered`` (sorted rows), the quantile at level ``q`` (a
    scalar or one per row) with linear interpolation (NumPy's default)."""
    rows, size = ordered.shape
    q = np.broadcast_to(np.asarray(q, dtype=np.float64), (rows,))
    out = np.full(rows, math.nan)
    ok = np.isfinite(q)
    pos = q[ok] * (size - 1)
    low = np.clip(np.floor(pos).astype(np.int64), 0, size - 1)
    high = np.minimum(low + 1, size - 1)
    r = np.flatnonzero(ok)
    out[ok] = ordered[r, low] + (pos - low) * (ordered[r, high] - ordered[r, low])
    return out


def run_sign_flip(batch: Batch) -> Outcome:
    """The study's procedure, one call per replication."""
    res = [sign_flip(u, GRID, LEVEL, FLIPS) for u in batch.units]
    p, low, high = (np.array([r[key] for r in res]) for key in ("p_value", "ci_low", "ci_high"))
    return Outcome(verdict(p), low, high)


@cache
def resample_counts(n: int, resamples: int) -> tuple[np.ndarray, np.ndarray]:
    """The previous bootstrap-t's resamples of ``n`` repeats (a generator
    seeded by ``(OLD_SEED, n)``, the same for every comparison) as counts per
    repeat, ``(resamples, n)`` floats, and which resamples drew one repeat only."""
    idx = np.random.default_rng([OLD_SEED, n]).integers(0, n, size=(resamples, n))
    counts = (idx[:, :, None] == np.arange(n)).sum(axis=1).astype(np.float64)
    return counts, counts.max(axis=1) == n


def resample_variances(y: np.ndarray, counts: np.ndarray, single: np.ndarray) -> np.ndarray:
    """``(rows, resamples)``: each resample's variance (ddof 1) of the rows of
    ``y`` (integers as floats), exactly zero when it drew equal values only.
    Rows whose integers are small enough once their common factor is divided
    out are computed exactly (``n sum y^2 - (sum y)^2``); the others in
    floating point around their mean, with the zero-spread resamples found
    from the rows' distinct values."""
    rows, n = y.shape
    out = np.empty((rows, counts.shape[0]))
    small = np.flatnonzero(np.all(np.abs(y) < 2**31, axis=1))
    z = y[small].astype(np.int64)
    factor = np.gcd.reduce(np.abs(z), axis=1)
    factor[factor == 0] = 1
    z = (z // factor[:, None]).astype(np.float64)
    fits = n * n * np.max(np.abs(z), axis=1) ** 2 < 2**53  # every sum below is an exact integer
    exact, z, factor = small[fits], z[fits], factor[fits].astype(np.float64)
    if len(exact):
        s1, s2 = z @ counts.T, (z * z) @ counts.T
        out[exact] = (n * s2 - s1 * s1) / (n * (n - 1)) * factor[:, None] ** 2
    rest = np.setdiff1d(np.arange(rows), exact)
    if len(rest):
        dev = y[rest] - y[rest].mean(axis=1, keepdims=True)
        s1, s2 = dev @ counts.T, (dev * dev) @ counts.T
        out[rest] = np.maximum((s2 - s1 * s1 / n) / (n - 1), 0.0)
        out[np.ix_(rest, np.flatnonzero(single))] = 0.0
        for r in rest:
            values, groups = np.unique(y[r], return_inverse=True)
            if len(values) < n:  # ties: a resample of one value has no spread
                out[r, (counts @ np.eye(len(values))[groups]).max(axis=1) == n] = 0.0
    return out


def bootstrap_t(units, confidence: float = LEVEL, resamples: int = 10_000) -> tuple[np.ndarray, ...]:
    """The previous procedure on each row of ``units`` (integers, ``(rows,
    n)``): ``(p, low, high)``, the interval in units. ``|t*| = |mean* - mean|
    / se*`` over the fixed resamples (:func:`resample_counts`), 0 when the
    numerator is 0 and infinite when only the denominator is; the observed
    ``|t| = |mean| / se``, 0 when the mean is 0 and infinite when ``se`` is 0;
    ``p = (1 + #{|t*| >= |t|}) / (B + 1)``; the interval ``mean +- q se`` with
    ``q`` the ``ceil((B + 1) confidence)``-th smallest ``|t*|``."""
    u = np.asarray(units, dtype=np.float64)
    n = u.shape[1]
    counts, single = resample_counts(n, resamples)
    total = u.sum(axis=1)
    mean, se = total / n, u.std(axis=1, ddof=1) / math.sqrt(n)
    y = u - u[:, :1]  # the same spread, smaller integers
    moved = np.abs(y @ counts.T - y.sum(axis=1)[:, None]) / n  # exactly 0 when mean* = mean
    spread = np.sqrt(resample_variances(y, counts, single) / n)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_star = np.where(moved == 0, 0.0, moved / spread)
        observed = np.where(total == 0, 0.0, np.where(np.all(y == 0, axis=1), math.inf, np.abs(mean) / se))
    # |t*| = |t| exactly (lattices of counts) can differ in the last bits: equal within 1e-9
    p = (1 + np.count_nonzero(t_star >= observed[:, None] * (1 - 1e-9), axis=1)) / (resamples + 1)
    k = math.ceil((resamples + 1) * confidence - 1e-12)
    q = np.full(len(u), math.inf) if k > resamples else np.partition(t_star, k - 1, axis=1)[:, k - 1]
    with np.errstate(invalid="ignore"):
        half = np.where(se == 0, 0.0, q * se)
    return p, mean - half, mean + half


def run_bootstrap_t(batch: Batch) -> Outcome:
    """The previous procedure, B = 10,000."""
    p, low, high = bootstrap_t(batch.units)
    return Outcome(verdict(p), low / GRID, high / GRID)


def run_t_test(batch: Batch) -> Outcome:
    """``scipy.stats.ttest_1samp`` and its t interval."""
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # rows of equal differences
        res = stats.ttest_1samp(batch.x, 0.0, axis=1)
        ci = res.confidence_interval(LEVEL)
    return Outcome(verdict(res.pvalue), ci.low, ci.high)


def bca_interval(
    x: np.ndarray, means: np.ndarray, confidence: float = LEVEL
) -> tuple[np.ndarray, np.ndarray]:
    """SciPy's BCa interval of the mean (``scipy.stats.bootstrap``,
    ``method="BCa"``) for each row of ``x`` given its sorted resampled
    ``means``: bias correction from the share of resampled means below the
    mean, acceleration from the jackknife (for the mean: the skewness of the
    deviations)."""
    theta = x.mean(axis=1, keepdims=True)
    below = (np.count_nonzero(means < theta, axis=1) + np.count_nonzero(means <= theta, axis=1)) / (
        2 * means.shape[1]
    )
    dev = x - theta
    with np.errstate(divide="ignore", invalid="ignore"):
        z0 = special.ndtri(below)
        accel = (dev**3).sum(axis=1) / (6 * ((dev**2).sum(axis=1)) ** 1.5)
        ends = []
        for z in (special.ndtri((1 - confidence) / 2), -special.ndtri((1 - confidence) / 2)):
            level = special.ndtr(z0 + (z0 + z) / (1 - accel * (z0 + z)))
            ends.append(sorted_quantile(means, level))
    return ends[0], ends[1]


def excludes(low: np.ndarray, high: np.ndarray, value: float) -> np.ndarray:
    """The interval lies wholly on one side of ``value`` (NaN ends: no)."""
    with np.errstate(invalid="ignore"):
        return (low > value) | (high < value)


def run_bca(batch: Batch) -> Outcome:
    """BCa interval of the mean; a verdict when it excludes 0."""
    low, high = bca_interval(batch.x, batch.resampled[0])
    return Outcome(excludes(low, high, 0.0), low, high)


def run_percentile(batch: Batch) -> Outcome:
    """Percentile bootstrap interval of the mean; a verdict when it excludes 0."""
    means = batch.resampled[0]
    low, high = sorted_quantile(means, ALPHA / 2), sorted_quantile(means, 1 - ALPHA / 2)
    return Outcome(excludes(low, high, 0.0), low, high)


def run_prob_improvement(batch: Batch) -> Outcome:
    """``P(d > 0) + P(d = 0) / 2`` with its percentile bootstrap interval; a
    verdict when the interval excludes 1/2."""
    wins = batch.resampled[1]
    low, high = sorted_quantile(wins, ALPHA / 2), sorted_quantile(wins, 1 - ALPHA / 2)
    return Outcome(excludes(low, high, 0.5), low, high)


def rank_sum_counts(ranks) -> np.ndarray:
    """Counts, over the ``2**len(ranks)`` sign assignments, of each value of
    the sum of the positive ones' ``ranks`` (non-negative integers)."""
    counts = np.zeros(int(sum(ranks)) + 1)
    counts[0] = 1.0
    for r in ranks:
        counts = counts + np.concatenate([np.zeros(r), counts[: len(counts) - r]]) if r else 2 * counts
    return counts


def tied_wilcoxon_p(d: np.ndarray) -> float:
    """The two-sided p-value SciPy's ``wilcoxon(d, zero_method="wilcox")``
    gets by enumerating sign flips (its choice for zeros or ties at n <= 13),
    counted instead: ``2 min(P(T <= t), P(T >= t))`` for the sum ``T`` of the
    positive differences' midranks (doubled, to be integers)."""
    nonzero = d[d != 0]
    if not len(nonzero):
        return 1.0
    doubled = np.round(2 * stats.rankdata(np.abs(nonzero))).astype(np.int64)
    t = int(doubled[nonzero > 0].sum())
    counts = rank_sum_counts(doubled.tolist())
    return min(1.0, 2 * min(counts[: t + 1].sum(), counts[t:].sum()) / counts.sum())


def wilcoxon_p(x: np.ndarray) -> np.ndarray:
    """Per row, ``scipy.stats.wilcoxon(row, zero_method="wilcox").pvalue``
    with the method SciPy's ``"auto"`` picks for that row: exact without
    zeros or ties, else sign-flip enumeration at n <= 13
    (:func:`tied_wilcoxon_p`) and the normal approximation above. Rows with
    no non-zero difference get 1."""
    rows, n = x.shape
    ordered = np.sort(np.abs(x), axis=1)
    tied = (ordered[:, 0] == 0) | np.any(np.diff(ordered, axis=1) == 0, axis=1)
    p = np.ones(rows)
    if (~tied).any():
        p[~tied] = stats.wilcoxon(x[~tied], zero_method="wilcox", axis=1).pvalue
    idx = np.flatnonzero(tied)
    if len(idx) and n <= 13:
        p[idx] = [tied_wilcoxon_p(x[r]) for r in idx]
    elif len(idx):
        with np.errstate(divide="ignore", invalid="ignore"):
            approx = stats.wilcoxon(x[idx], zero_method="wilcox", method="asymptotic", axis=1).pvalue
        p[idx] = np.where(np.isnan(approx), 1.0, approx)
    return p


@cache
def order_rank(n: int, confidence: float, walsh: bool) -> int:
    """``k`` of the distribution-free interval ``[s_(k), s_(N+1-k)]``: one
    plus the largest ``c`` with ``P(T <= c) <= (1 - confidence) / 2``, for ``T``
    the signed-rank statistic of ``n`` repeats (Walsh averages, ``N = n(n+1)/2``)
    or Binomial(n, 1/2) (order statistics, ``N = n``); 0 when there is none."""
    counts = rank_sum_counts(range(1, n + 1)) if walsh else special.comb(n, np.arange(n + 1))
    cdf = np.cumsum(counts) / counts.sum()
    return int(np.count_nonzero(cdf <= alpha_of(confidence) / 2 + 1e-12))


def order_interval(ordered: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``[s_(k), s_(N+1-k)]`` of each sorted row (infinite when ``k`` is 0)."""
    if k == 0:
        return np.full(len(ordered), -math.inf), np.full(len(ordered), math.inf)
    return ordered[:, k - 1], ordered[:, ordered.shape[1] - k]


def hodges_lehmann(x: np.ndarray, confidence: float = LEVEL) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row of ``x``: the Hodges-Lehmann estimate (the median of the Walsh
    averages ``(x_i + x_j) / 2``, ``i <= j``) and the interval of the Walsh
    averages' order statistics that inverts the exact signed-rank test."""
    x = np.atleast_2d(x)
    i, j = np.triu_indices(x.shape[1])
    walsh = np.sort((x[:, i] + x[:, j]) / 2, axis=1)
    low, high = order_interval(walsh, order_rank(x.shape[1], confidence, True))
    return np.median(walsh, axis=1), low, high


def run_wilcoxon_hl(batch: Batch) -> Outcome:
    """Wilcoxon signed-rank test (zeros dropped) and the Walsh-average interval."""
    _, low, high = hodges_lehmann(batch.x)
    return Outcome(verdict(wilcoxon_p(batch.x)), low, high)


@cache
def binomial_p(n: int) -> np.ndarray:
    """``[m, k]``: ``scipy.stats.binomtest(k, m).pvalue`` (two-sided) for m <= n; 1 when m = 0."""
    table = np.ones((n + 1, n + 1))
    for m in range(1, n + 1):
        table[m, : m + 1] = [stats.binomtest(k, m).pvalue for k in range(m + 1)]
    return table


def median_interval(x: np.ndarray, confidence: float = LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the order-statistic interval of the median (distribution-free)."""
    x = np.atleast_2d(x)
    return order_interval(np.sort(x, axis=1), order_rank(x.shape[1], confidence, False))


def run_sign_test(batch: Batch) -> Outcome:
    """Binomial sign test of the non-zero differences and the median's interval."""
    plus, minus = np.count_nonzero(batch.x > 0, axis=1), np.count_nonzero(batch.x < 0, axis=1)
    low, high = median_interval(batch.x)
    return Outcome(verdict(binomial_p(batch.n)[plus + minus, plus]), low, high)


RUN = {
    "sign_flip": run_sign_flip,
    "bootstrap_t": run_bootstrap_t,
    "t_test": run_t_test,
    "bca": run_bca,
    "percentile": run_percentile,
    "wilcoxon_hl": run_wilcoxon_hl,
    "sign_test": run_sign_test,
    "prob_improvement": run_prob_improvement,
}


# ---------------------------------------------------------------- cells


@dataclass(frozen=True)
class Settings:
    """Replications per cell of each section, resamples and repeats."""

    reps: int = 10_000  # null (a)
    reps_b: int = 5000
    reps_alt: int = 4000
    reps_selection: int = 5000
    resamples: int = 2000  # percentile, BCa, probability of improvement
    ns: tuple[int, ...] = NS
    chunk: int = CHUNK

    def of(self, section: str) -> int:
        return {"a": self.reps, "b": self.reps_b, "alt": self.reps_alt, "selection": self.reps_selection}[
            section
        ]


QUICK = Settings(reps=40, reps_b=40, reps_alt=40, reps_selection=40, resamples=400, chunk=20)


@dataclass(frozen=True)
class Task:
    """One chunk of a cell: ``reps`` replications of ``law`` at ``n`` repeats."""

    section: str
    law: str
    n: int
    chunk: int
    reps: int
    resamples: int
    candidates: tuple[str, ...] = CANDIDATES

    def rng(self, stream: int = 0) -> np.random.Generator:
        """The chunk's generator: data (stream 0) or bootstrap resamples (1, 2, ...)."""
        names = list(NULL_A) + list(NULL_B) + list(SELECTION)
        return np.random.default_rng(
            [SEED, SECTIONS.index(self.section), names.index(self.law), self.n, self.chunk, stream]
        )


def truths(task: Task) -> dict[str, float]:
    """The true value of each estimand in the task's scenario."""
    if task.section == "alt":
        law = NULL_A[task.law]
        return {
            "mean": law.shift,
            "median": law.shift,
            "pseudo_median": law.shift,
            "pi": law.mid(law.shift, task.n),
        }
    return {"mean": 0.0, "median": 0.0, "pseudo_median": 0.0, "pi": 0.5}


def count(outcome: Outcome, truth: float) -> tuple[int, int]:
    """Rejections and intervals that contain ``truth``."""
    with np.errstate(invalid="ignore"):
        cover = int(np.count_nonzero((outcome.low <= truth) & (truth <= outcome.high)))
    return int(np.count_nonzero(outcome.reject)), cover


def run_cell(task: Task) -> dict[str, tuple[int, int]]:
    """``candidate -> (rejections, coverages)`` over the task's replications.
    Under null (b) the same draws are shifted by each estimand's centre."""
    if task.section == "b":
        base = NULL_B[task.law].draw(task.rng(), (task.reps, task.n))
        shifted = {key: base - value for key, value in centres(task.law).items()}
    else:
        law = NULL_A[task.law]
        base = law.draw(task.rng(), (task.reps, task.n))
        shifted = {"mean": base + law.shift if task.section == "alt" else base}
    truth, out, batches = truths(task), {}, {}
    for c in task.candidates:
        key = CENTRE[ESTIMAND[c]] if task.section == "b" else "mean"
        if key not in batches:
            batches[key] = Batch(shifted[key], task.rng(1 + len(batches)), task.resamples)
        out[c] = count(RUN[c](batches[key]), truth[ESTIMAND[c]])
    return out


# ---------------------------------------------------------------- selection over seeds

SELECTION = {"equal": 0.0, "one_better": 0.01}  # setting -> how much better one rate (and the ensemble) is
RATES, SEEDS, SEED_SD, FOLD_SD, MU, BEST = 5, 20, 0.02, 0.005, 0.3, 2
SCALE = 2e9  # fold_units: the two folds' differences on the 1e-9 grid, summed


def selection_draw(rng: np.random.Generator, better: float):
    """One replication: per rate, a frame of the single models' NLL per
    fold (index seed, columns ``ensemble_nll_even/odd``, as
    :func:`snapens.analyse.selection.choose` reads a candidate), and the
    ensemble's values per fold. Rate :data:`BEST` and the ensemble are
    ``better`` lower."""
    seeds = np.arange(SEEDS)
    single = MU + rng.normal(0, SEED_SD, (SEEDS, RATES, 1)) + rng.normal(0, FOLD_SD, (SEEDS, RATES, 2))
    single[:, BEST] -= better
    ensemble = MU - better + rng.normal(0, SEED_SD, (SEEDS, 1)) + rng.normal(0, FOLD_SD, (SEEDS, 2))
    frames = {
        f"rate-{r}": pd.DataFrame(
            {f"ensemble_nll_{fold}": single[:, r, i] for i, fold in enumerate(FOLDS)}, index=seeds
        )
        for r in range(RATES)
    }
    return frames, {fold: ensemble[:, i] for i, fold in enumerate(FOLDS)}


def fold_units(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> np.ndarray:
    """Per seed, ``a - b`` averaged over the two folds as exact integers in
    units of ``1 / SCALE``: each fold's values put on the 1e-9 grid on their
    own (:func:`snapens.evaluate.metrics.grid_units`), the two folds'
    differences summed. ``a`` and ``b`` map a fold to per-seed values."""
    return sum(grid_units(a[fold]) - grid_units(b[fold]) for fold in FOLDS)


Scheme = tuple[dict[str, np.ndarray], list[str], list[int]]  # measured per fold, choices, seeds measured


def all_seeds(frames: dict[str, pd.DataFrame], seeds: list[int]) -> Scheme:
    """The first scheme: the rate chosen on one fold by its mean over all
    seeds, measured on the other fold of the same seeds."""
    measured, chosen = {}, []
    for fold in FOLDS:
        pick = choose(frames, "nll", OTHER[fold])
        measured[fold] = frames[pick].loc[seeds, f"ensemble_nll_{fold}"].to_numpy()
        chosen.append(pick)
    return measured, chosen, seeds


def two_way(frames: dict[str, pd.DataFrame], seeds: list[int]) -> Scheme:
    """The second scheme: each half of the seeds (by parity) measured on
    one fold with the rate chosen on the other half's seeds and the other
    fold; every seed measured."""
    halves = {0: [s for s in seeds if s % 2 == 0], 1: [s for s in seeds if s % 2]}
    measured, chosen = {fold: pd.Series(0.0, index=seeds) for fold in FOLDS}, []
    for parity, own in halves.items():
        reading = {c: g.loc[halves[1 - parity]] for c, g in frames.items()}
        for fold in FOLDS:
            pick = choose(reading, "nll", OTHER[fold])
            measured[fold][own] = frames[pick].loc[own, f"ensemble_nll_{fold}"].to_numpy()
            chosen.append(pick)
    return {fold: values.to_numpy() for fold, values in measured.items()}, chosen, seeds


def one_way(frames: dict[str, pd.DataFrame], seeds: list[int]) -> Scheme:
    """The third scheme, a one-way cross-fit: the odd seeds choose, the even
    seeds are measured. Each fold of the even seeds is measured with the
    rate chosen on the odd seeds' other fold (the even rows with the choice
    on the odd rows, and vice versa); per even seed the comparison takes the
    mean of the two folds (:func:`fold_units`)."""
    odd, even = [s for s in seeds if s % 2], [s for s in seeds if s % 2 == 0]
    reading = {c: g.loc[odd] for c, g in frames.items()}
    measured, chosen = {}, []
    for fold in FOLDS:
        pick = choose(reading, "nll", OTHER[fold])
        measured[fold] = frames[pick].loc[even, f"ensemble_nll_{fold}"].to_numpy()
        chosen.append(pick)
    return measured, chosen, even


CHOOSING = {"all_seeds": all_seeds, "two_way": two_way, "one_way": one_way}


def compare_chosen(
    scheme: Callable, frames: dict[str, pd.DataFrame], ensemble: dict[str, np.ndarray], seeds: list[int]
) -> tuple[dict, float, int]:
    """A scheme that chooses: the ensemble against the chosen rate on the
    seeds it measures, by :func:`sign_flip` on :func:`fold_units`; the
    result, the share of its choices that picked rate :data:`BEST`, and the
    number of seeds compared."""
    measured, chosen, compared = scheme(frames, seeds)
    own = {fold: values[compared] for fold, values in ensemble.items()}
    res = sign_flip(fold_units(own, measured), SCALE, LEVEL, FLIPS)
    return res, sum(c == f"rate-{BEST}" for c in chosen) / len(chosen), len(compared)


def every_rate(
    frames: dict[str, pd.DataFrame], ensemble: dict[str, np.ndarray], seeds: list[int]
) -> tuple[dict, float, int]:
    """The study's scheme, which chooses nothing: the ensemble against every
    rate on every seed and both folds (per seed the mean of the two folds,
    i.e. every test row), by :func:`snapens.analyse.statistics.against_best`;
    the result, whether its ``best`` (the rate with the best mean) is rate
    :data:`BEST` (1 or 0), and the number of seeds compared."""
    own = {fold: values[seeds] for fold, values in ensemble.items()}
    diffs = {
        name: fold_units(own, {fold: g.loc[seeds, f"ensemble_nll_{fold}"].to_numpy() for fold in FOLDS})
        for name, g in frames.items()
    }
    res = against_best(diffs, SCALE, False, LEVEL, FLIPS)
    return res, float(res["best"] == f"rate-{BEST}"), len(seeds)


SCHEMES = {
    "all_seeds": "all seeds, other fold (first)",
    "two_way": "each half for the other (second)",
    "one_way": "odd seeds choose, even seeds compared (third)",
    "every_rate": "every rate, `against_best` (the study)",
}


def compare(
    name: str, frames: dict[str, pd.DataFrame], ensemble: dict[str, np.ndarray], seeds: list[int]
) -> tuple[dict, float, int]:
    """Scheme ``name`` (:data:`SCHEMES`) on one replication."""
    if name == "every_rate":
        return every_rate(frames, ensemble, seeds)
    return compare_chosen(CHOOSING[name], frames, ensemble, seeds)


def run_selection(task: Task) -> dict[str, tuple]:
    """``scheme -> (false "worse", false "better", sum of the mean
    differences, sum of the share of choices that picked rate BEST, sum of
    the seeds compared)``; a difference is the ensemble minus the baseline
    (a loss: > 0 is worse), its direction that of the mean difference."""
    rng, better = task.rng(), SELECTION[task.law]
    out = {name: [0, 0, 0.0, 0.0, 0] for name in SCHEMES}
    for _ in range(task.reps):
        frames, ensemble = selection_draw(rng, better)
        for name in SCHEMES:
            res, share, seeds = compare(name, frames, ensemble, list(range(SEEDS)))
            found = bool(verdict(res["p_value"]))
            tally = out[name]
            tally[0] += int(found and res["mean_diff"] > 0)
            tally[1] += int(found and res["mean_diff"] < 0)
            tally[2] += res["mean_diff"]
            tally[3] += share
            tally[4] += seeds
    return {k: tuple(v) for k, v in out.items()}


# ---------------------------------------------------------------- running


def run_task(task: Task):
    """One task, in a worker: its key and its counts."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        if task.section == "selection":
            return task, run_selection(task)
        return task, run_cell(task)


def tasks(settings: Settings) -> list[Task]:
    """Every chunk of every cell, the slowest (most repeats) first."""
    cells = [("a", law, n) for law in NULL_A for n in settings.ns]
    cells += [("b", law, n) for law in NULL_B for n in settings.ns]
    cells += [("alt", law, n) for law in NULL_A for n in settings.ns]
    cells += [("selection", name, SEEDS) for name in SELECTION]
    out = []
    for section, law, n in cells:
        total = settings.of(section)
        for chunk, start in enumerate(range(0, total, settings.chunk)):
            out.append(Task(section, law, n, chunk, min(settings.chunk, total - start), settings.resamples))
    return sorted(out, key=lambda t: (t.section != "selection", -t.n))


def simulate(settings: Settings, cores: int) -> dict:
    """Run every task on ``cores`` processes; sum the counts per cell:
    ``(section, law, n) -> {candidate or scheme: counts}``."""
    todo = tasks(settings)
    if cores > 1:
        # a fresh server forks the workers: forking this process, which under
        # pytest may hold TensorFlow's threads and locks, can crash a child
        context = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(max_workers=cores, mp_context=context) as pool:
            done = list(pool.map(run_task, todo, chunksize=1))
    else:
        done = [run_task(t) for t in todo]
    totals: dict = {}
    for task, counts in done:
        cell = totals.setdefault((task.section, task.law, task.n), {"reps": 0})
        cell["reps"] += task.reps
        for key, values in counts.items():
            cell[key] = tuple(a + b for a, b in zip(cell.get(key, (0,) * len(values)), values))
    return totals


# ---------------------------------------------------------------- the document


def markdown(header: list[str], rows: list[list], align: str | None = None) -> str:
    """A Markdown table; ``align``: one of ``l``/``r`` per column (default: first left, rest right)."""
    align = align or "l" + "r" * (len(header) - 1)
    rule = ["---" if a == "l" else "---:" for a in align]
    lines = [header, rule, *[[str(v) for v in row] for row in rows]]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


def percent(k: float, total: int) -> str:
    return f"{100 * k / total:.1f}"


MARK = "†"  # a type-I error above 6 % under null (a)


def rate_table(totals: dict, section: str, laws, ns, index: int, mark: bool = False) -> str:
    """Scenario x n rows, one column per candidate: rejections (``index`` 0)
    or coverage (1) in percent; ``mark`` flags rejection rates above 6 %."""
    rows = []
    for law in laws:
        for n in ns:
            cell = totals[(section, law, n)]
            values = []
            for c in CANDIDATES:
                k = cell[c][index]
                flag = MARK if mark and 100 * k > 6 * cell["reps"] else ""
                values.append(percent(k, cell["reps"]) + flag)
            rows.append([law, n, *values])
    return markdown(["scenario", "n", *(LABELS[c] for c in CANDIDATES)], rows, "lr" + "r" * len(CANDIDATES))


def mc_se(p: float, reps: int) -> str:
    """The Monte-Carlo standard error of a rate ``p`` over ``reps``, in percent."""
    return f"{100 * math.sqrt(p * (1 - p) / reps):.2f}"


def laws_table(ns) -> str:
    """The scenarios: null (a) laws with their shifts, null (b) laws with their centres."""
    rows = []
    for law in NULL_A.values():
        pis = sorted({f"{law.mid(law.shift, n):.4f}" for n in ns})
        shown = ", ".join(f"n={n}: {law.mid(law.shift, n):.4f}" for n in ns) if len(pis) > 1 else pis[0]
        sd = "—" if math.isnan(law.sd) else f"{law.sd:.4f}"
        rows.append([f"(a) {law.name}", law.about, sd, f"{law.shift:.4f}", "—", "—", "—", shown])
    for law in NULL_B.values():
        c = centres(law.name)
        rows.append(
            [
                f"(b) {law.name}",
                law.about,
                "—",
                "—",
                *(f"{c[k]:.4f}" for k in ("mean", "median", "pseudo_median")),
                "0.5",
            ]
        )
    header = [
        "scenario",
        "law",
        "sd",
        "alternative's shift",
        "mean",
        "median",
        "pseudo-median",
        "P(d>0)+P(d=0)/2",
    ]
    return markdown(header, rows, "ll" + "r" * 6)


def power_table(totals: dict, ns) -> tuple[str, dict[int, list[str]]]:
    """Mean power over the alternatives per candidate and n, and per n the
    candidates from most to least powerful."""
    mean = {
        (c, n): np.mean([totals[("alt", law, n)][c][0] / totals[("alt", law, n)]["reps"] for law in NULL_A])
        for c in CANDIDATES
        for n in ns
    }
    ranking = {n: sorted(CANDIDATES, key=lambda c: -mean[(c, n)]) for n in ns}
    rows = [
        [LABELS[c], *(f"{100 * mean[(c, n)]:.1f} ({ranking[n].index(c) + 1})" for n in ns)]
        for c in CANDIDATES
    ]
    return markdown(["candidate", *(f"n = {n}" for n in ns)], rows), ranking


def above_six(totals: dict, candidate: str, ns) -> list[tuple[str, int]]:
    """The null-(a) cells where ``candidate`` rejects more than 6 %."""
    return [
        (law, n)
        for law in NULL_A
        for n in ns
        if 100 * totals[("a", law, n)][candidate][0] > 6 * totals[("a", law, n)]["reps"]
    ]


def summary(totals: dict, ns) -> str:
    """Generated findings: null-(a) cells above 6 %, null-(b) sizes at the
    smallest n, and the power ranking."""
    lines, clean = [], []
    for c in CANDIDATES:
        rates = {
            (law, n): totals[("a", law, n)][c][0] / totals[("a", law, n)]["reps"]
            for law in NULL_A
            for n in ns
        }
        worst = max(rates, key=rates.get)
        largest = f"largest {100 * rates[worst]:.1f} % ({worst[0]}, n = {worst[1]})"
        cells = above_six(totals, c, ns)
        if not cells:
            clean.append(LABELS[c])
            lines.append(f"- Null (a), {LABELS[c]}: no cell above 6 %; {largest}.")
            continue
        lines.append(
            f"- Null (a), {LABELS[c]}: above 6 % in {len(cells)} of {len(rates)} cells "
            f"({', '.join(f'{law} n={n}' for law, n in cells)}); {largest}."
        )
    n0 = min(ns)
    for law in NULL_B:
        cell = totals[("b", law, n0)]
        sizes = ", ".join(f"{LABELS[c]} {percent(cell[c][0], cell['reps'])} %" for c in CANDIDATES)
        lines.append(f"- Null (b), {law} at n = {n0}: {sizes}.")
    _, ranking = power_table(totals, ns)
    for n in ns:
        order = ", ".join(LABELS[c] for c in ranking[n])
        lines.append(f"- Mean power over the alternatives at n = {n}, highest first: {order}.")
    if clean:
        for n in ns:
            order = ", ".join(LABELS[c] for c in ranking[n] if LABELS[c] in clean)
            lines.append(f"- The same among those with no null-(a) cell above 6 %, n = {n}: {order}.")
    return "\n".join(lines)


def simulation_block(totals: dict, settings: Settings, command: str) -> str:
    """The generated part of the simulation: settings, scenarios, tables, summary."""
    ns = settings.ns
    a_laws, b_laws = list(NULL_A), list(NULL_B)
    power, _ = power_table(totals, ns)
    parts = [
        f"Generated by `{command}`.",
        "",
        f"- Replications per cell: null (a) {settings.reps}, null (b) {settings.reps_b}, "
        f"alternatives {settings.reps_alt}; chunks of {settings.chunk}, the chunk of cell (section, scenario, n) "
        f"seeded by `numpy.random.default_rng([{SEED}, section, scenario, n, chunk, stream])`.",
        f"- Monte-Carlo standard error of a rate of 5 % (and of a coverage of 95 %): "
        f"{mc_se(0.05, settings.reps)} points at {settings.reps} replications (null a), "
        f"{mc_se(0.05, settings.reps_b)} at {settings.reps_b} (null b), "
        f"{mc_se(0.05, settings.reps_alt)} at {settings.reps_alt} (alternatives).",
        f"- Differences on a grid of {1 / GRID:g} (exact integers for sign-flip and bootstrap-t); "
        f"confidence {LEVEL}; a verdict is p <= {ALPHA}.",
        f"- sign-flip: `snapens.analyse.statistics.sign_flip`, flips = {FLIPS} (all 2^n sign vectors "
        f"when 2^n <= flips + 1, i.e. n = 10 here).",
        "- boot-t: the previous symmetric bootstrap-t, B = 10000 resamples drawn once per n from "
        f"`default_rng([{OLD_SEED}, n])` as the study drew them.",
        "- t-test: `scipy.stats.ttest_1samp` and its t interval.",
        f"- BCa and percentile: B = {settings.resamples} fresh resamples per replication (the same "
        'resamples for both, and for P(d>0)); BCa as `scipy.stats.bootstrap(method="BCa")` computes it; '
        "an interval that cannot be computed counts as no verdict and no coverage.",
        '- Wilcoxon/HL: `scipy.stats.wilcoxon(zero_method="wilcox")` with the method SciPy\'s `auto` picks '
        "(exact without zeros or ties; with them, sign-flip enumeration at n <= 13, counted exactly here, "
        "else the normal approximation); interval from the Walsh averages' order statistics.",
        "- sign test: `scipy.stats.binomtest` on the non-zero differences; interval from the order "
        "statistics of all n differences.",
        "- P(d>0): P(d > 0) + P(d = 0)/2 with a percentile bootstrap interval; a verdict when it excludes 0.5.",
        f"- geometric laws: p = (3 - sqrt 5)/2 = {GEOM_P:.6f}, so that P(G < 2) = P(G > 2). Pseudo-medians: "
        "the median of (X1 + X2)/2, by quadrature for the lognormal laws and from the negative binomial law of "
        "G1 + G2 for the geometric.",
        "",
        "Scenarios (sd, the alternative's shift and its P(d>0)+P(d=0)/2; the centres of the null-(b) laws, "
        "each subtracted from the draws for the candidates of that estimand):",
        "",
        laws_table(ns),
        "",
        f"### Null (a): type-I error, % ({MARK}: above 6 %)",
        "",
        rate_table(totals, "a", a_laws, ns, 0, mark=True),
        "",
        "### Null (a): coverage of the true value (0; 0.5 for P(d>0)), %",
        "",
        rate_table(totals, "a", a_laws, ns, 1),
        "",
        "### Null (b): type-I error, %",
        "",
        rate_table(totals, "b", b_laws, ns, 0),
        "",
        "### Null (b): coverage of the true value, %",
        "",
        rate_table(totals, "b", b_laws, ns, 1),
        "",
        "### Alternatives: power (rejection rate), %",
        "",
        rate_table(totals, "alt", a_laws, ns, 0),
        "",
        "### Alternatives: coverage of the true value, %",
        "",
        rate_table(totals, "alt", a_laws, ns, 1),
        "",
        "### Mean power over the alternatives, % (rank)",
        "",
        power,
        "",
        "### Summary of this run",
        "",
        summary(totals, ns),
    ]
    return "\n".join(parts)


def floor_block(families=(1, 2, 3, 5, 10, 20, 50, 100, 250, 500)) -> str:
    """Repeats a family of ``m`` comparisons needs for a first verdict under
    Holm; and, for a comparison against the best of :data:`RATES` rates
    (:func:`snapens.analyse.statistics.against_best`), the repeats a "worse"
    verdict needs, whose p-value is ``RATES`` times the smallest: those of a
    family of ``m * RATES``. A "better" verdict's floor is that of one test."""
    rows = []
    for m in families:
        n, worse = repeats_needed(m, LEVEL, FLIPS), repeats_needed(m * RATES, LEVEL, FLIPS)
        rows.append(
            [
                m,
                f"{ALPHA / m:.4g}",
                "—" if n is None else n,
                "—" if n is None else f"{p_floor(n, FLIPS):.5g}",
                "—" if worse is None else worse,
            ]
        )
    header = [
        "family size m",
        "Holm's first threshold 0.05/m",
        "repeats needed",
        "smallest p at that n",
        f'repeats for "worse" against the best of {RATES}',
    ]
    return (
        "Generated by the same run (`snapens.analyse.statistics.repeats_needed`, "
        f"flips = {FLIPS}, confidence {LEVEL}; the last column: `repeats_needed(m * {RATES})`, "
        f"where {RATES} x the smallest p reaches 0.05/m).\n\n" + markdown(header, rows)
    )


def selection_block(totals: dict, settings: Settings) -> str:
    """The table of false verdicts of the selection schemes."""
    rows = []
    for name, better in SELECTION.items():
        cell = totals[("selection", name, SEEDS)]
        reps = cell["reps"]
        for scheme, label in SCHEMES.items():
            worse, wins, total, best, seeds = cell[scheme]
            rows.append(
                [
                    name,
                    label,
                    f"{seeds / reps:g}",
                    percent(worse, reps),
                    percent(wins, reps),
                    f"{total / reps:+.5f}",
                    percent(best, reps) if better else "—",
                ]
            )
    header = [
        "setting",
        "scheme",
        "seeds compared",
        "false worse, %",
        "false better, %",
        "mean difference",
        "best rate chosen, %",
    ]
    return (
        f"Generated by the same run: {settings.reps_selection} replications per setting; "
        f"{SEEDS} seeds, {RATES} rates, seed sd {SEED_SD}, fold sd {FOLD_SD}, mean {MU}; "
        f"`equal`: every rate and the ensemble equally good; `one_better`: rate {BEST} and the ensemble "
        f"{SELECTION['one_better']} lower than the other rates. Difference = ensemble - baseline "
        "(a loss: > 0 is worse), per seed the mean of the two folds (each fold on the 1e-9 grid). "
        "The first three schemes test the difference with the chosen rate on the seeds compared with "
        "`sign_flip`; the study's tests the differences with every rate on every seed with "
        f"`snapens.analyse.statistics.against_best` (R = {RATES}), its mean difference the one against "
        "the rate with the best mean (`best`), and its last column the share of replications in which "
        f"`best` is rate {BEST}. A verdict is p <= {ALPHA}. Monte-Carlo standard error of a 5 % rate: "
        f"{mc_se(0.05, settings.reps_selection)} points, of a 2.5 % rate "
        f"{mc_se(0.025, settings.reps_selection)}.\n\n" + markdown(header, rows, "ll" + "r" * 5)
    )


def replace_block(text: str, name: str, body: str) -> str:
    """``text`` with the lines between ``<!-- name:begin -->`` and
    ``<!-- name:end -->`` replaced by ``body`` (the block appended when absent)."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    block = f"{begin}\n{body.rstrip()}\n{end}"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        return head + block + rest.split(end, 1)[1]
    return text.rstrip() + "\n\n" + block + "\n"


def write_blocks(path: Path, blocks: dict[str, str]) -> None:
    """Replace (or append) each generated block of the file at ``path``."""
    text = path.read_text() if path.exists() else ""
    for name, body in blocks.items():
        text = replace_block(text, name, body)
    path.write_text(text)


# ---------------------------------------------------------------- A/A on a study's runs

AA_METRICS = ("ensemble_nll", "final_nll", "ensemble_accuracy", "final_accuracy")
AA_MIN, AA_HALF = 20, 10


def lr_max(method: str) -> str:
    """The ``lr_max`` of a grid point's name (``snapshot/members-10_lr_max-0.1``), or "—"."""
    found = re.search(r"(?:^|[/_])lr_max-([^_/]+)", method)
    return found.group(1) if found else "—"


def aa_units(frame: pd.DataFrame, column: str):
    """A column's values as exact integers and the scale: test-row counts for
    accuracy, units of 1e-9 for NLL."""
    name = column.split("_", 1)[1]
    values = frame[column].to_numpy(dtype=np.float64)
    if METRICS[name].count:
        return METRICS[name].units(values, frame["test_rows"].to_numpy()), 1.0
    return METRICS[name].units(values), 1e9


def aa_groups(runs: pd.DataFrame, metrics=AA_METRICS):
    """``(dataset, method, frame)`` for every dataset x method with at least
    :data:`AA_MIN` seeds that have every metric present."""
    present = [m for m in metrics if m in runs.columns]
    for (dataset, method), frame in runs.groupby(["dataset", "method"], sort=True):
        frame = frame.dropna(subset=present).sort_values("seed")
        if len(frame) >= AA_MIN:
            yield dataset, method, frame


def aa_rates(runs: pd.DataFrame, splits: int, metrics=AA_METRICS) -> pd.DataFrame:
    """Per lr_max and metric: groups, comparisons and the rejection rates of
    sign-flip and bootstrap-t over ``splits`` random splits of each group's
    seeds into two paired halves of :data:`AA_HALF`."""
    rows = []
    for dataset, method, frame in aa_groups(runs, metrics):
        rng = np.random.default_rng([SEED, zlib.crc32(f"{dataset}\n{method}".encode())])
        picks = np.array([rng.permutation(len(frame))[: 2 * AA_HALF] for _ in range(splits)])
        for column in (m for m in metrics if m in frame.columns):
            units, scale = aa_units(frame, column)
            diffs = np.array([units[p[:AA_HALF]] - units[p[AA_HALF:]] for p in picks])
            flip = [sign_flip(d, scale, LEVEL, FLIPS)["p_value"] for d in diffs]
            old, _, _ = bootstrap_t(diffs.astype(np.float64))
            rows.append(
                {
                    "lr_max": lr_max(method),
                    "metric": column,
                    "sign_flip": int(np.count_nonzero(verdict(flip))),
                    "bootstrap_t": int(np.count_nonzero(verdict(old))),
                    "comparisons": splits,
                }
            )
    if not rows:
        return pd.DataFrame(columns=["lr_max", "metric", "groups", "comparisons", "sign_flip", "bootstrap_t"])
    per = pd.DataFrame(rows)
    out = per.groupby(["lr_max", "metric"], sort=True).agg(
        groups=("comparisons", "size"),
        comparisons=("comparisons", "sum"),
        sign_flip=("sign_flip", "sum"),
        bootstrap_t=("bootstrap_t", "sum"),
    )
    return out.reset_index()


def aa_block(rates: pd.DataFrame, source: str, splits: int, command: str) -> str:
    """The generated A/A section."""
    rows = [
        [
            r.lr_max,
            r.metric,
            r.groups,
            r.comparisons,
            percent(r.sign_flip, r.comparisons),
            percent(r.bootstrap_t, r.comparisons),
        ]
        for r in rates.itertuples()
    ]
    header = [
        "lr_max",
        "metric",
        "dataset x method",
        "comparisons",
        "sign-flip rejects, %",
        "boot-t rejects, %",
    ]
    return (
        f"Generated by `{command}` from `{source}`: every dataset x method with at least {AA_MIN} seeds, "
        f"{splits} random splits each (seeded by the dataset and method) into two halves of {AA_HALF} seeds "
        f"paired by position; verdict p <= {ALPHA}. The splits of one group share its runs, so its rates are "
        "not independent binomial counts.\n\n" + markdown(header, rows, "ll" + "r" * 4)
    )


def export_aa(runs: pd.DataFrame, out: Path, metrics=AA_METRICS) -> int:
    """Write the columns the A/A reads, for the groups it compares; the number of rows."""
    keep = [c for c in ("dataset", "method", "seed", "test_rows", *metrics) if c in runs.columns]
    frames = [frame[keep] for _, _, frame in aa_groups(runs, metrics)]
    table = pd.concat(frames) if frames else pd.DataFrame(columns=keep)
    table.to_csv(out, index=False, float_format="%.10g")
    return len(table)


# ---------------------------------------------------------------- main


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cores", type=int, default=2, help="worker processes")
    ap.add_argument(
        "--reps",
        type=int,
        help=f"replications per null-(a) cell (default {Settings.reps}; the other sections keep theirs)",
    )
    ap.add_argument("--out", type=Path, default=OUT, help="the document whose generated blocks are replaced")
    ap.add_argument("--quick", action="store_true", help="a tiny run (tests)")
    ap.add_argument(
        "--aa", type=Path, metavar="RUNS_CSV", help="A/A comparisons on a finished study's runs.csv"
    )
    ap.add_argument("--splits", type=int, default=200, help="random splits per dataset x method (--aa)")
    ap.add_argument("--export-aa", type=Path, metavar="OUT_CSV", help="with --aa: write its columns instead")
    args = ap.parse_args(argv)
    command = " ".join(["python -m tools.inference_sim", *argv])
    if args.aa:
        runs = pd.read_csv(args.aa)
        if args.export_aa:
            print(f"{export_aa(runs, args.export_aa)} rows -> {args.export_aa}")
            return
        rates = aa_rates(runs, args.splits)
        write_blocks(args.out, {"aa": aa_block(rates, str(args.aa), args.splits, command)})
        print(rates.to_string(index=False))
        return
    settings = QUICK if args.quick else Settings()
    if args.reps:
        settings = replace(settings, reps=args.reps)
    totals = simulate(settings, args.cores)
    write_blocks(
        args.out,
        {
            "simulation": simulation_block(totals, settings, command),
            "floor": floor_block(),
            "selection": selection_block(totals, settings),
        },
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
