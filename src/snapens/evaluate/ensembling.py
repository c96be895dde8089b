"""Combining members' predicted probabilities.

``probs`` arrays have shape ``(members, samples, classes)``, members oldest
first, so the last ``k`` members are ``probs[-k:]`` and ``k = 1`` is the final
model. ``log_probs`` arrays have the same shape and hold the members' float64
log-probabilities (``probabilities.npz``'s ``log_probs``): an ensemble's
log-probabilities are ``log mean_i p_i = logsumexp_i log p_i - log M``,
computed without leaving the log domain, so its NLL is exact however
confidently wrong its members are (:func:`log_average`).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from snapens.core.settings import SUBSETS
from snapens.evaluate.metrics import FOLDS, SUBSET_NLL, evaluate, fold_rows
from snapens.evaluate.scores import DIVERGED, NONFINITE, diverged, logsumexp


def average(probs: np.ndarray) -> np.ndarray:
    """Equal-weight average of the members' probabilities (float64)."""
    return np.asarray(probs, dtype=np.float64).mean(axis=0)


def log_average(log_probs: np.ndarray) -> np.ndarray:
    """Log of the equal-weight average of the members' probabilities, from
    their log-probabilities (float64, no underflow)."""
    lp = np.asarray(log_probs, dtype=np.float64)
    return logsumexp(lp, axis=0) - math.log(len(lp))


def log_mix(weights: np.ndarray, log_probs: np.ndarray) -> np.ndarray:
    """``log(weights @ p)`` for many mixtures at once: ``weights`` ``(S,
    members)`` (rows non-negative), ``log_probs`` ``(members, ...)``; result
    ``(S, ...)``. Computed as ``m + log(weights @ exp(log p - m))`` with ``m``
    the members' maximum; an entry whose sum underflows (its mixture lacks
    every member within ~700 nats of the maximum) is recomputed with a
    logsumexp over its own members."""
    lp = np.asarray(log_probs, dtype=np.float64)
    flat = lp.reshape(len(lp), -1)
    out = mix_scaled(np.asarray(weights, dtype=np.float64), *scaled_members(flat), flat)
    return out.reshape((len(out), *lp.shape[1:]))


def scaled_members(flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(exp(log p - m), m)`` of members' log-probabilities ``flat``
    ``(members, entries)``, ``m`` their maximum per entry: what
    :func:`mix_scaled` mixes (computed once for many sets of weights)."""
    top = flat.max(axis=0)
    return np.exp(flat - top), top


def mix_scaled(weights: np.ndarray, scaled: np.ndarray, top: np.ndarray, flat: np.ndarray) -> np.ndarray:
    """:func:`log_mix` of ``(members, entries)`` log-probabilities ``flat``
    from their :func:`scaled_members`: ``(S, entries)``."""
    with np.errstate(divide="ignore"):
        out = np.log(weights @ scaled)
    out += top
    bad = np.argwhere(~np.isfinite(out))
    if len(bad):
        with np.errstate(divide="ignore"):
            log_w = np.log(weights)
        for s, j in bad:
            out[s, j] = logsumexp(log_w[s] + flat[:, j])
    return out


def majority_vote(probs: np.ndarray) -> np.ndarray:
    """Predicted label by majority of the members' argmax votes.

    Ties go to the class whose summed probability is highest among the tied
    classes (then to the lowest class index).
    """
    probs = np.asarray(probs, dtype=np.float64)
    votes = np.eye(probs.shape[2])[probs.argmax(axis=2)].sum(axis=0)  # (samples, classes)
    return _vote(votes, probs.sum(axis=0))


def _vote(votes: np.ndarray, summed: np.ndarray) -> np.ndarray:
    """The majority label from ``(samples, classes)`` vote counts, ties to the
    highest summed probability (:func:`majority_vote`)."""
    tied = votes == votes.max(axis=1, keepdims=True)
    return np.where(tied, summed, -np.inf).argmax(axis=1)


def last_k(log_probs: np.ndarray):
    """For ``k = 1..M``: ``(k, log-probabilities of the average of the last
    k members, their majority vote)``, each ensemble grown from the previous
    one by its next-older member (O(M) for all k, not O(M^2)). The log of the
    sum is accumulated with ``logaddexp``; it equals :func:`log_average` and
    :func:`majority_vote` of ``log_probs[-k:]`` to rounding."""
    lp = np.asarray(log_probs, dtype=np.float64)
    probs = np.exp(lp)
    onehot = np.eye(lp.shape[2])[probs.argmax(axis=2)]  # (members, samples, classes)
    total, votes, summed = np.full(lp.shape[1:], -np.inf), np.zeros(lp.shape[1:]), np.zeros(lp.shape[1:])
    for k in range(1, len(lp) + 1):
        total = np.logaddexp(total, lp[-k])
        votes += onehot[-k]
        summed += probs[-k]
        yield k, total - math.log(k), _vote(votes, summed)


def member_table(
    log_probs: np.ndarray, y: np.ndarray, epochs, evaluation=None, nonfinite=None
) -> pd.DataFrame:
    """One row per member: ``member`` (1 = oldest), ``epoch``, every metric
    of its log-probabilities (``evaluation``: the config's ``evaluation``
    section, e.g. ``ece_bins``), ``nonfinite_rows``, the rows it predicted
    uniformly because its outputs were not finite (``nonfinite``, per member;
    none by default), and ``diverged`` (:func:`snapens.evaluate.scores.diverged`)."""
    rows = [
        {"member": i + 1, "epoch": int(epoch), **evaluate(y, evaluation=evaluation, log_probs=lp)}
        for i, (lp, epoch) in enumerate(zip(log_probs, epochs, strict=True))
    ]
    table = pd.DataFrame(rows)
    table[NONFINITE] = np.zeros(len(rows), dtype=np.int64) if nonfinite is None else np.asarray(nonfinite)
    table[DIVERGED] = [int(diverged(y, lp, n)) for lp, n in zip(log_probs, table[NONFINITE], strict=True)]
    return table


def subsets(members: int, k: int, limit: int = SUBSETS) -> np.ndarray:
    """``(S, k)`` member indices: every k-subset of ``members`` if there are at
    most ``limit``, else ``limit`` distinct ones drawn with a generator seeded by
    ``(members, k)``, so the same run always gets the same subsets."""
    if math.comb(members, k) <= limit:
        return np.array(list(itertools.combinations(range(members), k)), dtype=np.int64)
    rng = np.random.default_rng([members, k])
    drawn: dict[tuple[int, ...], None] = {}
    while len(drawn) < limit:  # a batch of random permutations' first k, deduplicated in order
        batch = np.sort(rng.random((limit, members)).argsort(axis=1)[:, :k], axis=1)
        for row in map(tuple, batch.tolist()):
            drawn[row] = None
            if len(drawn) == limit:
                break
    return np.array(sorted(drawn), dtype=np.int64)


def subset_weights(members: int, k: int) -> np.ndarray:
    """``(S, members)``: each row averages one k-subset (:func:`subsets`)."""
    chosen = subsets(members, k)
    weights = np.zeros((len(chosen), members))
    np.put_along_axis(weights, chosen, 1.0 / k, axis=1)
    return weights


def subset_nlls(log_probs: np.ndarray, y: np.ndarray, k: int) -> dict[str, float]:
    """:func:`subset_nll` on all the test rows (``subset_nll``) and on each
    fold's rows (``subset_nll_even``, ``subset_nll_odd``)."""
    lp = np.asarray(log_probs, dtype=np.float64)
    n = lp.shape[1]
    true = lp[:, np.arange(n), y]  # (members, samples)
    loss = -log_mix(subset_weights(len(lp), k), true)  # (subsets, samples)
    out = {SUBSET_NLL: float(np.mean(loss.mean(axis=1)))}
    for fold, rows in fold_rows(n).items():
        out[f"{SUBSET_NLL}_{fold}"] = float(np.mean(loss[:, rows].mean(axis=1)))
    return out


def subset_calibrated_nll(log_probs: np.ndarray, y: np.ndarray, k: int) -> dict[str, float]:
    """Per fold, the mean over the run's k-subsets (:func:`subsets`) of the
    calibrated NLL of each subset's averaged probabilities, measured on the
    fold with the temperature fitted on the other fold
    (``subset_nll_calibrated_even``, ``..._odd``): the reference curve of the
    calibrated deep ensemble equivalent."""
    from snapens.evaluate.calibration import crossfit_nll

    columns = {f"{SUBSET_NLL}_calibrated_{fold}": f"nll_calibrated_{fold}" for fold in FOLDS}
    totals = dict.fromkeys(columns, 0.0)
    mixed = log_mix(subset_weights(len(log_probs), k), log_probs)  # (subsets, samples, classes)
    for z in mixed:
        fitted = crossfit_nll(z, y)
        for column, source in columns.items():
            totals[column] += fitted[source]
    return {column: total / len(mixed) for column, total in totals.items()}


def subset_nll(log_probs: np.ndarray, y: np.ndarray, k: int) -> float:
    """Mean NLL of the ensembles of ``k`` of the run's members, over its
    k-subsets (:func:`subsets`). For exchangeable members (independently trained
    models) it estimates the NLL of an ensemble of ``k`` such models; by the
    convexity of -log it does not increase with ``k``.

    Each subset's NLL is that of its averaged probabilities, from the members'
    log-probabilities of the true class (:func:`log_mix`), never clipped.
    """
    return subset_nlls(log_probs, y, k)[SUBSET_NLL]


def tail_members(members: int) -> int:
    """The snapshots a tail weight average takes: the last half, rounded up
    (Izmailov et al. 2018 average from late in training, not the first,
    undertrained snapshots)."""
    return (members + 1) // 2


def average_weights(weight_sets) -> list[np.ndarray]:
    """Element-wise mean of several models' weights (SWA-style averaging of the
    snapshots of one run; the MLP has no batch-norm statistics to recompute)."""
    return [np.mean(np.stack(ws), axis=0) for ws in zip(*weight_sets, strict=True)]


def disagreement(probs: np.ndarray) -> np.ndarray:
    """``(M, M)``: fraction of samples on which members i and j predict different labels."""
    labels = np.asarray(probs).argmax(axis=2)
    return (labels[:, None, :] != labels[None, :, :]).mean(axis=2)


def correlation(probs: np.ndarray) -> np.ndarray:
    """``(M, M)``: Pearson correlation of members' softmax outputs (all samples and classes)."""
    flat = np.asarray(probs, dtype=np.float64).reshape(len(probs), -1)
    return np.corrcoef(flat)


def diversity_table(probs: np.ndarray) -> pd.DataFrame:
    """Every ordered pair of members (1-based ``i``, ``j``): disagreement and correlation."""
    dis, cor = disagreement(probs), correlation(probs)
    m = len(probs)
    i, j = np.meshgrid(np.arange(m), np.arange(m), indexing="ij")
    return pd.DataFrame(
        {
            "i": i.ravel() + 1,
            "j": j.ravel() + 1,
            "disagreement": dis.ravel(),
            "correlation": cor.ravel(),
        }
    )


def weighted_average(probs: np.ndarray, weights) -> np.ndarray:
    """Members' probabilities averaged with ``weights`` (non-negative, summing to one)."""
    return np.tensordot(np.asarray(weights, dtype=np.float64), np.asarray(probs, dtype=np.float64), axes=1)


def weighted_log_average(log_probs: np.ndarray, weights) -> np.ndarray:
    """Log of :func:`weighted_average`, from the members' log-probabilities (:func:`log_mix`)."""
    return log_mix(np.asarray(weights, dtype=np.float64)[None, :], log_probs)[0]


def fit_weights(probs: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Member weights minimising the log-loss of the weighted average on ``(probs, y)``.

    Weights are ``softmax(z)`` (so non-negative and summing to one), ``z``
    found by L-BFGS from equal weights. Use validation data, never test data.
    """
    from scipy.optimize import minimize
    from scipy.special import softmax

    p_true = np.asarray(probs, dtype=np.float64)[:, np.arange(len(y)), y].T  # (samples, members)
    eps = np.finfo(np.float64).eps

    def loss(z):
        w = softmax(z)
        mix = np.clip(p_true @ w, eps, None)
        # gradient through the softmax: d/dz_j = w_j * (g_j - w . g), g = dL/dw
        g = -(p_true / mix[:, None]).mean(axis=0)
        return -np.log(mix).mean(), w * (g - w @ g)

    res = minimize(loss, np.zeros(len(probs)), jac=True, method="L-BFGS-B")
    return softmax(res.x)
