"""The per-run files, as a contract: their names, the columns the study
tables read, the checked reading and writing of ``probabilities.npz``, and
the check that the runs combined into one dataset x method's rows were made
under the same numeric settings (``run.json``).

A run directory is ``{results}/runs/{dataset}/{method}/seed-{seed}/``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from snapens.core.io import read_json, read_table, write_npz
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


# --- the numeric settings of run.json -------------------------------------------

# a setting that run.json does not record (a run made before it was recorded)
UNKNOWN = "unknown"


def _spell(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _seed_ranges(seeds: Iterable[int], most: int = 6) -> str:
    """``1-15``, ``1-3, 7, 9-10``: sorted seeds as runs of consecutive ones
    (the first ``most`` of them, then an ellipsis)."""
    spans: list[list[int]] = []
    for s in sorted(set(seeds)):
        if spans and s == spans[-1][1] + 1:
            spans[-1][1] = s
        else:
            spans.append([s, s])
    text = [str(a) if a == b else f"{a}-{b}" for a, b in spans]
    return ", ".join(text[:most] + (["..."] if len(text) > most else []))


def mixed_numerics(
    runs: Iterable[tuple[str, str, int, str | Path, Mapping[str, object] | None]], most: int = 10
) -> list[str]:
    """One message per dataset x method whose runs were made under different
    numeric settings. ``runs``: ``(dataset, method, seed, run_dir, numerics)``,
    ``numerics`` as :func:`snapens.core.provenance.numerics` recorded it in
    ``run.json``. A message names each setting that differs, its values, and
    the runs (seeds, and the path of the first) of each; at most ``most``
    messages, then a count of the others.

    Settings are compared as recorded, and only among the runs of one
    dataset x method (a grid point is a method of its own): a setting the
    workflow chooses per dataset or model, such as ``jit_compile``, is
    recorded but may differ between them. A run without recorded settings
    (``None``: made before they were recorded) is *unknown*. Unknown runs
    are not refused against each other, since nothing can be checked;
    unknown runs mixed with known ones are refused, naming both, because
    the unknown ones may have run either way. A setting missing from one
    run's record but present in another's is unknown in the same way."""
    groups: dict[tuple[str, str], dict[str | None, list[tuple[int, str]]]] = {}
    settings: dict[str, Mapping[str, object] | None] = {}
    for dataset, method, seed, run_dir, recorded in runs:
        key = None if recorded is None else json.dumps(dict(recorded), sort_keys=True)
        settings[key] = recorded
        groups.setdefault((dataset, method), {}).setdefault(key, []).append((int(seed), str(run_dir)))
    messages = []
    for (dataset, method), by_setting in groups.items():
        if len(by_setting) < 2:
            continue
        known = [settings[k] for k in by_setting if k is not None]
        names = sorted({name for s in known for name in s})
        differ = [n for n in names if len({_spell(s.get(n, UNKNOWN)) for s in known}) > 1] or names
        sides = []
        for key, members in by_setting.items():
            seeds = [s for s, _ in members]
            where = f"seeds {_seed_ranges(seeds)}, e.g. {min(members)[1]}"
            if key is None:
                sides.append(f"settings {UNKNOWN} ({where}: made before they were recorded)")
            else:
                values = ", ".join(f"{n}={_spell(settings[key].get(n, UNKNOWN))}" for n in differ)
                sides.append(f"{values} ({where})")
        messages.append(
            f"runs of {dataset}/{method} were made under different numeric settings: "
            + " vs ".join(sides)
            + ": rerun them in one environment"
        )
    if len(messages) > most:
        messages = messages[:most] + [f"... and {len(messages) - most} more dataset x method pairs"]
    return messages


def check_numerics(runs: Sequence[tuple[str, str, int, str | Path]]) -> None:
    """Refuse to combine runs (``(dataset, method, seed, run_dir)``) made under
    different numeric settings: read each run's ``run.json["numerics"]`` and
    raise a ``ValueError`` with :func:`mixed_numerics`' messages (whose
    docstring says what is compared, and how runs without a record count)."""
    found = [
        (d, m, s, run_dir, read_json(Path(run_dir) / "run.json").get("numerics")) for d, m, s, run_dir in runs
    ]
    messages = mixed_numerics(found)
    if messages:
        raise ValueError("\n".join(messages))
