"""Deep ensemble equivalent (Ashukha et al. 2020): how many independently
trained models an ensemble is worth.

The reference curve ``c(k)`` is the mean over repeats of the NLL of an
ensemble of ``k`` of the reference run's ``M`` independently trained models,
itself averaged over the run's k-member subsets (all of them, or 512 seeded
draws when there are more; :func:`snapens.evaluate.ensembling.subset_nll`), linearly
interpolated between integer ``k``. Averaged over subsets, the curve cannot
rise with ``k`` (the NLL of an average is at most the average of the NLLs);
the last k members alone would give a noisy curve that can, and then an
ensemble could be "worth" fewer models than it holds. The DEE of an ensemble whose mean NLL over repeats is
``v`` is the smallest ``l`` in ``[1, M]`` with ``c(l) <= v``. Outside the
curve it is censored, never clipped: ``v`` below every point of the curve
gives ``+inf`` ("> M", better than the whole reference ensemble), ``v`` above
``c(1)`` gives ``-inf`` ("< 1", worse than one model). The reference method's
own full ensemble has ``v = c(M)`` and so a DEE of exactly ``M`` (unless
its members predict alike, which flattens the curve's end).

The interval is a percentile bootstrap over repeats: the same resampled seeds
for the reference curve and the method (their runs share seeds), censored
resamples kept as ``+-inf`` so that a bound beyond the curve reads "> M".
"""

from __future__ import annotations

import math

import numpy as np

ABOVE, BELOW = math.inf, -math.inf  # "> M" and "< 1"


def mean(x) -> float:
    """Mean of a 1-D sample, always summed the same way (contiguous pairwise
    summation), so that equal samples give bit-equal means wherever they come from."""
    return float(np.mean(np.ascontiguousarray(x, dtype=np.float64)))


def equivalent(curve, value: float) -> float:
    """DEE of ``value`` on ``curve`` (``curve[i]`` = mean NLL of ``k = i + 1`` models)."""
    c = np.asarray(curve, dtype=np.float64)
    if value > c[0]:
        return BELOW
    reached = np.flatnonzero(c <= value)
    if not len(reached):
        return ABOVE
    i = int(reached[0])
    if i == 0:
        return 1.0
    # c[i - 1] > value >= c[i]: interpolate between k = i and k = i + 1
    return i + (c[i - 1] - value) / (c[i - 1] - c[i])


def curve_of(reference) -> np.ndarray:
    """Mean over repeats of each column (``k = 1..M``) of a ``(repeats, M)`` array."""
    ref = np.asarray(reference, dtype=np.float64)
    return np.array([mean(ref[:, j]) for j in range(ref.shape[1])])


def equivalents(curves, values) -> np.ndarray:
    """:func:`equivalent` of each row: ``curves`` ``(B, M)``, ``values`` ``(B,)``."""
    c, v = np.asarray(curves, dtype=np.float64), np.asarray(values, dtype=np.float64)
    reached = c <= v[:, None]
    first = reached.argmax(axis=1)
    rows = np.arange(len(v))
    prev = c[rows, np.maximum(first - 1, 0)]
    with np.errstate(divide="ignore", invalid="ignore"):
        inner = first + (prev - v) / (prev - c[rows, first])
    out = np.where(first == 0, 1.0, inner)
    out = np.where(reached.any(axis=1), out, ABOVE)
    return np.where(v > c[:, 0], BELOW, out)


def bootstrap(reference, values, resamples: int, confidence: float, seed: int = 0):
    """Percentile interval of the DEE of ``mean(values)`` on the curve of
    ``reference`` (``(repeats, M)``), resampling repeats (rows) with replacement."""
    ref = np.asarray(reference, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(v), size=(resamples, len(v)))
    curves = np.ascontiguousarray(ref[idx].transpose(0, 2, 1)).mean(axis=-1)  # (B, M)
    means = np.ascontiguousarray(v[idx]).mean(axis=-1)
    dees = equivalents(curves, means)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(dees, [alpha, 1 - alpha], method="inverted_cdf")
    return float(low), float(high)


def fmt(value: float, digits: int = 2, members: int | None = None) -> str:
    """``value`` for reading: a number, "> M", "< 1" or "n/a" (NaN: too few repeats)."""
    if math.isnan(value):
        return "n/a"
    if value == ABOVE:
        return f"> {members}" if members is not None else "beyond the curve"
    if value == BELOW:
        return "< 1"
    return f"{value:.{digits}f}"


def text(value: float, low: float, high: float, members: int) -> str:
    """Point and interval for reading, e.g. ``"7.31 [5.02, > 10]"``."""
    return f"{fmt(value, members=members)} [{fmt(low, members=members)}, {fmt(high, members=members)}]"
