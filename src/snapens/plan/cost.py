"""The cost model: how long a job is expected to take and how much memory it
needs, from the config alone, before anything runs.

It sets each run-level job's ``priority``, the expected seconds of the job
and of the longest chain of run-level jobs after it (the longest chains, the
independent ensembles with their reference curves, start first and do not
finish last), the wall time a cluster job
requests (:func:`cluster_minutes`) and the memory of the jobs that read every
method or run at once (:func:`memory_mb`); and, with its own frozen
constants (:data:`PACKING`), which methods a training job holds. Nothing it
says changes a number of the study.

The constants are measurements: ``make bench-study`` prints the same
quantities measured on the jobs of the run it times; where each was
measured is in ``docs/benchmarks.md`` ("Cost model"). The README quotes
them (a test keeps the two the same).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from snapens.train.lanes import LANE


@dataclass(frozen=True)
class Constants:
    """Seconds, and megabytes, of the cost model (see the module's docstring)."""

    train_startup: float = 3.9  # a training job until its first step: Python, TensorFlow, tracing
    job_startup: float = 0.5  # any other job until its work starts
    lane_step: float = 1.06e-3  # one optimizer step of a lane of LANE models, graph mode, oneDNN on ...
    lane_step_per_weight: float = 4.0e-9  # ... plus this per weight in the lane
    xla_factor: float = 1.4  # with XLA (training.jit_compile): this times the graph-mode step ...
    xla_per_weight: float = 8e-7  # ... plus this per weight in the lane
    save_snapshot: float = 5e-4  # writing one snapshot archive
    aggregate_member: float = 5e-3  # aggregating one member of a run: its last-k ensembles, diversity ...
    subset_fit: float = 1.0e-4  # ... and each k-subset of a DEE reference run (its fits, both folds)
    evaluate_member: float = 4.4e-3  # evaluating one member: reading, predicting, every metric and its folds
    figure_mb: float = 300.0  # a figure job's peak memory ...
    figure_mb_per_method: float = 15.0  # ... plus this per method drawn
    grid_mb: float = 150.0  # the decision-grid job's peak memory ...
    grid_mb_per_method: float = 6.0  # ... plus this per method (measured: 130 MB for 7, 457 MB for 60)
    tables_mb: float = 450.0  # the summarise job's peak memory (its reading processes included) ...
    tables_mb_per_run: float = 0.2  # ... plus this per run read (and its comparisons)


COSTS = Constants()
# What packs methods into training jobs (snapens.plan.chunks.pack): the
# training terms of COSTS when packing was introduced, kept apart so that
# retuning COSTS does not repack, and so rename, a study's training jobs
# (a renamed job trains again).
PACKING = Constants(
    lane_step=1.06e-3, lane_step_per_weight=4.0e-9, xla_factor=1.4, xla_per_weight=8e-7, save_snapshot=5e-4
)


def describe(c: Constants = COSTS) -> str:
    """The constants as a sentence (the README quotes it, a test checks it)."""
    return (
        f"a training job starts in {c.train_startup:g} s and any other job in {c.job_startup:g} s; "
        f"a step of a lane of {LANE} models takes {c.lane_step * 1e3:g} ms plus "
        f"{c.lane_step_per_weight * 1e9:g} ns per weight in the lane (with XLA, {c.xla_factor:g} times "
        f"that plus {c.xla_per_weight * 1e9:g} ns per weight); a snapshot is written in "
        f"{c.save_snapshot * 1e3:g} ms, evaluated in {c.evaluate_member * 1e3:g} ms and aggregated in "
        f"{c.aggregate_member * 1e3:g} ms, and a subset of a reference run's members in "
        f"{c.subset_fit * 1e3:g} ms; a figure job "
        f"needs {c.figure_mb:g} MB plus {c.figure_mb_per_method:g} MB per method, the tables "
        f"{c.tables_mb:g} MB plus {c.tables_mb_per_run:g} MB per run"
    )


def lane_weights(features: int, hidden: int, classes: int, lane: int = LANE) -> int:
    """Weights of a lane of the study's MLPs (``features -> hidden -> classes``)."""
    return lane * ((features + 1) * hidden + (hidden + 1) * classes)


def lane_step_seconds(weights: int, jit_compile: bool = False, c: Constants = COSTS) -> float:
    """One optimizer step of a lane holding ``weights`` weights in all."""
    graph = c.lane_step + c.lane_step_per_weight * weights
    return c.xla_factor * graph + c.xla_per_weight * weights if jit_compile else graph


def train_seconds(
    lanes: int, steps: int, weights: int, snapshots: int, jit_compile: bool = False, c: Constants = COSTS
) -> float:
    """A training job of one method: start-up, then :func:`training_seconds`."""
    return c.train_startup + training_seconds(lanes, steps, weights, snapshots, jit_compile, c)


def training_seconds(
    lanes: int, steps: int, weights: int, snapshots: int, jit_compile: bool = False, c: Constants = COSTS
) -> float:
    """The training of one method's chunk of runs, without the job's start-up:
    ``lanes`` lanes of ``steps`` steps each, and ``snapshots`` archives written."""
    return lanes * steps * lane_step_seconds(weights, jit_compile, c) + snapshots * c.save_snapshot


def evaluate_seconds(members: int, c: Constants = COSTS) -> float:
    """An evaluation job of ``members`` members in all (every run of its chunk)."""
    return c.job_startup + members * c.evaluate_member


def aggregate_seconds(members: int, subsets: int = 0, c: Constants = COSTS) -> float:
    """An aggregation job of ``members`` members in all (every run of its
    chunk) and ``subsets`` k-subsets in all (those of the runs that can be the
    DEE's reference, :func:`snapens.core.settings.subset_count` each)."""
    return c.job_startup + members * c.aggregate_member + subsets * c.subset_fit


def cluster_minutes(seconds: float) -> int:
    """The wall time a cluster job requests: three times the expected
    ``seconds``, and at least 5 minutes (a queue's granularity)."""
    return max(5, math.ceil(3 * seconds / 60))


def memory_mb(base: float, per_item: float, items: int) -> int:
    """``base + per_item * items``, rounded up to 100 MB."""
    return 100 * math.ceil((base + per_item * items) / 100)


def figure_mb(methods: int, c: Constants = COSTS) -> int:
    """A figure job drawing ``methods`` methods."""
    return memory_mb(c.figure_mb, c.figure_mb_per_method, methods)


def grid_mb(methods: int, c: Constants = COSTS) -> int:
    """The decision-grid job of a study of ``methods`` methods (two panels each)."""
    return memory_mb(c.grid_mb, c.grid_mb_per_method, methods)


def tables_mb(runs: int, c: Constants = COSTS) -> int:
    """The summarise job reading ``runs`` runs."""
    return memory_mb(c.tables_mb, c.tables_mb_per_run, runs)
