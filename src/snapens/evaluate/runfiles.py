"""The per-run files, as a contract: their names, the columns the study
tables read, and the checked reading and writing of ``probabilities.npz``.

A run directory is ``{results}/runs/{dataset}/{method}/seed-{seed}/``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from snapens.core.io import read_table, write_npz
from snapens.evaluate.metrics import VOTE, evaluated_columns, subset_columns
from snapens.evaluate.scores import DIVERGED, NONFINITE


def table_columns() -> dict[str, tuple[str, ...]]:
    """The columns of each per-run table that the study tables use (a table of
    :func:`snapens.evaluate.metrics.evaluate` rows has the metrics, the
    temperatures, then the metrics' fold columns)."""
    metrics = evaluated_columns()
    return {
        "members": ("member", "epoch", *metrics, NONFINITE, DIVERGED),
        "ensemble": ("k", *metrics, VOTE.name, *subset_columns()),
        "averaged": ("model", *metrics, NONFINITE, DIVERGED),
        "weighted": ("model", *metrics, "weights"),
        "diversity": ("i", "j", "disagreement", "correlation"),
        "training": ("epoch", "lr", "loss", "accuracy"),
    }


def empty_table(name: str) -> pd.DataFrame:
    """A per-run table with its columns and no rows (a run without that model)."""
    return pd.DataFrame(columns=list(table_columns()[name]))


def read_run_tables(run_dir: str | Path, members: int | None = None) -> dict[str, pd.DataFrame]:
    """Every per-run table of a run, checked: columns, and (when ``members``
    is given) one row per member, per k and per member pair."""
    rows = {"members": members, "ensemble": members, "diversity": members and members**2}
    return {
        name: read_table(Path(run_dir) / f"{name}.csv", columns, rows.get(name))
        for name, columns in table_columns().items()
    }


def save_probabilities(path: str | Path, **arrays: np.ndarray) -> None:
    """Write ``probabilities.npz`` atomically: ``probs`` (float32, members x
    samples x classes), ``log_probs`` (their float64 logs, from the logits),
    ``epochs``, ``y_test`` and the optional validation and weight-average
    arrays."""
    write_npz(path, **arrays)


def load_probabilities(path: str | Path, y_test: np.ndarray) -> np.ndarray:
    """Member probabilities from ``probabilities.npz``, checked against the test labels."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            probs = npz["probs"]
            epochs = npz["epochs"] if "epochs" in npz.files else None
    except (OSError, KeyError, ValueError, EOFError) as exc:
        raise ValueError(f"{path}: not a readable probabilities file ({exc})") from exc
    if epochs is not None and probs.ndim == 3 and len(epochs) != probs.shape[0]:
        raise ValueError(f"{path}: {probs.shape[0]} members' probabilities for {len(epochs)} snapshot epochs")
    if probs.ndim != 3 or probs.shape[1] != len(y_test) or probs.shape[2] <= int(y_test.max()):
        raise ValueError(
            f"{path}: probabilities have shape {probs.shape}, expected (members, {len(y_test)}, "
            f">{int(y_test.max())})"
        )
    if not np.all(np.isfinite(probs)) or np.any(probs < 0):
        raise ValueError(f"{path}: probabilities contain negative, NaN or infinite values")
    if not np.allclose(probs.sum(axis=-1), 1, atol=1e-4):
        raise ValueError(f"{path}: probabilities of a sample do not sum to 1")
    return probs


def load_log_probabilities(path: str | Path, y_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(probs, log_probs)`` of ``probabilities.npz``: the float32
    probabilities (:func:`load_probabilities`) and the float64
    log-probabilities the metrics are computed from, checked to be theirs."""
    path = Path(path)
    probs = load_probabilities(path, y_test)
    with np.load(path, allow_pickle=False) as npz:
        if "log_probs" not in npz.files:
            raise ValueError(f"{path}: no log_probs (written by an older version: evaluate the run again)")
        log_probs = npz["log_probs"]
    if log_probs.shape != probs.shape or np.any(np.isnan(log_probs)) or np.any(log_probs > 1e-6):
        raise ValueError(f"{path}: log_probs are not log-probabilities of shape {probs.shape}")
    if not np.allclose(np.exp(log_probs), probs, atol=1e-6):
        raise ValueError(f"{path}: log_probs are not the log of probs")
    return probs, log_probs.astype(np.float64)


def validation_arrays(path: str | Path):
    """``(val_probs, y_val)`` of a run trained with a validation split, else ``None``."""
    with np.load(path) as npz:
        return (npz["val_probs"], npz["y_val"]) if "val_probs" in npz.files else None
