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


def clear_snapshots(run_dir: str | Path) -> None:
    """Remove a run's snapshot files (before the run is trained again)."""
    directory = Path(run_dir) / "snapshots"
    directory.mkdir(parents=True, exist_ok=True)
    for path in directory.glob("snapshot-*.keras"):
        if PATTERN.fullmatch(path.name):
            path.unlink()


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
    """``(model, weights)`` through Keras: the first snapshot loaded with
    ``keras.saving.load_model``, every snapshot's weights with
    ``model.load_weights`` (any architecture; imports TensorFlow). The study's
    ``Dense`` models are read without Keras instead (:class:`SnapshotLoader`)."""
    import keras

    if not files:
        return None, []
    model = _loading(files[0], lambda f: keras.saving.load_model(f, compile=False))
    weights = [model.get_weights()]
    for file in files[1:]:
        _loading(file, model.load_weights)
        weights.append(model.get_weights())
    return model, weights


def _loading(file: Path, load):
    """``load(file)``, any failure re-raised naming the file."""
    try:
        return load(file)
    except Exception as exc:  # zipfile, h5py and Keras raise many types for a bad archive
        raise ValueError(f"{file}: cannot load snapshot ({type(exc).__name__}: {exc})") from exc


class SnapshotLoader:
    """Loads the snapshots of one job's runs: ``(predict, weights)`` per run,
    ``predict(weights, X)`` giving a member's class probabilities.

    A ``Sequential`` stack of ``Dense`` layers (the study's MLP) is read
    straight from its archives (:class:`snapens.archives.ArchiveReader`) and
    predicted in NumPy (:class:`snapens.inference.DensePredictor`): no
    TensorFlow in the process. Any other architecture goes through Keras
    (:func:`load_snapshots` and :class:`Predictor`), TensorFlow then being
    started with ``threads`` threads.
    """

    def __init__(self, threads: int = 1):
        from snapens.archives import ArchiveReader

        self.reader = ArchiveReader()
        self.threads = threads
        self._keras: Predictor | None = None

    def load(self, files: Sequence[Path]):
        from snapens.inference import DensePredictor, dense_stack

        config, first = _loading(files[0], self.reader.read)
        stack = dense_stack(config)
        if stack is None:
            return self._through_keras(files)
        weights = [first]
        for file in files[1:]:
            other, arrays = _loading(file, self.reader.read)
            if dense_stack(other) != stack or [a.shape for a in arrays] != [a.shape for a in first]:
                raise ValueError(f"{file}: cannot load snapshot (its architecture is not that of "
                                 f"{files[0].name}: weights of shapes {[a.shape for a in arrays]}, "
                                 f"expected {[a.shape for a in first]})")
            weights.append(arrays)
        return DensePredictor(stack), weights

    def _through_keras(self, files):
        from snapens import runtime

        runtime.configure(self.threads)
        model, weights = load_snapshots(files)
        if self._keras is None or not self._keras.fits(model):
            self._keras = Predictor(model)
        return self._keras, weights


class Predictor:
    """Class probabilities of one model's architecture under any weights.

    The forward pass is one traced ``tf.function`` of ``model.stateless_call``
    taking the weights as arguments, ~1.5 ms per call against ~8 ms for
    ``set_weights`` and an eager call; the probabilities are the same bits.
    A model with non-trainable weights is run through ``set_weights`` instead.
    One predictor serves every model of the same architecture (:meth:`fits`),
    so the function is traced once per job, not once per run.
    """

    def __init__(self, model):
        import tensorflow as tf

        self.model = model
        self.architecture = model.to_json()
        self._call = None
        if not model.non_trainable_weights:
            self._call = tf.function(
                lambda w, X: model.stateless_call(w, [], X, training=False)[0]
            )

    def fits(self, model) -> bool:
        """Whether ``model`` has this predictor's architecture."""
        return model.to_json() == self.architecture

    def __call__(self, weights, X: np.ndarray) -> np.ndarray:
        if self._call is None:
            self.model.set_weights(weights)
            return np.asarray(self.model(X, training=False))
        return np.asarray(self._call(list(weights), np.asarray(X)))


def predict_snapshots(files: Sequence[Path], X: np.ndarray, loader: SnapshotLoader | None = None) -> np.ndarray:
    """Every snapshot's probabilities on ``X``: ``(members, samples, classes)``."""
    predict, weights = (loader or SnapshotLoader()).load(files)
    return np.stack([predict(w, X) for w in weights])
