"""Combining members' predicted probabilities.

``probs`` arrays have shape ``(members, samples, classes)``, members oldest
first, so the last ``k`` members are ``probs[-k:]`` and ``k = 1`` is the final
model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from snapens.metrics import evaluate


def average(probs: np.ndarray) -> np.ndarray:
    """Equal-weight average of the members' probabilities (float64)."""
    return np.asarray(probs, dtype=np.float64).mean(axis=0)


def majority_vote(probs: np.ndarray) -> np.ndarray:
    """Predicted label by majority of the members' argmax votes.

    Ties go to the class whose summed probability is highest among the tied
    classes (then to the lowest class index).
    """
    probs = np.asarray(probs, dtype=np.float64)
    n_classes = probs.shape[2]
    votes = np.eye(n_classes)[probs.argmax(axis=2)].sum(axis=0)  # (samples, classes)
    tied = votes == votes.max(axis=1, keepdims=True)
    return np.where(tied, probs.sum(axis=0), -np.inf).argmax(axis=1)


def member_table(probs: np.ndarray, y: np.ndarray, epochs, n_bins: int = 15) -> pd.DataFrame:
    """One row per member: ``member`` (1 = oldest), ``epoch`` and the four metrics."""
    rows = [
        {"member": i + 1, "epoch": int(epoch), **evaluate(y, p, n_bins)}
        for i, (p, epoch) in enumerate(zip(probs, epochs, strict=True))
    ]
    return pd.DataFrame(rows)


def last_k_table(probs: np.ndarray, y: np.ndarray, n_bins: int = 15) -> pd.DataFrame:
    """One row per ``k = 1..M``: the ensemble of the last ``k`` members,
    combined by averaging probabilities, plus its majority-vote accuracy."""
    rows = []
    for k in range(1, len(probs) + 1):
        members = probs[-k:]
        row = {"k": k, **evaluate(y, average(members), n_bins)}
        row["vote_accuracy"] = float(np.mean(majority_vote(members) == y))
        rows.append(row)
    return pd.DataFrame(rows)

