"""Reading snapshots: their weights straight from the ``.keras`` archives,
and a predictor of class probabilities for them.

A ``Sequential`` stack of ``Dense`` layers (the study's MLP) is read without
Keras (:class:`ArchiveReader`: h5py once per layout, then the weights' bytes
at their recorded offsets, :class:`snapens.train.archives.Layout`) and
predicted in NumPy (:class:`snapens.evaluate.inference.DensePredictor`), so an
evaluation job never imports TensorFlow. Any other architecture is loaded
and predicted through Keras (:func:`load_snapshots`, :class:`Predictor`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np

from snapens.evaluate.inference import DensePredictor, archive_weight_paths, dense_stack
from snapens.train.archives import CONFIG, WEIGHTS, Layout, members, read_h5


class ArchiveReader:
    """Reads the weights of ``.keras`` archives (see the module's docstring)."""

    def __init__(self):
        self.layouts: dict[tuple[bytes, int], Layout | None] = {}

    def read(self, path: str | Path) -> tuple[dict, list[np.ndarray] | None]:
        """``(config, weights)`` of an archive: its parsed ``config.json`` and
        the arrays in ``model.get_weights()`` order (``None`` for a model that
        is not a stack of ``Dense`` layers: read it with Keras)."""
        files = members(path)
        config_text, blob = files[CONFIG], files[WEIGHTS]
        key = (config_text, len(blob))
        config = json.loads(config_text)
        paths = archive_weight_paths(config)
        if paths is None:
            return config, None
        if key not in self.layouts:
            self.layouts[key] = Layout.of(blob, paths)
        layout = self.layouts[key]
        if layout is not None and layout.fits(blob):
            return config, layout.read(blob)
        return config, read_h5(blob, paths)


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
    straight from its archives (:class:`ArchiveReader`) and
    predicted in NumPy (:class:`snapens.evaluate.inference.DensePredictor`): no
    TensorFlow in the process. Any other architecture goes through Keras
    (:func:`load_snapshots` and :class:`Predictor`), TensorFlow then being
    started with ``threads`` threads.
    """

    def __init__(self, threads: int = 1):
        self.reader = ArchiveReader()
        self.threads = threads
        self._keras: Predictor | None = None

    def load(self, files: Sequence[Path]):
        """``(predict, weights)`` of a run's snapshot files: a predictor and each snapshot's weight arrays."""
        config, first = _loading(files[0], self.reader.read)
        stack = dense_stack(config)
        if stack is None:
            return self._through_keras(files)
        weights = [first]
        for file in files[1:]:
            other, arrays = _loading(file, self.reader.read)
            if dense_stack(other) != stack or [a.shape for a in arrays] != [a.shape for a in first]:
                raise ValueError(
                    f"{file}: cannot load snapshot (its architecture is not that of "
                    f"{files[0].name}: weights of shapes {[a.shape for a in arrays]}, "
                    f"expected {[a.shape for a in first]})"
                )
            weights.append(arrays)
        return DensePredictor(stack), weights

    def _through_keras(self, files):
        from snapens.core import runtime

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
            self._call = tf.function(lambda w, X: model.stateless_call(w, [], X, training=False)[0])

    def fits(self, model) -> bool:
        """Whether ``model`` has this predictor's architecture."""
        return model.to_json() == self.architecture

    def __call__(self, weights, X: np.ndarray) -> np.ndarray:
        if self._call is None:
            self.model.set_weights(weights)
            return np.asarray(self.model(X, training=False))
        return np.asarray(self._call(list(weights), np.asarray(X)))

    def both(self, weights, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(probabilities, log-probabilities)``: a model seen only through its
        probabilities gives their log, floored at float64 eps
        (:func:`snapens.evaluate.scores.log_of`)."""
        from snapens.evaluate.scores import log_of

        probs = self(weights, X)
        return probs, log_of(probs)


def predict_snapshots(
    files: Sequence[Path], X: np.ndarray, loader: SnapshotLoader | None = None
) -> np.ndarray:
    """Every snapshot's probabilities on ``X``: ``(members, samples, classes)``."""
    predict, weights = (loader or SnapshotLoader()).load(files)
    return np.stack([predict(w, X) for w in weights])
