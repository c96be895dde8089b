"""Calibration-controlled metrics: NLL and ECE after temperature scaling,
fitted and measured on different halves of the test set.

The protocol, for one probability matrix ``probs`` (n rows x C classes; the
members' rows of ``probabilities.npz``, or their average for an ensemble) and
the test labels ``y``:

1. Fold A is the test rows at even positions (0, 2, 4, ...), fold B the rows
   at odd positions (1, 3, ...).
2. On fold A, fit one temperature ``T`` minimising the mean NLL of
   ``softmax(log p / T)``, in float64. ``log p`` is the matrix's float64
   log-probabilities (a member's log-softmax of its logits, an ensemble's log
   of its average, :mod:`snapens.evaluate.ensembling`); given probabilities
   only (:func:`temperature_scaled`), ``log p`` is taken of ``p`` clipped
   below at ``np.finfo(np.float64).eps`` (the floor scikit-learn's
   ``log_loss`` uses). ``T`` is searched in ``[0.01, 100]``.
3. Scale fold B's log-probabilities with that ``T`` and measure their NLL
   (from the float64 log-softmax of ``log p / T``, never clipped) and ECE (:func:`snapens.evaluate.scores.ece`, the
   config's ``ece_bins``).
4. Repeat with A and B swapped. ``nll_calibrated`` and ``ece_calibrated`` are
   the means of the two folds' values; ``temperature_even`` and
   ``temperature_odd`` are the temperatures fitted on the even and the odd rows.

**A fit at a bound is not applied.** When the optimum lies beyond
``[0.01, 100]`` the fold gives no temperature (a fold whose every row has its
true class the most probable would take ``T -> 0``, and one wrong row of the
other fold then costs up to 100 times its log-probability): the fit returns
the bound, which the tables count, and the rows are scaled with ``T = 1``,
left as they are (:func:`applied`).

Beside the calibrated NLL the same scaled rows give the *capped* calibrated
NLL (``nll_calibrated_capped``), each row's loss at most
:data:`snapens.evaluate.scores.NLL_CAP` nats (a probability floored at 1e-6).

Per fold, :func:`temperature_scaled` also returns the fold's own values
(``nll_calibrated_even``: measured on the even rows with the temperature
fitted on the odd ones) and its in-sample values (``..._even_insample``:
fitted and measured on the even rows). The in-sample values read one fold's
rows only, so a choice made with them can be measured on the other fold
(:mod:`snapens.analyse.selection`).

The fit is exact up to floating point: with ``z = log p`` and ``beta = 1 / T``
the mean NLL, ``mean_i [logsumexp(beta z_i) - beta z_i,y_i]``, is convex in
``beta`` (its second derivative is a variance), so its minimum is the root of
its derivative ``mean_i [E_softmax(beta z_i)[z] - z_i,y_i]``, found by bracketing.
When the derivative does not change sign on ``beta`` in ``[0.01, 100]`` the
bound is returned (:func:`at_bound` tells; the study tables count such fits): a fold whose every row has its true class as the most
probable gains from ever sharper probabilities (``T = 0.01``), one whose every
row has it as the least probable from ever flatter ones (``T = 100``). When
the NLL does not depend on ``T`` at all (every row uniform) ``T = 1``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq
from scipy.special import softmax

from snapens.evaluate.scores import NLL_CAP, T_MAX, T_MIN, check, ece, log_of, log_softmax

# brentq's tolerance in log(1 / T) (snapens.evaluate.reference_curves bounds its digits by it)
XTOL = 1e-12

FOLDS = ("even", "odd")  # the halves of the test rows, by position


def folds(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the rows at even positions and at odd positions of ``n`` rows."""
    return np.arange(0, n, 2), np.arange(1, n, 2)


log_probs = log_of  # ``log p`` in float64, ``p`` clipped below at float64 eps


def scale(probs, T: float) -> np.ndarray:
    """Temperature-scaled probabilities ``softmax(log p / T)`` (rows)."""
    return softmax(log_probs(probs) / T, axis=1)


def _derivative(z: np.ndarray, y: np.ndarray):
    """``d/d beta`` of the mean NLL of ``softmax(beta z)``, as a function of ``beta``.

    With ``d = z - max z`` per row (``d <= 0``, so ``exp(beta d)`` never
    overflows and its row sum is at least one), ``E[z] = max z + sum(e d) / sum(e)``.
    """
    n = len(y)
    top = z.max(axis=1)
    d = z - top[:, None]
    offset = float((top - z[np.arange(n), y]).sum()) / n  # >= 0
    e, ed, ones = np.empty_like(d), np.empty_like(d), np.ones(d.shape[1])

    def derivative(beta: float) -> float:
        np.exp(np.multiply(d, beta, out=e), out=e)
        np.multiply(e, d, out=ed)
        return offset + float(((ed @ ones) / (e @ ones)).sum()) / n

    return derivative


def _fit(z: np.ndarray, y: np.ndarray) -> float:
    """:func:`fit_temperature` of log probabilities ``z``."""
    if len(y) == 0:
        raise ValueError("fitting a temperature needs at least one row")
    derivative = _derivative(z, y)
    lo, hi = math.log(1 / T_MAX), math.log(1 / T_MIN)  # u = log beta = -log T
    ends = {lo: derivative(1 / T_MAX), hi: derivative(1 / T_MIN)}  # brentq starts with these
    if ends[lo] == 0 and ends[hi] == 0:  # the derivative is non-decreasing: NLL constant in T
        return 1.0
    if ends[lo] >= 0:  # NLL non-decreasing in beta: the flattest allowed
        return T_MAX
    if ends[hi] <= 0:  # NLL non-increasing in beta: the sharpest allowed
        return T_MIN
    # the root in log beta (about 10 evaluations, against 15 to 18 in beta); xtol: relative in T
    u = brentq(lambda u: ends[u] if u in ends else derivative(math.exp(u)), lo, hi, xtol=XTOL)
    return math.exp(-u)


def applied(T: float) -> float:
    """The temperature a fit's rows are scaled with: the fit, or 1 (no
    scaling) when it ended at a bound of the search (:func:`at_bound`)."""
    return 1.0 if at_bound(T) else T


def _fold_fits(z: np.ndarray, y: np.ndarray):
    """Each fold's rows and the temperature fitted on them (log probabilities ``z``)."""
    rows = dict(zip(FOLDS, folds(len(y)), strict=True))
    return rows, {fold: _fit(z[r], y[r]) for fold, r in rows.items()}


def fit_temperature(probs, y) -> float:
    """The temperature in ``[0.01, 100]`` minimising the mean NLL of
    ``softmax(log p / T)`` on these rows.

    The bound when the optimum lies beyond it (e.g. ``0.01`` when the true
    class is the most probable in every row, ``100`` when it is the least
    probable in every row); ``1`` when the NLL does not depend on ``T`` (every
    row uniform).
    """
    y, probs = check(y, probs)
    return _fit(log_probs(probs), y)


def temperature_scaled(y, probs, ece_bins: int = 15) -> dict[str, float]:
    """:func:`temperature_scaled_log` of a probability matrix, ``log p`` taken
    of ``p`` floored at float64 eps."""
    y, probs = check(y, probs)
    return temperature_scaled_log(y, log_probs(probs), ece_bins)


def temperature_scaled_log(y, z, ece_bins: int = 15) -> dict[str, float]:
    """NLL and ECE after temperature scaling of log-probabilities ``z``,
    two-fold cross-fitted (the module's protocol): ``nll_calibrated``,
    ``ece_calibrated``, ``temperature_even``, ``temperature_odd``; then per
    fold ``f`` the values measured on its rows, ``nll_calibrated_{f}``
    (temperature fitted on the other fold) and ``nll_calibrated_{f}_insample``
    (fitted on ``f`` itself), and the same for ECE. The scaled NLL is that of
    the float64 log-softmax of ``z / T``, never clipped; the capped one
    (``nll_calibrated_capped`` and its fold columns) clips each row's loss at
    :data:`NLL_CAP`. A fit at a bound is recorded as fitted and applied as
    ``T = 1`` (:func:`applied`)."""
    y, z = np.asarray(y), _finite(z)
    if len(y) < 2:
        raise ValueError(f"temperature scaling needs at least 2 test rows (one per fold), got {len(y)}")
    rows, fitted = _fold_fits(z, y)
    out: dict[str, float] = {}
    for fold, other in zip(FOLDS, reversed(FOLDS), strict=True):
        r = rows[fold]
        for suffix, T in (("", fitted[other]), ("_insample", fitted[fold])):
            lq = log_softmax(z[r] / applied(T))
            loss = -lq[np.arange(len(r)), y[r]]
            out[f"nll_calibrated_{fold}{suffix}"] = float(np.mean(loss))
            out[f"ece_calibrated_{fold}{suffix}"] = ece(y[r], np.exp(lq), ece_bins=ece_bins)
            out[f"nll_calibrated_capped_{fold}{suffix}"] = float(np.mean(np.minimum(loss, NLL_CAP)))
    return {
        "nll_calibrated": float(np.mean([out[f"nll_calibrated_{f}"] for f in FOLDS])),
        "ece_calibrated": float(np.mean([out[f"ece_calibrated_{f}"] for f in FOLDS])),
        "nll_calibrated_capped": float(np.mean([out[f"nll_calibrated_capped_{f}"] for f in FOLDS])),
        "temperature_even": fitted["even"],
        "temperature_odd": fitted["odd"],
        **out,
    }


def at_bound(T: float) -> bool:
    """Whether a fitted temperature is a bound of the search (its optimum
    lies beyond it)."""
    return T in (T_MIN, T_MAX)


def crossfit_nll(z, y) -> dict[str, float]:
    """``nll_calibrated_even`` and ``nll_calibrated_odd`` of
    :func:`temperature_scaled_log` of log-probabilities ``z`` alone (no ECE, no
    in-sample values), for the many subset ensembles of the deep ensemble
    equivalent's reference curve. Rows need not be normalised: a row's
    constant shift cancels in ``softmax(z / T)``."""
    z, y = _finite(z), np.asarray(y)
    rows, fitted = _fold_fits(z, y)
    out = {}
    for fold, other in zip(FOLDS, reversed(FOLDS), strict=True):
        scaled = z[rows[fold]] / applied(fitted[other])
        top = scaled.max(axis=1, keepdims=True)
        log_norm = top[:, 0] + np.log(np.exp(scaled - top).sum(axis=1))
        out[f"nll_calibrated_{fold}"] = float(
            np.mean(log_norm - scaled[np.arange(len(scaled)), y[rows[fold]]])
        )
    return out


def _finite(z) -> np.ndarray:
    """Float64 log-probabilities with ``-inf`` (a probability of exactly 0)
    raised to -1e300, so that ``0 * log 0`` terms of the fit stay 0."""
    return np.maximum(np.asarray(z, dtype=np.float64), -1e300)
