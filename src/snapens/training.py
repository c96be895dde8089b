"""Training one run: a compiled loop that saves snapshots, and Keras callbacks.

:func:`train_run` is the study's training: the whole epoch loop runs inside
one ``tf.function`` per snapshot interval, so 500 epochs of the tutorial's model
cost well under a second instead of a minute of ``model.fit`` overhead. It is
numerically the same algorithm as ``model.fit`` (same loss, optimizer, batch
order and learning rate at every iteration); a test checks that.

Importing this module imports TensorFlow: call :func:`snapens.runtime.configure`
first to size its thread pools. :class:`SnapshotSaver` is for Keras users who train with their own
``model.fit``: it saves the model at the end of the given epochs.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import keras
import numpy as np
import tensorflow as tf

from snapens.io import atomic_path
from snapens.model import SHUFFLE_STREAM, build_mlp, member_seed
from snapens.schedules import Budget, keras_schedule, snapshot_epochs
from snapens.snapshots import snapshot_name


@dataclass(frozen=True)
class RunSpec:
    """Everything that defines a run except its seed."""

    schedule: dict[str, Any]
    members: int
    epochs: int = 500
    batch_size: int = 32
    momentum: float = 0.9
    hidden_units: int = 50


@dataclass
class RunResult:
    history: dict[str, np.ndarray]  # epoch, lr, loss, accuracy
    snapshot_epochs: list[int]
    train_seconds: float


def epoch_orders(n: int, epochs: int, seed: int) -> np.ndarray:
    """The shuffled sample order of every epoch, shape ``(epochs, n)``."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, SHUFFLE_STREAM]))
    return np.stack([rng.permutation(n) for _ in range(epochs)]).astype(np.int32)


def save_model(model, path: str | Path) -> Path:
    """``model.save`` to ``path`` through a temporary name, so no partial file remains."""
    with atomic_path(path) as tmp:
        model.save(tmp)
    return Path(path)


def make_epoch_loop(model, optimizer, X, Y, batch_size: int):
    """A compiled function training on the given epoch orders, one row per epoch.

    Returns per-epoch learning rate (at the epoch's first iteration), mean
    training loss and training accuracy, as ``model.fit`` reports them.
    """
    n = int(X.shape[0])
    n_full, rest = divmod(n, batch_size)
    loss_fn = keras.losses.CategoricalCrossentropy()
    weights = model.trainable_variables

    def step(idx):
        xb, yb = tf.gather(X, idx), tf.gather(Y, idx)
        with tf.GradientTape() as tape:
            probs = model(xb, training=True)
            loss = loss_fn(yb, probs)
        optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
        size = tf.cast(tf.shape(idx)[0], tf.float32)
        hits = tf.reduce_sum(
            tf.cast(tf.equal(tf.argmax(probs, 1), tf.argmax(yb, 1)), tf.float32)
        )
        return loss * size, hits

    @tf.function(reduce_retracing=True)
    def run(orders):
        k = tf.shape(orders)[0]
        lrs = tf.TensorArray(tf.float32, size=k)
        losses = tf.TensorArray(tf.float32, size=k)
        accs = tf.TensorArray(tf.float32, size=k)
        for e in tf.range(k):
            lrs = lrs.write(e, tf.cast(optimizer.learning_rate, tf.float32))
            total, hits = tf.constant(0.0), tf.constant(0.0)
            for b in tf.range(n_full):
                batch_loss, batch_hits = step(orders[e, b * batch_size : (b + 1) * batch_size])
                total, hits = total + batch_loss, hits + batch_hits
            if rest:
                batch_loss, batch_hits = step(orders[e, n_full * batch_size :])
                total, hits = total + batch_loss, hits + batch_hits
            losses = losses.write(e, total / n)
            accs = accs.write(e, hits / n)
        return lrs.stack(), losses.stack(), accs.stack()

    return run


class Trainer:
    """Trains runs of one :class:`RunSpec` on one training set, seed after seed.

    The model, optimizer and compiled loop are built once; each :meth:`run`
    resets the weights to the seed's initialisation and the optimizer to its
    initial state, so a run's numbers do not depend on the runs before it in
    the process (a test checks this), while tracing and XLA compilation are
    paid once per process instead of once per run.
    """

    def __init__(self, spec: RunSpec, X_train, y_train, n_classes: int, jit_compile=True):
        self.spec = spec
        self.n_classes = n_classes
        self.n = len(X_train)
        self.budget = Budget(spec.epochs, spec.members, math.ceil(self.n / spec.batch_size))
        self.marks = snapshot_epochs(spec.schedule["name"], spec.epochs, spec.members)
        self.model = build_mlp(X_train.shape[1], n_classes, spec.hidden_units, seed=0)
        self.optimizer = keras.optimizers.SGD(
            learning_rate=keras_schedule(spec.schedule, self.budget), momentum=spec.momentum
        )
        self.optimizer.build(self.model.trainable_variables)
        self._optimizer_start = [v.numpy() for v in self.optimizer.variables]
        X = tf.constant(X_train, dtype=tf.float32)
        Y = tf.one_hot(tf.constant(y_train), n_classes)
        loop = make_epoch_loop(self.model, self.optimizer, X, Y, spec.batch_size)
        self.loop = tf.function(
            loop.python_function, jit_compile=jit_compile, reduce_retracing=True
        )

    def reset(self, seed: int) -> None:
        """Seed's initial weights, optimizer state as just built."""
        fresh = build_mlp(self.model.input_shape[1], self.n_classes, self.spec.hidden_units, seed)
        for var, value in zip(self.model.weights, fresh.get_weights()):
            var.assign(value)
        for var, value in zip(self.optimizer.variables, self._optimizer_start):
            var.assign(value)

    def run(self, seed: int, on_snapshot: Callable[[int, int, Any], Any] | None = None) -> RunResult:
        """Train one run; call ``on_snapshot(i, epoch, model)`` at each snapshot.

        ``i`` counts snapshots from 1 (oldest first), ``epoch`` is 0-based.
        """
        self.reset(seed)
        orders = epoch_orders(self.n, self.spec.epochs, seed)
        start, parts, begin = time.perf_counter(), [], 0
        for i, end in enumerate([*self.marks, self.spec.epochs - 1], start=1):
            if end >= begin:
                parts.append([t.numpy() for t in self.loop(tf.constant(orders[begin : end + 1]))])
                begin = end + 1
            if i <= len(self.marks) and on_snapshot is not None:
                on_snapshot(i, end, self.model)
        seconds = time.perf_counter() - start
        lr, loss, acc = (np.concatenate(col) for col in zip(*parts))
        history = {"epoch": np.arange(self.spec.epochs), "lr": lr, "loss": loss, "accuracy": acc}
        return RunResult(history=history, snapshot_epochs=list(self.marks), train_seconds=seconds)


def train_independent(
    trainer: Trainer, seed: int, members: int, on_member: Callable[[int, int, Any], Any] | None = None
) -> RunResult:
    """The ``independent`` method: ``members`` models, each trained alone for the
    full budget from its own initialisation and batch order (seeds derived from
    ``seed``); ``on_member(j, epoch, model)`` receives each final model.

    ``trainer`` must take one snapshot per run (``RunSpec.members == 1``). The
    history has one row per member and epoch, with a ``member`` column.
    """
    if trainer.spec.members != 1:
        raise ValueError("train_independent needs a Trainer whose RunSpec has members=1")
    histories, seconds, epochs = [], 0.0, []
    for j in range(1, members + 1):
        callback = None if on_member is None else (lambda i, e, m, j=j: on_member(j, e, m))
        res = trainer.run(member_seed(seed, j), on_snapshot=callback)
        histories.append({**res.history, "member": np.full(len(res.history["epoch"]), j)})
        seconds += res.train_seconds
        epochs += res.snapshot_epochs
    history = {k: np.concatenate([h[k] for h in histories]) for k in histories[0]}
    return RunResult(history=history, snapshot_epochs=epochs, train_seconds=seconds)


class SnapshotSaver(keras.callbacks.Callback):
    """Keras callback: save the model after each epoch in ``epochs`` (0-based).

    Files are ``directory/snapshot-01.keras, ...`` oldest first, each written
    atomically. Works with any ``model.fit``::

        saver = SnapshotSaver("snaps", snapshot_epochs("cosine_epoch", 500, 10))
        model.fit(x, y, epochs=500, callbacks=[saver])
    """

    def __init__(self, directory: str | Path, epochs: list[int], verbose: bool = False):
        super().__init__()
        self.directory = Path(directory)
        self.epochs = list(epochs)
        self.verbose = verbose
        self.saved: list[Path] = []

    def on_epoch_end(self, epoch, logs=None):
        if epoch in self.epochs:
            path = save_model(self.model, self.directory / snapshot_name(self.epochs.index(epoch) + 1))
            self.saved.append(path)
            if self.verbose:
                print(f"saved {path} after epoch {epoch}")
