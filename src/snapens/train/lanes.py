"""Which models a training job trains, and in which lane and position
(:mod:`snapens.train.loop` explains why a model's slot is fixed by its seed).
Free of TensorFlow, so that the workflow can plan jobs with it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from snapens.train.model import member_seed

LANE = 32  # models trained side by side (measured: ~0.74 ms per step for 32 MLPs of the tutorial's size)


@dataclass(frozen=True)
class Model:
    """One model to train: member ``member`` (1-based) of run ``run`` (its
    index in the job), its ``seed`` (initial weights and batch order) and its
    ``slot`` (lane ``slot // LANE``, position ``slot % LANE``)."""

    run: int
    member: int
    seed: int
    slot: int


def plan(seeds: Sequence[int], members: int = 1, independent: bool = False) -> list[Model]:
    """The models of runs with these ``seeds``: one per snapshot run, seeded
    and slotted by the run's seed; ``members`` per run of independently trained
    members, member ``j`` seeded by :func:`snapens.train.model.member_seed` and
    slotted at ``seed * members + j - 1``."""
    if not independent:
        return [Model(r, 1, int(seed), int(seed)) for r, seed in enumerate(seeds)]
    return [
        Model(r, j, member_seed(seed, j), int(seed) * members + j - 1)
        for r, seed in enumerate(seeds)
        for j in range(1, members + 1)
    ]


def lanes_of(models: Sequence[Model], lane: int = LANE) -> int:
    """How many lanes ``models`` take."""
    return len({m.slot // lane for m in models})
