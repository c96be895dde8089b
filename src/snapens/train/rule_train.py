"""The body of rule ``train``: seeded training runs, each saving its snapshots."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from snapens.core.io import write_csv, write_json
from snapens.core.logs import TRAINED, log, log_startup
from snapens.core.manifests import write_manifest
from snapens.core.provenance import machine, numerics, versions
from snapens.core.settings import config_hash, independent, member_epochs
from snapens.data.dataset import fit_split, load_draws


def train(
    data_paths,
    run_dirs: Sequence[str | Path],
    seeds: Sequence[int],
    run_config: dict[str, Any],
    threads: int = 1,
    manifest: str | Path | None = None,
) -> None:
    """Train every seed's run and write its snapshots, ``training.csv`` and
    ``run.json``, then the job's ``manifest`` (:mod:`snapens.core.manifests`).

    ``run_config`` holds ``dataset``, ``method``, ``method_config``, ``training``
    and ``model`` (the resolved config of these runs, recorded in ``run.json``).
    A run's earlier snapshots are removed first (a run with fewer members
    leaves none behind). ``data_paths``: the dataset's file, or its draw
    directories (:func:`snapens.data.dataset.load_draws`), each run then
    training on its seed's draw.
    """
    if len(seeds) != len(run_dirs):  # before anything is deleted
        raise ValueError(f"{len(seeds)} seeds for {len(run_dirs)} run directories")
    from snapens.core import runtime

    runtime.configure(threads)
    from snapens.train.archives import ArchiveWriter
    from snapens.train.lanes import lanes_of, plan
    from snapens.train.loop import RunSpec, Trainer, train_runs
    from snapens.train.snapshots import clear_snapshots, snapshot_name

    draws = load_draws(data_paths, seeds)
    data = draws[0]
    method, tr = run_config["method_config"], run_config["training"]
    separate = independent(method)  # one model per run of a member
    spec = RunSpec(
        schedule=dict(method["schedule"]),
        members=1 if separate else method["members"],
        epochs=member_epochs(method, tr["epochs"]),
        batch_size=tr["batch_size"],
        momentum=tr["momentum"],
        hidden_units=run_config["model"]["hidden_units"],
    )
    splits = [fit_split(d.y_train, method.get("validation_fraction", 0)) for d in draws]
    fit_idx = splits[0][0]
    own = None  # each run's training rows, when every seed has its own draw
    if any(d is not data for d in draws):
        own = [(d.X_train[f], d.y_train[f]) for d, (f, _) in zip(draws, splits, strict=True)]
    trainer = Trainer(
        spec,
        data.X_train[fit_idx],
        data.y_train[fit_idx],
        data.n_classes,
        tr.get("jit_compile", False),
        draws=own,
    )
    writer = ArchiveWriter(trainer.model)  # the first snapshot through model.save, the others from it
    label = f"{run_config['dataset']}/{run_config['method']}"
    where = machine()
    numeric = numerics(tr.get("jit_compile", False))  # what may move a last digit; summarise compares it
    log_startup()
    run_dirs = [Path(d) for d in run_dirs]
    for run_dir in run_dirs:
        clear_snapshots(run_dir)
    written = {}
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()

    def save(run, i, epoch, weights):
        writer.save(run_dirs[run] / "snapshots" / snapshot_name(i), weights)

    def finish(run, result):
        run_dir, seed = run_dirs[run], seeds[run]
        write_csv(pd.DataFrame(result.history), run_dir / "training.csv")
        write_json(
            {
                "dataset": run_config["dataset"],
                "method": run_config["method"],
                "seed": int(seed),
                "config": run_config,
                "config_sha256": config_hash(run_config),
                "snapshot_epochs": result.snapshot_epochs,
                "train_rows": len(fit_idx),
                "steps_per_epoch": trainer.budget.steps_per_epoch,
                "validation_rows": splits[run][1].tolist(),
                "test_rows": len(draws[run].y_test),
                "train_seconds": round(result.train_seconds, 4),
                "wall_seconds": round(time.perf_counter() - t0, 4),
                "started": started.isoformat(),
                "finished": datetime.now(timezone.utc).isoformat(),
                "threads": threads,
                "versions": versions(),
                "numerics": numeric,
                **where,
            },
            run_dir / "run.json",
        )
        names = [f"snapshots/{snapshot_name(i)}" for i in range(1, len(result.snapshot_epochs) + 1)]
        written[run_dir] = [*names, "training.csv", "run.json"]
        h = result.history
        log.info(
            "%s seed %d: %d epoch(s) of training (%.2fs of lane time), final train loss %.4f "
            "accuracy %.3f, members after epochs %s",
            label,
            seed,
            len(h["epoch"]),
            result.train_seconds,
            h["loss"][-1],
            h["accuracy"][-1],
            ",".join(str(e) for e in result.snapshot_epochs),
        )

    train_runs(trainer, seeds, method["members"], separate, on_snapshot=save, on_run=finish)
    models = plan(seeds, method["members"], separate)
    log.info(
        TRAINED,
        len(seeds),
        time.perf_counter() - t0,
        lanes_of(models),
        spec.epochs * trainer.budget.steps_per_epoch,
        trainer.lane_weights,
        sum(len(files) - 2 for files in written.values()),
    )
    if manifest is not None:
        write_manifest(manifest, "train", written)
