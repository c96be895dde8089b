"""Deep ensemble equivalent (Ashukha et al. 2020): how many independently
trained models an ensemble is worth.

The reference curve ``c(k)`` is the mean over repeats of the NLL of an
ensemble of ``k`` of the reference run's ``M`` independently trained models,
itself averaged over the run's k-member subsets (all of them, or 512 seeded
draws when there are more; :func:`snapens.evaluate.ensembling.subset_nll`), linearly
interpolated between integer ``k``. Averaged over subsets, the raw-NLL curve
cannot rise with ``k`` (the NLL of an average is at most the average of the
NLLs); the calibrated one can. Before it is inverted the curve is made
non-increasing by its upper envelope from the right, ``c~(k) = max_{j >= k} c(j)``
(:func:`monotone`): the smallest non-increasing curve at or above it, which
keeps ``c~(M) = c(M)``.

The DEE of an ensemble whose mean NLL over repeats is ``v`` is the largest
``l`` in ``[1, M]`` with ``c~(l) >= v``: where the curve crosses ``v``, and,
where the envelope is flat at ``v``, the right end of the flat. So the
reference method's own full ensemble, ``v = c(M)``, has a DEE of exactly
``M``. Outside the curve it is censored, never clipped: ``v`` below ``c(M)``
gives ``+inf`` ("> M", better than the whole reference ensemble), ``v`` above
``c~(1)`` gives ``-inf`` ("< 1", worse than one model); NaN gives NaN.

The DEE is only read where the curve identifies it: the reference's gain
from one model to ``M``, ``c(1) - c(M)``, must exceed the uncertainty of
placing ``v`` on the curve (the larger half-width of the intervals over
repeats of the means of ``c(1)``, of ``c(M)`` and of ``v``); on a curve whose
whole rise is within that noise, a ``v`` near it would map to "> M" or "< 1"
on differences of noise.

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


def monotone(curve) -> np.ndarray:
    """The upper envelope from the right, ``max_{j >= k} c(j)``, of each curve
    (the last axis): the smallest non-increasing curve at or above it."""
    c = np.asarray(curve, dtype=np.float64)
    return np.flip(np.maximum.accumulate(np.flip(c, axis=-1), axis=-1), axis=-1)


def equivalent(curve, value: float) -> float:
    """DEE of ``value`` on ``curve`` (``curve[i]`` = mean NLL of ``k = i + 1``
    models), read on its :func:`monotone` envelope."""
    return float(equivalents(np.asarray(curve, dtype=np.float64)[None, :], np.array([value]))[0])


def curve_of(reference) -> np.ndarray:
    """Mean over repeats of each column (``k = 1..M``) of a ``(repeats, M)`` array."""
    ref = np.asarray(reference, dtype=np.float64)
    return np.array([mean(ref[:, j]) for j in range(ref.shape[1])])


def equivalents(curves, values) -> np.ndarray:
    """:func:`equivalent` of each row: ``curves`` ``(B, M)``, ``values`` ``(B,)``."""
    c, v = monotone(curves), np.asarray(values, dtype=np.float64)
    members = c.shape[1]
    reached = c >= v[:, None]  # non-increasing: True up to the last k at or above v
    last = reached.sum(axis=1) - 1  # 0-based index of the largest such k
    rows = np.arange(len(v))
    here, after = c[rows, np.clip(last, 0, members - 1)], c[rows, np.clip(last + 1, 0, members - 1)]
    with np.errstate(divide="ignore", invalid="ignore"):
        inner = last + 1 + (here - v) / (here - after)
    out = np.where(last >= members - 1, float(members), inner)
    out = np.where(v > c[:, 0], BELOW, out)
    out = np.where(v < c[:, -1], ABOVE, out)
    bad = np.isnan(v) | np.isnan(c).any(axis=1)
    return np.where(bad, math.nan, out)


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


def unidentified_text(gain: dict, members: int) -> str:
    """Why a DEE is not reported: the reference's gain from 1 to ``M`` models
    (nats) is within the uncertainty of placing the value on the curve."""
    if math.isnan(gain["gain"]):
        return "n/a"
    return (
        f"not identifiable: 1 to {members} reference models gain {gain['gain']:.4f}, within the "
        f"+-{max(gain['level'], gain['value']):.4f} uncertainty of placing the value on the curve"
    )
