"""Class probabilities of saved Keras models in NumPy, without TensorFlow.

The study's models are stacks of ``Dense`` layers (:func:`snapens.train.model.build_mlp`).
Evaluating their snapshots needs nothing of TensorFlow but its matrix
products, while importing it costs a job seconds and hundreds of MB. So a
``Sequential`` model of ``Dense`` layers with a supported activation is
evaluated here, from the architecture in its archive's ``config.json``, in
float64: ``activation(x @ kernel + bias)`` layer by layer. The probabilities
agree with Keras's own float32 forward pass to its rounding (tested against
``keras.saving.load_model``) and are stored as float32, as Keras would give
them. :meth:`DensePredictor.log_probs` gives the same model's float64
log-probabilities (the log-softmax of its logits, for a softmax output), from
which the study's NLLs are computed: a float32 probability rounds a
confident row's true class to 0 or 1, its log does not. Any other
architecture is evaluated through Keras (:mod:`snapens.evaluate.loading`).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from snapens.train.archives import layer_group


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": lambda z: z,
    "relu": lambda z: np.maximum(z, 0.0),
    "softmax": _softmax,
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": np.tanh,
}


def _layers(config: dict[str, Any]) -> list[dict[str, Any]]:
    if config.get("class_name") != "Sequential":
        return []
    return config.get("config", {}).get("layers", [])


def dense_stack(config: dict[str, Any]) -> list[tuple[str, bool]] | None:
    """``(activation, use_bias)`` of each layer of a ``Sequential`` model of
    ``Dense`` layers (after its ``InputLayer``), from its ``config.json``;
    ``None`` for any other model."""
    stack = []
    for layer in _layers(config):
        kind, settings = layer.get("class_name"), layer.get("config", {})
        if kind == "InputLayer":
            continue
        if kind != "Dense" or settings.get("activation") not in ACTIVATIONS:
            return None
        stack.append((settings["activation"], bool(settings.get("use_bias", True))))
    return stack or None


def archive_weight_paths(config: dict[str, Any]) -> list[str] | None:
    """Where the archive of the model of ``config`` keeps each array of
    ``model.get_weights()`` (Keras's layer groups, :func:`snapens.train.archives.layer_group`);
    ``None`` unless it is a ``Dense`` stack."""
    if dense_stack(config) is None:
        return None
    used: dict[str, int] = {}
    paths = []
    for layer in _layers(config):
        kind = layer.get("class_name")
        if kind == "InputLayer":
            continue
        group = layer_group(kind, used)
        count = 2 if layer.get("config", {}).get("use_bias", True) else 1
        paths += [f"layers/{group}/vars/{i}" for i in range(count)]
    return paths


class DensePredictor:
    """``predict(weights, X)``: the probabilities of a ``Dense`` stack under
    ``weights`` (in ``model.get_weights()`` order), float64 throughout,
    returned as float32."""

    def __init__(self, stack: Sequence[tuple[str, bool]]):
        self.stack = list(stack)

    def fits(self, weights: Sequence[np.ndarray]) -> bool:
        """Whether ``weights`` has one array per kernel and bias of the stack."""
        return len(weights) == sum(2 if bias else 1 for _, bias in self.stack)

    def _logits(self, weights: Sequence[np.ndarray], X: np.ndarray) -> tuple[np.ndarray, str]:
        """The last layer's pre-activation (float64) and its activation."""
        if not self.fits(weights):
            raise ValueError(f"{len(weights)} weight arrays for {len(self.stack)} Dense layers")
        h, arrays = np.asarray(X, dtype=np.float64), iter(weights)
        for i, (activation, bias) in enumerate(self.stack):
            z = h @ np.asarray(next(arrays), dtype=np.float64)
            if bias:
                z += np.asarray(next(arrays), dtype=np.float64)
            if i == len(self.stack) - 1:
                return z, activation
            h = ACTIVATIONS[activation](z)
        raise ValueError("a Dense stack without layers")

    def __call__(self, weights: Sequence[np.ndarray], X: np.ndarray) -> np.ndarray:
        z, activation = self._logits(weights, X)
        return ACTIVATIONS[activation](z).astype(np.float32)

    def log_probs(self, weights: Sequence[np.ndarray], X: np.ndarray) -> np.ndarray:
        """Float64 log-probabilities under ``weights``: the log-softmax of the
        last layer's logits when it is a softmax (never ``-inf``), else the log
        of its output."""
        return self.both(weights, X)[1]

    def both(self, weights: Sequence[np.ndarray], X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(probabilities as float32, float64 log-probabilities)`` from one forward pass."""
        from scipy.special import log_softmax

        z, activation = self._logits(weights, X)
        probs = ACTIVATIONS[activation](z)
        if activation == "softmax":
            return probs.astype(np.float32), log_softmax(z, axis=-1)
        with np.errstate(divide="ignore"):
            return probs.astype(np.float32), np.log(probs)
