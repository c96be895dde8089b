"""Snapshot files: their names, listing them in member order, and predicting with them.

A run's snapshots are ``snapshots/snapshot-{i:02d}.keras``, ``i = 1..M``, oldest
first; each loads alone with ``keras.saving.load_model``. Member order is the
parsed index ``i``, never the file names' string order (``snapshot-100`` sorts
before ``snapshot-11`` as a string).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

import numpy as np

PATTERN = re.compile(r"snapshot-(\d+)\.keras")


def snapshot_name(i: int) -> str:
    """File name of the ``i``-th snapshot (1-based, oldest first)."""
    return f"snapshot-{i:02d}.keras"


def snapshot_files(run_dir: str | Path, expected: int) -> list[Path]:
    """The run's ``expected`` snapshot files in member order (1..M by parsed
    index); a missing, duplicated or unexpected snapshot is named."""
    directory = Path(run_dir) / "snapshots"
    found: dict[int, list[Path]] = {}
    for path in directory.glob("snapshot-*.keras"):
        match = PATTERN.fullmatch(path.name)
        if match:
            found.setdefault(int(match.group(1)), []).append(path)
    duplicated = sorted(p.name for paths in found.values() if len(paths) > 1 for p in paths)
    missing = [i for i in range(1, expected + 1) if i not in found]
    extra = sorted(i for i in found if not 1 <= i <= expected)
    if duplicated or missing or extra:
        problems = []
        if missing:
            problems.append(f"missing {', '.join(snapshot_name(i) for i in missing)}")
        if extra:
            problems.append(f"unexpected {', '.join(found[i][0].name for i in extra)}")
        if duplicated:
            problems.append(f"the same index twice: {', '.join(duplicated)}")
        raise ValueError(
            f"{directory}: expected {expected} snapshots (from run.json), found {len(found)}; "
            + "; ".join(problems)
        )
    return [found[i][0] for i in range(1, expected + 1)]


def load_snapshots(files: Sequence[Path]):
    """``(model, weights)``: the first snapshot loaded with ``keras.saving.load_model``
    and every snapshot's weights (the others only have their weights read, which
    costs half as much; a test loads every snapshot alone with ``load_model``)."""
    import keras

    model, weights = None, []
    for f in files:
        try:
            if model is None:
                model = keras.saving.load_model(f, compile=False)
            else:
                model.load_weights(f)
        except Exception as exc:  # Keras raises many types for a bad archive
            raise ValueError(f"{f}: cannot load snapshot ({type(exc).__name__}: {exc})") from exc
        weights.append(model.get_weights())
    return model, weights


def predict(model, weights, X: np.ndarray) -> np.ndarray:
    """Class probabilities of ``model`` with ``weights`` on ``X``."""
    model.set_weights(weights)
    return np.asarray(model(X, training=False))


def predict_snapshots(files: Sequence[Path], X: np.ndarray) -> np.ndarray:
    """Every snapshot's probabilities on ``X``: ``(members, samples, classes)``."""
    model, weights = load_snapshots(files)
    return np.stack([predict(model, w, X) for w in weights])
