"""Training: many models side by side in a compiled loop, saving snapshots;
and a Keras callback for users of ``model.fit``.

The study trains small MLPs for thousands of short steps, where a step's cost
is TensorFlow's per-op overhead, not arithmetic. So :class:`Trainer` trains
the models of a job in *lanes* of :data:`LANE` models at once: the Keras
model's ``stateless_call`` is vectorised over a leading axis of stacked
weights (``tf.vectorized_map``), each model with its own initial weights and
batch order, and the epochs between two snapshots run inside one
``tf.function``. A lane step costs about twice a single model's; per model the
training is ~10x cheaper than one model at a time. Every model follows exactly
the algorithm of ``model.fit`` (its own loss, gradient, SGD-with-momentum
update and learning rate at every iteration; a test checks this).

A model's numbers must not depend on which other models share its job: the
kernels TensorFlow picks, and the order in which they add up, can depend on a
tensor's shape and on an element's position in it. So a lane always has
:data:`LANE` positions (unused ones hold idle models), and each model has a
fixed *slot*, derived from its seed alone, that names its lane
(``slot // LANE``) and its position in it (``slot % LANE``). The same seed
gives the same bits whatever the chunk of runs, the other seeds or their
number (tested, with and without XLA).

Importing this module imports TensorFlow: call :func:`snapens.core.runtime.configure`
first to size its thread pools. :class:`SnapshotSaver` is for Keras users who
train with their own ``model.fit``: it saves the model at the end of the given
epochs.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import keras
import numpy as np
import tensorflow as tf

from snapens.core.io import atomic_path
from snapens.train.lanes import LANE, Model, plan
from snapens.train.model import SHUFFLE_STREAM, build_mlp, initial_weights
from snapens.train.schedules import Budget, keras_schedule, snapshot_epochs
from snapens.train.snapshots import snapshot_name


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
    history: dict[str, np.ndarray]  # epoch, lr, loss, accuracy (and member, for independent members)
    snapshot_epochs: list[int]
    train_seconds: float  # the run's share of its lanes' training time


def epoch_orders(n: int, epochs: int, seed: int) -> np.ndarray:
    """The shuffled sample order of every epoch, shape ``(epochs, n)``."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, SHUFFLE_STREAM]))
    return np.stack([rng.permutation(n) for _ in range(epochs)]).astype(np.int32)


def save_model(model, path: str | Path) -> Path:
    """``model.save`` to ``path`` through a temporary name, so no partial file remains."""
    with atomic_path(path) as tmp:
        model.save(tmp)
    return Path(path)


def make_lane_loop(model, optimizer, variables, X, Y, batch_size: int, own_data: bool = False):
    """A function training a lane on the given epoch orders (``(epochs, LANE,
    n)``), one row per epoch: the learning rate at the epoch's first iteration,
    and per model its mean training loss and training accuracy, as
    ``model.fit`` reports them. ``own_data``: ``X`` and ``Y`` hold one
    training set per lane position (``(LANE, n, ...)``), else one for all."""
    n = int(X.shape[1] if own_data else X.shape[0])
    n_full, rest = divmod(n, batch_size)

    def forward(weights_and_rows):
        weights, rows = weights_and_rows
        return model.stateless_call(list(weights), [], rows, training=True)[0]

    def step(idx):  # idx: (LANE, rows of this batch)
        if own_data:  # each position's rows of its own data: the same values a shared X would give
            xb, yb = tf.gather(X, idx, batch_dims=1), tf.gather(Y, idx, batch_dims=1)
        else:
            xb, yb = tf.gather(X, idx), tf.gather(Y, idx)
        with tf.GradientTape() as tape:
            probs = tf.vectorized_map(forward, ([v.value() for v in variables], xb))
            per_model = tf.reduce_mean(keras.losses.categorical_crossentropy(yb, probs), axis=1)
            total = tf.reduce_sum(per_model)  # each model's gradient is that of its own loss
        optimizer.apply_gradients(zip(tape.gradient(total, variables), variables))
        size = tf.cast(tf.shape(idx)[1], tf.float32)
        hits = tf.reduce_sum(tf.cast(tf.equal(tf.argmax(probs, 2), tf.argmax(yb, 2)), tf.float32), axis=1)
        return per_model * size, hits

    def run(orders):
        k, width = tf.shape(orders)[0], variables[0].shape[0]

        def epoch(e, lrs, losses, accs):
            lrs = lrs.write(e, tf.cast(optimizer.learning_rate, tf.float32))
            # the epoch's orders first, then the batch: under XLA (TensorFlow
            # 2.21) `orders[e, :, start:]` with a dynamic `e` returns the
            # epoch's first rows instead (tests/unit/test_training.py)
            this = orders[e]

            def batch(b, total, hits):
                batch_loss, batch_hits = step(this[:, b * batch_size : (b + 1) * batch_size])
                return b + 1, total + batch_loss, hits + batch_hits

            start = (tf.constant(0), tf.zeros([width]), tf.zeros([width]))
            _, total, hits = tf.while_loop(lambda b, *_: b < n_full, batch, start)
            if rest:
                batch_loss, batch_hits = step(this[:, n_full * batch_size :])
                total, hits = total + batch_loss, hits + batch_hits
            return e + 1, lrs, losses.write(e, total / n), accs.write(e, hits / n)

        arrays = [tf.TensorArray(tf.float32, size=k) for _ in range(3)]
        _, lrs, losses, accs = tf.while_loop(lambda e, *_: e < k, epoch, (tf.constant(0), *arrays))
        return lrs.stack(), losses.stack(), accs.stack()

    return run


class Trainer:
    """Trains models of one :class:`RunSpec` on one training set, lane after lane.

    The model, its stacked weights, the optimizer and the compiled loop are
    built once per process; each lane starts from its models' initial weights
    and the optimizer's initial state, so a model's numbers depend on its seed
    and slot only, not on what ran before it (tested), while tracing and XLA
    compilation are paid once per job.

    ``draws`` (one ``(X, y)`` per run index, all of the shape of ``X_train``
    and ``y_train``): each run trains on its own data, loaded into its lane
    position (a dataset redrawn per repeat); otherwise every run trains on
    ``X_train``, ``y_train``.
    """

    def __init__(
        self,
        spec: RunSpec,
        X_train,
        y_train,
        n_classes: int,
        jit_compile=True,
        lane: int = LANE,
        draws: Sequence[tuple[np.ndarray, np.ndarray]] | None = None,
    ):
        self.spec = spec
        self.lane = lane
        self.n_features, self.n_classes = X_train.shape[1], n_classes
        self.n = len(X_train)
        self.budget = Budget(spec.epochs, spec.members, math.ceil(self.n / spec.batch_size))
        self.marks = snapshot_epochs(spec.schedule["name"], spec.epochs, spec.members)
        self.model = build_mlp(self.n_features, n_classes, spec.hidden_units, seed=0)
        if self.model.non_trainable_weights:
            raise ValueError("the lane trainer needs a model without non-trainable weights")
        self.variables = [
            tf.Variable(tf.zeros((lane, *w.shape), w.dtype), trainable=True)
            for w in self.model.trainable_weights
        ]
        self.optimizer = keras.optimizers.SGD(
            learning_rate=keras_schedule(spec.schedule, self.budget), momentum=spec.momentum
        )
        self.optimizer.build(self.variables)
        self._optimizer_start = [v.numpy() for v in self.optimizer.variables]
        self.draws = None if draws is None else list(draws)
        if self.draws is None:
            X = tf.constant(X_train, dtype=tf.float32)
            Y = tf.one_hot(tf.constant(y_train), n_classes)
        else:
            for X_d, y_d in self.draws:
                if np.shape(X_d) != np.shape(X_train) or np.shape(y_d) != np.shape(y_train):
                    raise ValueError(f"a draw of shape {np.shape(X_d)}, expected {np.shape(X_train)}")
            X = tf.Variable(tf.zeros((lane, *np.shape(X_train)), tf.float32), trainable=False)
            Y = tf.Variable(tf.zeros((lane, len(y_train), n_classes), tf.float32), trainable=False)
        self.X, self.Y = X, Y
        loop = make_lane_loop(
            self.model, self.optimizer, self.variables, X, Y, spec.batch_size, own_data=self.draws is not None
        )
        # the loops are written as tf.while_loop: no AutoGraph conversion to
        # pay at tracing (~0.4 s per job in graph mode, ~1 s with XLA)
        self.loop = tf.function(loop, jit_compile=jit_compile, reduce_retracing=True, autograph=False)

    @property
    def lane_weights(self) -> int:
        """Weights of a whole lane (every position's model)."""
        return int(sum(np.prod(v.shape) for v in self.variables))

    def initial(self, seed: int) -> list[np.ndarray]:
        """The initial weights of the model of ``seed``."""
        return initial_weights(self.n_features, self.n_classes, self.spec.hidden_units, seed)

    def reset(self, lane: dict[int, Model]) -> np.ndarray:
        """Put the lane's models (position -> model) at their initial weights,
        idle ones at zero, the optimizer at its initial state; return the
        lane's epoch orders, ``(epochs, LANE, n)``."""
        stacks = [np.zeros(v.shape, v.dtype.as_numpy_dtype) for v in self.variables]
        orders = np.tile(np.arange(self.n, dtype=np.int32), (self.spec.epochs, self.lane, 1))
        for pos, m in lane.items():
            for stack, w in zip(stacks, self.initial(m.seed), strict=True):
                stack[pos] = w
            orders[:, pos] = epoch_orders(self.n, self.spec.epochs, m.seed)
        for var, value in zip(self.variables, stacks):
            var.assign(value)
        for var, value in zip(self.optimizer.variables, self._optimizer_start):
            var.assign(value)
        if self.draws is not None:  # each position's own training set (idle ones: zeros)
            X = np.zeros(self.X.shape, np.float32)
            Y = np.zeros(self.Y.shape, np.float32)
            for pos, m in lane.items():
                X_d, y_d = self.draws[m.run]
                X[pos], Y[pos] = X_d, np.eye(self.n_classes, dtype=np.float32)[y_d]
            self.X.assign(X)
            self.Y.assign(Y)
        return orders

    def train(
        self,
        models: Sequence[Model],
        on_snapshot: Callable[[Model, int, int, list[np.ndarray]], Any] | None = None,
        on_done: Callable[[Model, dict[str, np.ndarray], float], Any] | None = None,
    ) -> None:
        """Train ``models`` lane by lane; call ``on_snapshot(model, i, epoch,
        weights)`` at each of a model's snapshots (``i`` from 1, oldest first;
        ``epoch`` 0-based) and ``on_done(model, history, seconds)`` when it is
        trained (``seconds``: its share of its lane's time)."""
        lanes: dict[int, dict[int, Model]] = {}
        for m in models:
            lane = lanes.setdefault(m.slot // self.lane, {})
            if m.slot % self.lane in lane:
                raise ValueError(f"two models in slot {m.slot}")
            lane[m.slot % self.lane] = m
        for key in sorted(lanes):
            self._train_lane(lanes[key], on_snapshot, on_done)

    def _train_lane(self, lane: dict[int, Model], on_snapshot, on_done) -> None:
        orders = self.reset(lane)
        start, parts, begin = time.perf_counter(), [], 0
        for i, end in enumerate([*self.marks, self.spec.epochs - 1], start=1):
            if end >= begin:
                parts.append([t.numpy() for t in self.loop(tf.constant(orders[begin : end + 1]))])
                begin = end + 1
            if i <= len(self.marks) and on_snapshot is not None:
                stacks = [v.numpy() for v in self.variables]
                for pos, m in lane.items():
                    on_snapshot(m, i, end, [s[pos] for s in stacks])
        seconds = (time.perf_counter() - start) / len(lane)
        lr = np.concatenate([p[0] for p in parts])
        loss, acc = (np.concatenate([p[j] for p in parts]) for j in (1, 2))
        for pos, m in lane.items():
            history = {
                "epoch": np.arange(self.spec.epochs),
                "lr": lr,
                "loss": loss[:, pos],
                "accuracy": acc[:, pos],
            }
            if on_done is not None:
                on_done(m, history, seconds)


def train_runs(
    trainer: Trainer,
    seeds: Sequence[int],
    members: int,
    independent: bool,
    on_snapshot: Callable[[int, int, int, list[np.ndarray]], Any] | None = None,
    on_run: Callable[[int, RunResult], Any] | None = None,
) -> None:
    """Train the runs of ``seeds``: snapshot runs (one model each, its
    snapshots at the trainer's marks) or runs of ``members`` independently
    trained models (``trainer`` then takes one snapshot, the final model).
    ``on_snapshot(run, i, epoch, weights)`` receives snapshot ``i`` of run
    ``run`` (for independent members, member ``i``'s final model), and
    ``on_run(run, result)`` each run once all its models are trained; the
    history of independent members has one row per member and epoch, with a
    ``member`` column."""
    if independent and len(trainer.marks) != 1:
        raise ValueError("independent members need a Trainer whose RunSpec has members=1")
    models = plan(seeds, members, independent)
    done: dict[int, dict[int, tuple[dict, float]]] = {}
    needed = members if independent else 1

    def snapshot(m, i, epoch, weights):
        if on_snapshot is not None:
            on_snapshot(m.run, m.member if independent else i, epoch, weights)

    def finished(m, history, seconds):
        runs = done.setdefault(m.run, {})
        runs[m.member] = (history, seconds)
        if len(runs) < needed or on_run is None:
            return
        parts = [runs[j] for j in sorted(runs)]
        if independent:
            history = {k: np.concatenate([h[k] for h, _ in parts]) for k in parts[0][0]}
            history["member"] = np.repeat(np.arange(1, members + 1), trainer.spec.epochs)
            epochs = [trainer.spec.epochs - 1] * members
        else:
            history, epochs = parts[0][0], list(trainer.marks)
        on_run(m.run, RunResult(history, epochs, sum(s for _, s in parts)))

    trainer.train(models, snapshot, finished)


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
