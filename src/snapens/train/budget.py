"""A method's training budget, worked out in one place.

From a method's spec, the run's ``training`` section and the dataset's
training rows, :func:`method_budget` gives what the planner (steps, expected
seconds, the tables' last-snapshot rates), the trainer (the lane's epochs and
cycles), the evaluation (the snapshots a run must have) and the schedule
figure all use: the ensemble's members, the epochs each trained model runs,
the optimizer steps per epoch, the snapshot epochs and the rate at the last
snapshot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from snapens.core.settings import independent, member_epochs
from snapens.data.dataset import held_out_rows
from snapens.train.schedules import Budget, last_snapshot_fraction, snapshot_epochs


@dataclass(frozen=True)
class MethodBudget:
    """The budget of one run of a method.

    ``members``: models the ensemble averages; ``independent``: whether they
    are separately trained models (else snapshots of one model);
    ``epochs``: epochs each trained model runs; ``steps_per_epoch``:
    optimizer steps per epoch (the rows it fits on, in batches)."""

    schedule: dict[str, Any]
    members: int
    independent: bool
    epochs: int
    steps_per_epoch: int

    @property
    def cycles(self) -> int:
        """Snapshots each trained model gives: its schedule's cycles (one for
        independently trained members, each its own model)."""
        return 1 if self.independent else self.members

    @property
    def models(self) -> int:
        """Models a run trains: its members if independent, else one."""
        return self.members if self.independent else 1

    @property
    def schedule_budget(self) -> Budget:
        """What the schedule of each trained model is laid over."""
        return Budget(self.epochs, self.cycles, self.steps_per_epoch)

    @property
    def model_steps(self) -> int:
        """Optimizer steps of each trained model."""
        return self.epochs * self.steps_per_epoch

    @property
    def snapshot_epochs(self) -> list[int]:
        """0-based epoch after which each member is taken, in member order
        (the final epoch of each independently trained member)."""
        if self.independent:
            return [self.epochs - 1] * self.members
        return snapshot_epochs(self.schedule["name"], self.epochs, self.members)

    @property
    def last_snapshot_rate(self) -> float:
        """The rate at the last snapshot as a fraction of the peak
        (:func:`snapens.train.schedules.last_snapshot_fraction`)."""
        return last_snapshot_fraction(self.schedule, self.schedule_budget)

    def record(self) -> dict[str, Any]:
        """The budget as the schedule figure's parameters (plain values)."""
        return {
            "epochs": self.epochs,
            "schedule": self.schedule,
            "members": self.members,
            "ensemble": "independent" if self.independent else "snapshots",
            "steps_per_epoch": self.steps_per_epoch,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> MethodBudget:
        """The budget back from :meth:`record`."""
        return cls(
            record["schedule"],
            record["members"],
            independent(record),
            record["epochs"],
            record["steps_per_epoch"],
        )


def fit_rows(train_rows: int, validation_fraction: float) -> int:
    """Training rows a run fits on: those left after its validation split."""
    return train_rows - held_out_rows(train_rows, validation_fraction)


def method_budget(method: dict[str, Any], training: dict[str, Any], train_rows: int) -> MethodBudget:
    """The budget of a run of ``method`` (its spec) under ``training`` (the
    dataset's resolved section: ``epochs``, ``batch_size``) on a dataset of
    ``train_rows`` training rows (before the method's validation split)."""
    rows = fit_rows(train_rows, method.get("validation_fraction", 0))
    return MethodBudget(
        schedule=method["schedule"],
        members=method["members"],
        independent=independent(method),
        epochs=member_epochs(method, training["epochs"]),
        steps_per_epoch=math.ceil(rows / training["batch_size"]),
    )


def run_budget(run: dict[str, Any]) -> MethodBudget:
    """The budget of a finished run, from its ``run.json`` record."""
    config = run["config"]
    rows = run["train_rows"] + len(run.get("validation_rows", []))
    return method_budget(config["method_config"], config["training"], rows)
