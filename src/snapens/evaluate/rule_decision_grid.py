"""The body of rule ``decision_grid``: class probabilities over the plane of a 2-D
dataset, for the final model and the full ensemble of one run per method (the
table the decision-regions figure draws)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from snapens.core.io import read_json, write_npz
from snapens.core.logs import log, log_startup
from snapens.core.manifests import check_files
from snapens.core.paths import as_file_list
from snapens.data.dataset import load_draws


def grid_axes(X: np.ndarray, resolution: int) -> list[np.ndarray]:
    """Evenly spaced coordinates covering the data's range plus a 5% margin, per feature."""
    pad = 0.05 * (X.max(axis=0) - X.min(axis=0))
    return [np.linspace(lo, hi, resolution) for lo, hi in zip(X.min(axis=0) - pad, X.max(axis=0) + pad)]


def decision_grid(
    data_path,
    runs: dict[str, str | Path],
    seed: int,
    out: str | Path,
    resolution: int = 200,
    threads: int = 1,
    trained: Sequence[str | Path] = (),
) -> None:
    """Write ``out`` (``.npz``): the grid (``grid_x``, ``grid_y``), the test
    data, the panel names and, per panel, the probabilities over the grid
    (``probs``: panels x grid points x classes). ``runs`` maps a method to
    the run directory (of repeat ``seed``) whose final model and full
    ensemble are shown. Their snapshots and ``run.json`` are first checked
    against the training jobs' manifests (``trained``)."""
    from snapens.core import runtime
    from snapens.evaluate.loading import SnapshotLoader

    runtime.limit_numpy_threads(threads)
    loader = SnapshotLoader(threads)
    data = load_draws(as_file_list(data_path), [seed])[0]  # a redrawn dataset: the draw of repeat `seed`
    if trained:
        check_files(trained, list(runs.values()), ["snapshots/*.keras", "run.json"])
    log_startup()
    if data.n_features != 2:
        raise ValueError(
            f"{as_file_list(data_path)[0]}: decision regions need 2 features, found {data.n_features}"
        )
    grid_x, grid_y = np.meshgrid(*grid_axes(np.concatenate([data.X_train, data.X_test]), resolution))
    grid = np.column_stack([grid_x.ravel(), grid_y.ravel()]).astype(np.float32)
    names, panels = grid_panels(runs, grid, loader)
    write_npz(
        out,
        probs=np.stack(panels).astype(np.float32),
        names=np.array(names),
        seed=np.int64(seed),
        grid_x=grid_x,
        grid_y=grid_y,
        X_test=data.X_test,
        y_test=data.y_test,
    )
    log.info("%s: %d panels over a %d x %d grid", out, len(names), resolution, resolution)


def grid_panels(runs: dict[str, str | Path], grid: np.ndarray, loader) -> tuple[list[str], list[np.ndarray]]:
    """Per method, two panels over ``grid``: the names and probabilities of
    its run's final model and of its full ensemble."""
    from snapens.evaluate.ensembling import average
    from snapens.evaluate.loading import predict_snapshots
    from snapens.train.snapshots import snapshot_files

    names, panels = [], []
    for method, run_dir in runs.items():
        meta = read_json(Path(run_dir) / "run.json")
        probs = predict_snapshots(snapshot_files(run_dir, len(meta["snapshot_epochs"])), grid, loader)
        names += [f"{method}: final model", f"{method}: ensemble of {len(probs)}"]
        panels += [probs[-1].astype(np.float64), average(probs)]
    return names, panels
