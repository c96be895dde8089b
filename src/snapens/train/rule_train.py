"""The body of rule ``train``: seeded training runs, each saving its snapshots."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from snapens.core.io import write_csv, write_json
from snapens.core.logs import TRAINED, log, log_startup
from snapens.core.manifests import write_manifest
from snapens.core.provenance import machine, numerics, versions
from snapens.core.settings import config_hash
from snapens.data.dataset import Dataset, fit_split, load_draws
from snapens.train.budget import MethodBudget, method_budget


def train(
    data_paths,
    run_dirs: Sequence[str | Path],
    seeds: Sequence[int],
    run_config: dict[str, Any],
    threads: int = 1,
    manifest: str | Path | None = None,
) -> None:
    """Train one dataset x method's runs: :func:`train_job` with one method."""
    train_job(data_paths, [{"run_config": run_config, "run_dirs": run_dirs}], seeds, threads, manifest)


def train_job(
    data_paths,
    units: Sequence[dict[str, Any]],
    seeds: Sequence[int],
    threads: int = 1,
    manifest: str | Path | None = None,
) -> None:
    """The body of rule ``train``: for each method of the job in turn (a
    ``unit``: its ``run_config`` and the ``run_dirs`` of ``seeds``), train
    every seed's run and write its snapshots, ``training.csv`` and
    ``run.json``; then the job's ``manifest`` of every file written
    (:mod:`snapens.core.manifests`). Each method trains as it would alone
    (its runs' numbers do not depend on the job's other methods).

    ``run_config`` holds ``dataset``, ``method``, ``method_config``, ``training``
    and ``model`` (the resolved config of these runs, recorded in ``run.json``).
    A run's earlier snapshots are removed first (a run with fewer members
    leaves none behind), once the seeds and directories of every method are
    known to agree. ``data_paths``: the dataset's file, or its draw
    directories (:func:`snapens.data.dataset.load_draws`), each run then
    training on its seed's draw."""
    for unit in units:  # before anything is deleted
        if len(seeds) != len(unit["run_dirs"]):
            method = unit["run_config"].get("method")
            raise ValueError(
                f"{f'{method}: ' if method else ''}{len(seeds)} seeds for {len(unit['run_dirs'])} run directories"
            )
    from snapens.core import runtime

    runtime.configure(threads)
    draws = load_draws(data_paths, seeds)
    written: dict[Path, list[str]] = {}
    for i, unit in enumerate(units):
        written.update(
            train_method(draws, unit["run_config"], unit["run_dirs"], seeds, threads, first=i == 0)
        )
    if manifest is not None:
        write_manifest(manifest, "train", written)


def train_method(draws, run_config, run_dirs, seeds, threads, first=True) -> dict[Path, list[str]]:
    """Train one method's runs on ``draws``; the files written, per run
    directory. The ``first`` method of a job logs the end of its start-up."""
    from snapens.train.loop import train_runs
    from snapens.train.snapshots import clear_snapshots

    job = TrainingJob.build(draws, run_config)
    recorder = RunRecorder(job, [Path(d) for d in run_dirs], list(seeds), run_config, threads)
    if first:
        log_startup()
    for run_dir in recorder.run_dirs:
        clear_snapshots(run_dir)
    train_runs(
        job.trainer,
        seeds,
        job.budget.members,
        job.budget.independent,
        on_snapshot=recorder.save_snapshot,
        on_run=recorder.finish_run,
    )
    job.log_trained(seeds, recorder)
    return recorder.written


@dataclass
class TrainingJob:
    """What a job's runs share: the method's budget, the fit/validation
    split of each draw, the lane trainer and the archive writer."""

    budget: MethodBudget
    splits: list[tuple[np.ndarray, np.ndarray]]  # (fit, validation) rows of each run's draw
    draws: list[Dataset]
    trainer: Any
    writer: Any

    @classmethod
    def build(cls, draws: list[Dataset], run_config: dict[str, Any]) -> TrainingJob:
        from snapens.train.archives import ArchiveWriter
        from snapens.train.loop import RunSpec, Trainer

        method, training, data = run_config["method_config"], run_config["training"], draws[0]
        budget = method_budget(method, training, len(data.y_train))
        spec = RunSpec(
            schedule=dict(method["schedule"]),
            members=budget.cycles,
            epochs=budget.epochs,
            batch_size=training["batch_size"],
            momentum=training["momentum"],
            hidden_units=run_config["model"]["hidden_units"],
        )
        splits = [fit_split(d.y_train, method.get("validation_fraction", 0)) for d in draws]
        fit = splits[0][0]
        per_run = None  # each run's training rows, when every seed has its own draw
        if any(d is not data for d in draws):
            per_run = [(d.X_train[f], d.y_train[f]) for d, (f, _) in zip(draws, splits, strict=True)]
        trainer = Trainer(
            spec,
            data.X_train[fit],
            data.y_train[fit],
            data.n_classes,
            training.get("jit_compile", False),
            draws=per_run,
        )
        if trainer.budget != budget.schedule_budget:
            raise ValueError(
                f"the trainer's budget {trainer.budget} is not the plan's {budget.schedule_budget}"
            )
        # the first snapshot through model.save, the others from it
        return cls(budget, splits, draws, trainer, ArchiveWriter(trainer.model))

    def log_trained(self, seeds: Sequence[int], recorder: RunRecorder) -> None:
        """The job's summary line (:data:`snapens.core.logs.TRAINED`)."""
        from snapens.train.lanes import lanes_of, plan

        log.info(
            TRAINED,
            len(seeds),
            time.perf_counter() - recorder.t0,
            lanes_of(plan(seeds, self.budget.members, self.budget.independent)),
            self.budget.model_steps,
            self.trainer.lane_weights,
            sum(len(files) - 2 for files in recorder.written.values()),
        )


@dataclass
class RunRecorder:
    """Writes each run's snapshots as they come, and its ``training.csv`` and
    ``run.json`` when it is done; ``written`` lists the files per run."""

    job: TrainingJob
    run_dirs: list[Path]
    seeds: list[int]
    run_config: dict[str, Any]
    threads: int
    written: dict[Path, list[str]] = field(default_factory=dict)
    started: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    t0: float = field(default_factory=time.perf_counter)

    def __post_init__(self):
        self.machine = machine()
        # what may move a last digit; summarise compares it across runs
        self.numerics = numerics(self.run_config["training"].get("jit_compile", False))

    def save_snapshot(self, run: int, i: int, epoch: int, weights) -> None:
        from snapens.train.snapshots import snapshot_name

        self.job.writer.save(self.run_dirs[run] / "snapshots" / snapshot_name(i), weights)

    def finish_run(self, run: int, result) -> None:
        from snapens.train.snapshots import snapshot_name

        run_dir = self.run_dirs[run]
        write_csv(pd.DataFrame(result.history), run_dir / "training.csv")
        write_json(self.record(run, result), run_dir / "run.json")
        names = [f"snapshots/{snapshot_name(i)}" for i in range(1, len(result.snapshot_epochs) + 1)]
        self.written[run_dir] = [*names, "training.csv", "run.json"]
        self.log_run(run, result)

    def record(self, run: int, result) -> dict[str, Any]:
        """``run.json``: what the run is, how it went, and where it ran."""
        config = self.run_config
        return {
            "dataset": config["dataset"],
            "method": config["method"],
            "seed": int(self.seeds[run]),
            "config": config,
            "config_sha256": config_hash(config),
            "snapshot_epochs": result.snapshot_epochs,
            "train_rows": len(self.job.splits[0][0]),
            "steps_per_epoch": self.job.budget.steps_per_epoch,
            "validation_rows": self.job.splits[run][1].tolist(),
            "test_rows": len(self.job.draws[run].y_test),
            "train_seconds": round(result.train_seconds, 4),
            "wall_seconds": round(time.perf_counter() - self.t0, 4),
            "started": self.started.isoformat(),
            "finished": datetime.now(timezone.utc).isoformat(),
            "threads": self.threads,
            "versions": versions(),
            "numerics": self.numerics,
            **self.machine,
        }

    def log_run(self, run: int, result) -> None:
        history = result.history
        log.info(
            "%s/%s seed %d: %d epoch(s) of training (%.2fs of lane time), final train loss %.4f "
            "accuracy %.3f, members after epochs %s",
            self.run_config["dataset"],
            self.run_config["method"],
            self.seeds[run],
            len(history["epoch"]),
            result.train_seconds,
            history["loss"][-1],
            history["accuracy"][-1],
            ",".join(str(e) for e in result.snapshot_epochs),
        )
