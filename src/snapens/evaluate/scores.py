"""Scores of one probability matrix against its labels: accuracy, negative
log-likelihood, Brier score and expected calibration error.

The NLL the study reports is :func:`nll_log`, of log-probabilities (a
member's float64 log-softmax of its logits, or the log of an ensemble's
average computed from them), so a confidently wrong row costs its full
``-log p`` however large; :func:`nll` of probabilities clips them at ``EPS``
first, as scikit-learn does, which caps a row at ~36 nats.

Accuracy, NLL and Brier score are written out here, a line each, and tested
against scikit-learn's ``accuracy_score``, ``log_loss`` and
``brier_score_loss``: scikit-learn re-validates and one-hot encodes the labels
on every call, ~7 ms per call, which was most of the cost of evaluating a
sweep's tens of thousands of probability matrices. The expected calibration
error, which scikit-learn lacks, is computed here too. The registry of the
metrics the study reports is :mod:`snapens.evaluate.metrics`.
"""

from __future__ import annotations

import math

import numpy as np

EPS = np.finfo(np.float64).eps  # probabilities are clipped to [EPS, 1 - EPS], as log_loss does
T_MIN, T_MAX = 0.01, 100.0  # the temperatures searched by snapens.evaluate.calibration


def memoised(memo: dict | None, kind: str, y, a, compute):
    """``compute(y, a)``, or its result kept in ``memo`` from an earlier call
    on these very objects (the metrics of one matrix check it once: a dict
    :func:`snapens.evaluate.metrics.evaluate` makes per matrix). The memo holds
    the objects, so their ids are not reused while it lives."""
    if memo is None:
        return compute(y, a)
    key = (kind, id(y), id(a))
    if key not in memo:
        memo[key] = (y, a, compute(y, a))
    return memo[key][2]


def check(y: np.ndarray, probs: np.ndarray, memo: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Labels and float64 probabilities whose rows sum to one.

    A float32 softmax sums to one only to ~1e-7; rows are renormalised in
    float64, and rows further than 1e-3 from one are rejected as not being
    probabilities at all. ``memo``: see :func:`memoised`.
    """
    if memo is not None:
        return memoised(memo, "check", y, probs, check)
    y, probs = np.asarray(y), np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or len(probs) != len(y):
        raise ValueError(f"probabilities must have shape (n={len(y)}, classes), got {probs.shape}")
    sums = probs.sum(axis=1, keepdims=True)
    if np.any(probs < 0) or np.any(np.abs(sums - 1) > 1e-3):
        raise ValueError("probabilities must be non-negative with rows summing to one")
    return y, probs / sums


def logsumexp(a, axis: int = 0, keepdims: bool = False) -> np.ndarray:
    """``log(sum(exp(a), axis))`` in float64 without overflow or underflow
    (``-inf`` where every term is ``-inf``): SciPy's ``logsumexp`` without its
    array-API dispatch, which cost ~1 ms a call, most of the time of a sweep's
    ensemble tables."""
    a = np.asarray(a, dtype=np.float64)
    top = a.max(axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.exp(a - top).sum(axis=axis, keepdims=True)) + top
    return out if keepdims else np.squeeze(out, axis=axis)


def log_softmax(z: np.ndarray) -> np.ndarray:
    """Float64 log-softmax of the rows of a finite matrix, computed as SciPy's
    ``log_softmax`` does (``z - max``, less the log of its exponentials' sum),
    without its dispatch cost (:func:`logsumexp`)."""
    z = np.asarray(z, dtype=np.float64)
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def check_log(
    y: np.ndarray, log_probs: np.ndarray, memo: dict | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Labels and float64 log-probabilities whose rows' exponentials sum to
    one (renormalised like :func:`check`; ``-inf`` is a probability of 0).
    ``memo``: see :func:`memoised`."""
    if memo is not None:
        return memoised(memo, "check_log", y, log_probs, check_log)
    y, lp = np.asarray(y), np.asarray(log_probs, dtype=np.float64)
    if lp.ndim != 2 or len(lp) != len(y):
        raise ValueError(f"log-probabilities must have shape (n={len(y)}, classes), got {lp.shape}")
    if np.any(np.isnan(lp)) or np.any(lp == np.inf):
        raise ValueError("log-probabilities must not be NaN or +inf")
    norm = logsumexp(lp, axis=1, keepdims=True)
    if np.any(np.abs(norm) > 1e-3):
        raise ValueError("log-probabilities must be those of rows summing to one")
    return y, lp - norm


NONFINITE = "nonfinite_rows"  # per-run column: rows a diverged model predicted uniformly
DIVERGED = "diverged"  # per-run column: 1 for a model whose training diverged (:func:`diverged`)
# a row's loss beyond this is a true-class probability that float64 cannot hold
# (below its smallest positive number, 4.9e-324): the model's softmax is saturated
DIVERGED_NATS = -math.log(float(np.nextafter(0.0, 1.0)))  # 744.44 nats


def diverged(y, log_probs, nonfinite_rows: int = 0) -> bool:
    """Whether a model's training diverged: some test row's output was not
    finite (``nonfinite_rows``, already predicted uniformly), or some row's
    loss exceeds :data:`DIVERGED_NATS`. Such a model is counted, never
    replaced: it is scored as it predicts, and its rows count at most 13.8
    nats in the capped NLLs (:data:`NLL_CAP`)."""
    if nonfinite_rows:
        return True
    lp = np.asarray(log_probs, dtype=np.float64)
    return bool(np.any(-lp[np.arange(len(y)), np.asarray(y)] > DIVERGED_NATS))


def uniform_where_nonfinite(log_probs) -> tuple[np.ndarray, np.ndarray]:
    """A model's float64 log-probabilities with every row that is not finite
    (NaN or +inf anywhere, or no class above -inf: what weights that diverged
    in training give) replaced by the uniform distribution ``-log C``, and the
    mask of those rows. A diverged model so predicts nothing, and costs
    ``log C`` per row, instead of stopping the study; the tables count the rows
    (``nonfinite_rows``)."""
    lp = np.array(log_probs, dtype=np.float64)
    bad = np.isnan(lp).any(axis=-1) | (lp == np.inf).any(axis=-1) | (lp == -np.inf).all(axis=-1)
    lp[bad] = -np.log(lp.shape[-1])
    return lp, bad


def log_of(probs) -> np.ndarray:
    """Float64 log-probabilities of a probability matrix, ``p`` floored at
    ``EPS`` (the floor of :func:`nll`): what probabilities alone can give."""
    return np.log(np.maximum(np.asarray(probs, dtype=np.float64), EPS))


def nll_log(y, log_probs, memo=None, **_) -> float:
    """Mean negative log-likelihood of the true class from log-probabilities
    (rows renormalised), not clipped: a row whose true class has probability
    ``e**-50`` costs 50 nats."""
    y, lp = check_log(y, log_probs, memo)
    return float(-np.mean(lp[np.arange(len(y)), y]))


NLL_CAP = -math.log(1e-6)  # 13.8155 nats: the most a row's loss counts in a capped NLL


def nll_capped_log(y, log_probs, memo=None, **_) -> float:
    """Mean negative log-likelihood of the true class with each row's loss
    capped at :data:`NLL_CAP` (its probability floored at 1e-6), from
    log-probabilities: no confidently wrong row, and no diverged model, can
    outweigh more than 13.8 nats of a mean."""
    y, lp = check_log(y, log_probs, memo)
    return float(np.mean(np.minimum(-lp[np.arange(len(y)), y], NLL_CAP)))


def accuracy(y, probs, memo=None, **_) -> float:
    y, probs = check(y, probs, memo)
    return float(np.mean(probs.argmax(axis=1) == y))


def nll(y, probs, memo=None, **_) -> float:
    """Mean negative log-likelihood of the true class (natural log), its
    probability clipped to ``[EPS, 1 - EPS]`` first, as scikit-learn's
    ``log_loss`` does."""
    y, probs = check(y, probs, memo)
    true = np.clip(probs[np.arange(len(y)), y], EPS, 1 - EPS)
    return float(-np.mean(np.log(true)))


def brier(y, probs, memo=None, **_) -> float:
    """Multi-class Brier score, halved so it lies in [0, 1]:
    mean over samples of ``sum_k (p_k - 1[y = k])^2 / 2``."""
    y, probs = check(y, probs, memo)
    miss = probs.copy()
    miss[np.arange(len(y)), y] -= 1.0
    return float(np.mean(np.einsum("ij,ij->i", miss, miss)) / 2)


def ece(y, probs, ece_bins: int = 15, memo=None, **_) -> float:
    """Expected calibration error over ``ece_bins`` equal-width bins of the top
    probability: ``sum_b |B_b| / n * |accuracy(B_b) - confidence(B_b)|``.

    Bin ``b`` holds confidences in ``(b / ece_bins, (b + 1) / ece_bins]``.
    """
    y, probs = check(y, probs, memo)
    conf = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == y).astype(np.float64)
    bins = np.clip(np.ceil(conf * ece_bins).astype(int) - 1, 0, ece_bins - 1)
    gap = np.abs(
        np.bincount(bins, weights=correct, minlength=ece_bins)
        - np.bincount(bins, weights=conf, minlength=ece_bins)
    )
    return float(gap.sum() / len(y))
