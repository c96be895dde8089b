"""Learning-rate schedules and the snapshot epochs they imply.

Every schedule exists twice: as a NumPy formula (:func:`learning_rates`, used
for tables, figures and tests without importing TensorFlow) and as a Keras
``LearningRateSchedule`` (:func:`keras_schedule`, used by the optimizer and
evaluated on its iteration counter, so it works inside a compiled loop and in
any user's ``model.fit``).

Schedule names and their parameters:

``cosine_epoch``  per-epoch cosine annealing with warm restarts (the seed):
    ``lr(e) = lr_max / 2 * (cos(pi * (e mod P) / P) + 1)``, ``P = floor(E / M)``.
``cosine_step``   the same curve updated every iteration (Huang et al. Eq. 2),
    ``P = ceil(T / M)`` iterations; realised with Keras' ``CosineDecayRestarts``.
``triangular``    Smith's (2017) triangular cyclical rate per iteration, each of
    the ``M`` cycles rising linearly from ``lr_min`` to ``lr_max`` at its middle
    and falling back, so that it ends at its minimum (``P = ceil(T / M)``).
``step_decay``    ``lr`` multiplied by ``factor`` at each fraction of the budget
    in ``milestones`` (the paper's NoCycle baseline).
``constant``      ``lr`` throughout.

Cyclic schedules (``cosine_epoch``, ``cosine_step``, ``triangular``) take a snapshot at the end
of each of their ``M`` cycles; the others take ``M`` equally spaced snapshots,
the last one at the final epoch.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

SCHEDULES = ("cosine_epoch", "cosine_step", "triangular", "step_decay", "constant")
CYCLIC = frozenset({"cosine_epoch", "cosine_step", "triangular"})


@dataclass(frozen=True)
class Budget:
    """The training budget a schedule is laid over."""

    epochs: int
    members: int
    steps_per_epoch: int

    @property
    def total_steps(self) -> int:
        return self.epochs * self.steps_per_epoch


def cosine_annealing(epoch, n_epochs: int, n_cycles: int, lr_max: float):
    """The tutorial's per-epoch cosine annealing (vectorised over ``epoch``)."""
    period = n_epochs // n_cycles
    return lr_max / 2 * (np.cos(np.pi * (np.asarray(epoch) % period) / period) + 1)


def cosine_annealing_step(step, total_steps: int, n_cycles: int, lr_max: float):
    """Huang et al. (2017) Eq. 2 with ``step = t - 1`` (0-based iterations)."""
    period = math.ceil(total_steps / n_cycles)
    return lr_max / 2 * (np.cos(np.pi * (np.asarray(step) % period) / period) + 1)


def triangular(step, total_steps: int, n_cycles: int, lr_min: float, lr_max: float):
    """Smith's triangular cyclical learning rate, cycles of ``ceil(T / M)`` iterations
    starting (and ending) at ``lr_min`` with ``lr_max`` half-way."""
    period = math.ceil(total_steps / n_cycles)
    phase = (np.asarray(step) % period) / period
    return lr_min + (lr_max - lr_min) * (1 - np.abs(2 * phase - 1))


def step_decay(step, total_steps: int, lr: float, factor: float, milestones):
    """``lr * factor**k`` where ``k`` milestones (fractions of the budget) have passed."""
    step = np.asarray(step)
    boundaries = _milestone_steps(total_steps, milestones)
    drops = np.searchsorted(boundaries, step, side="right")
    return lr * np.power(factor, drops)


def _milestone_steps(total_steps: int, milestones) -> np.ndarray:
    return np.array([int(round(m * total_steps)) for m in milestones], dtype=np.int64)


def learning_rates(params: dict[str, Any], budget: Budget, per: str = "step") -> np.ndarray:
    """The learning rate at every iteration (``per="step"``) or at the start of
    every epoch (``per="epoch"``), as float64."""
    steps = np.arange(budget.total_steps)
    if per == "epoch":
        steps = steps[:: budget.steps_per_epoch]
    elif per != "step":
        raise ValueError(f"per must be 'step' or 'epoch', got {per!r}")
    return _FORMULAS[params["name"]](steps, params, budget).astype(np.float64)


_FORMULAS: dict[str, Callable[[np.ndarray, dict, Budget], np.ndarray]] = {
    "cosine_epoch": lambda s, p, b: cosine_annealing(
        s // b.steps_per_epoch, b.epochs, b.members, p["lr_max"]
    ),
    "cosine_step": lambda s, p, b: cosine_annealing_step(s, b.total_steps, b.members, p["lr_max"]),
    "triangular": lambda s, p, b: triangular(s, b.total_steps, b.members, p["lr_min"], p["lr_max"]),
    "step_decay": lambda s, p, b: step_decay(s, b.total_steps, p["lr"], p["factor"], p["milestones"]),
    "constant": lambda s, p, b: np.full(np.shape(s), p["lr"], dtype=np.float64),
}


def snapshot_epochs(name: str, epochs: int, members: int) -> list[int]:
    """0-based epochs after which the snapshots are taken, oldest first."""
    if not 1 <= members <= epochs:
        raise ValueError(f"members must be in 1..epochs ({epochs}), got {members}")
    if name in CYCLIC:
        period = epochs // members
        return [(i + 1) * period - 1 for i in range(members)]
    return [math.ceil((i + 1) * epochs / members) - 1 for i in range(members)]


ANNEALED = 0.1  # a snapshot taken above this fraction of the peak rate is flagged as not annealed


def peak_rate(params: dict[str, Any]) -> float:
    """A schedule's largest rate: ``lr_max``, or ``lr`` for the others."""
    return float(params.get("lr_max", params.get("lr")))


def last_snapshot_fraction(params: dict[str, Any], budget: Budget) -> float:
    """The rate of the last iteration before the last snapshot, as a fraction
    of the peak (:func:`peak_rate`): how far the last cycle annealed. The
    per-epoch cosine with 2-epoch cycles ends at 0.5; the per-iteration one at
    ``(1 + cos(pi (P - 1) / P)) / 2`` for cycles of ``P`` iterations."""
    last = snapshot_epochs(params["name"], budget.epochs, budget.members)[-1]
    step = (last + 1) * budget.steps_per_epoch - 1
    rate = _FORMULAS[params["name"]](np.array([step]), params, budget)[0]
    return float(rate / peak_rate(params))


def keras_schedule(params: dict[str, Any], budget: Budget):
    """The schedule as a Keras ``LearningRateSchedule`` over optimizer iterations."""
    import keras

    name = params["name"]
    if name == "cosine_step":
        return keras.optimizers.schedules.CosineDecayRestarts(
            initial_learning_rate=params["lr_max"],
            first_decay_steps=math.ceil(budget.total_steps / budget.members),
            t_mul=1.0,
            m_mul=1.0,
            alpha=0.0,
        )
    if name == "step_decay":
        boundaries = [int(b) for b in _milestone_steps(budget.total_steps, params["milestones"])]
        values = [params["lr"] * params["factor"] ** k for k in range(len(boundaries) + 1)]
        # PiecewiseConstantDecay switches *after* a boundary; ours switches at it.
        return keras.optimizers.schedules.PiecewiseConstantDecay([b - 1 for b in boundaries], values)
    if name == "cosine_epoch":
        return _epoch_cosine_class()(params["lr_max"], budget.epochs, budget.members, budget.steps_per_epoch)
    if name == "triangular":
        return _triangular_class()(
            params["lr_min"], params["lr_max"], math.ceil(budget.total_steps / budget.members)
        )
    if name == "constant":
        return float(params["lr"])
    raise ValueError(f"unknown schedule {name!r}; known: {', '.join(SCHEDULES)}")


@functools.cache
def _epoch_cosine_class():
    import keras
    from keras import ops

    @keras.saving.register_keras_serializable(package="snapens")
    class EpochCosineRestarts(keras.optimizers.schedules.LearningRateSchedule):
        """Per-epoch cosine annealing with warm restarts, evaluated per iteration."""

        def __init__(self, lr_max, epochs, cycles, steps_per_epoch):
            self.lr_max = lr_max
            self.epochs = epochs
            self.cycles = cycles
            self.steps_per_epoch = steps_per_epoch

        def __call__(self, step):
            period = self.epochs // self.cycles
            epoch = ops.floor_divide(ops.cast(step, "int64"), self.steps_per_epoch)
            phase = ops.cast(ops.mod(epoch, period), "float32") / float(period)
            return self.lr_max / 2.0 * (ops.cos(math.pi * phase) + 1.0)

        def get_config(self):
            return {
                "lr_max": self.lr_max,
                "epochs": self.epochs,
                "cycles": self.cycles,
                "steps_per_epoch": self.steps_per_epoch,
            }

    return EpochCosineRestarts


@functools.cache
def _triangular_class():
    import keras
    from keras import ops

    @keras.saving.register_keras_serializable(package="snapens")
    class TriangularCycles(keras.optimizers.schedules.LearningRateSchedule):
        """Smith's triangular cyclical learning rate, cycles of ``period`` iterations."""

        def __init__(self, lr_min, lr_max, period):
            self.lr_min = lr_min
            self.lr_max = lr_max
            self.period = period

        def __call__(self, step):
            phase = ops.cast(ops.mod(ops.cast(step, "int64"), self.period), "float32") / float(self.period)
            return self.lr_min + (self.lr_max - self.lr_min) * (1.0 - ops.abs(2.0 * phase - 1.0))

        def get_config(self):
            return {"lr_min": self.lr_min, "lr_max": self.lr_max, "period": self.period}

    return TriangularCycles
