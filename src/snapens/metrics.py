"""Classification metrics on predicted probabilities, all fractions in [0, 1] (NLL >= 0).

Accuracy, negative log-likelihood and Brier score come from scikit-learn; the
expected calibration error, which scikit-learn lacks, is computed here.
"""

from __future__ import annotations

import numpy as np
import sklearn
from sklearn.metrics import accuracy_score, brier_score_loss, log_loss

METRICS = ("accuracy", "nll", "brier", "ece")
HIGHER_IS_BETTER = {"accuracy": True, "vote_accuracy": True, "nll": False, "brier": False, "ece": False}


def _check(y: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Labels and float64 probabilities whose rows sum to one.

    A float32 softmax sums to one only to ~1e-7; rows are renormalised in
    float64, and rows further than 1e-3 from one are rejected as not being
    probabilities at all.
    """
    y, probs = np.asarray(y), np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or len(probs) != len(y):
        raise ValueError(f"probabilities must have shape (n={len(y)}, classes), got {probs.shape}")
    sums = probs.sum(axis=1, keepdims=True)
    if np.any(probs < 0) or np.any(np.abs(sums - 1) > 1e-3):
        raise ValueError("probabilities must be non-negative with rows summing to one")
    return y, probs / sums


def accuracy(y, probs) -> float:
    y, probs = _check(y, probs)
    return float(accuracy_score(y, probs.argmax(axis=1)))


def nll(y, probs) -> float:
    """Mean negative log-likelihood of the true class (natural log)."""
    y, probs = _check(y, probs)
    return float(log_loss(y, probs, labels=np.arange(probs.shape[1])))


def brier(y, probs) -> float:
    """Multi-class Brier score, halved so it lies in [0, 1]:
    mean over samples of ``sum_k (p_k - 1[y = k])^2 / 2``."""
    y, probs = _check(y, probs)
    return float(
        brier_score_loss(y, probs, labels=np.arange(probs.shape[1]), scale_by_half=True)
    )


def ece(y, probs, n_bins: int = 15) -> float:
    """Expected calibration error over ``n_bins`` equal-width bins of the top
    probability: ``sum_b |B_b| / n * |accuracy(B_b) - confidence(B_b)|``.

    Bin ``b`` holds confidences in ``(b / n_bins, (b + 1) / n_bins]``.
    """
    y, probs = _check(y, probs)
    conf = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == y).astype(np.float64)
    bins = np.clip(np.ceil(conf * n_bins).astype(int) - 1, 0, n_bins - 1)
    count = np.bincount(bins, minlength=n_bins)
    gap = np.abs(
        np.bincount(bins, weights=correct, minlength=n_bins)
        - np.bincount(bins, weights=conf, minlength=n_bins)
    )
    return float(gap.sum() / len(y))


def evaluate(y, probs, n_bins: int = 15) -> dict[str, float]:
    """All four metrics of one probability matrix.

    The inputs are checked once here, so scikit-learn's own parameter
    validation (a third of the cost of a call) is skipped.
    """
    y, probs = _check(y, probs)
    with sklearn.config_context(skip_parameter_validation=True):
        return {
            "accuracy": accuracy(y, probs),
            "nll": nll(y, probs),
            "brier": brier(y, probs),
            "ece": ece(y, probs, n_bins),
        }
