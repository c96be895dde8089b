"""The body of rule ``evaluate``: every snapshot of a chunk's runs on the test set."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from snapens.core.io import read_json, write_csv
from snapens.core.logs import EVALUATED, log, log_startup
from snapens.core.manifests import check_files, write_manifest
from snapens.core.paths import seed_of
from snapens.data.dataset import load_draws
from snapens.evaluate.runfiles import empty_table, save_probabilities
from snapens.evaluate.scores import DIVERGED, DIVERGED_NATS, NONFINITE, diverged, uniform_where_nonfinite
from snapens.train.budget import run_budget


def finite_outputs(predict, weights, X) -> tuple[np.ndarray, np.ndarray, int]:
    """``(probabilities, log-probabilities, rows replaced)`` of a model: the
    rows its weights give no finite output for (training diverged) predicted
    uniformly (:func:`snapens.evaluate.scores.uniform_where_nonfinite`)."""
    p, lp = predict.both(weights, X)
    lp, bad = uniform_where_nonfinite(lp)
    p = np.where(bad[:, None], np.float32(1 / p.shape[1]), p).astype(np.float32)
    return p, lp, int(bad.sum())


def evaluate(
    data_paths,
    run_dirs: Sequence[str | Path],
    evaluation: dict[str, Any] | None = None,
    threads: int = 1,
    trained: Sequence[str | Path] = (),
    manifest: str | Path | None = None,
) -> None:
    """Per run: every snapshot's test probabilities (``probabilities.npz``, in
    member order), ``members.csv``, and ``averaged.csv`` (the weight averages
    of a snapshot run, of every snapshot and of its tail; empty for
    independently trained members, whose weights cannot be averaged); then
    the job's ``manifest``. The snapshots and ``run.json`` are first checked
    against the training jobs' manifests (``trained``). ``data_paths``: the
    dataset's file, or its draw directories
    (:func:`snapens.data.dataset.load_draws`)."""
    from snapens.core import runtime
    from snapens.evaluate.loading import SnapshotLoader

    runtime.limit_numpy_threads(threads)
    loader = SnapshotLoader(threads)
    draws = load_draws(data_paths, [seed_of(d) for d in run_dirs])
    if trained:
        check_files(trained, run_dirs, ["snapshots/*.keras", "run.json"])
    log_startup()
    written, members, start = {}, 0, time.perf_counter()
    for run_dir, data in zip(map(Path, run_dirs), draws, strict=True):
        members += evaluate_run(run_dir, data, loader, evaluation)
        written[run_dir] = ["probabilities.npz", "members.csv", "averaged.csv"]
    log.info(EVALUATED, members, len(written), time.perf_counter() - start)
    if manifest is not None:
        write_manifest(manifest, "evaluate", written)


def evaluate_run(run_dir: Path, data, loader, evaluation: dict[str, Any] | None) -> int:
    """Evaluate one run's snapshots on ``data`` and write its files; return
    its number of members. Its snapshots are those its budget
    (:func:`snapens.train.budget.run_budget`) says it has."""
    from snapens.evaluate.ensembling import member_table
    from snapens.train.snapshots import snapshot_files

    meta = read_json(run_dir / "run.json")
    epochs, budget = meta["snapshot_epochs"], run_budget(meta)
    if epochs != budget.snapshot_epochs:
        raise ValueError(
            f"{run_dir / 'run.json'}: snapshots after epochs {epochs}, its budget gives {budget.snapshot_epochs}"
        )
    predict, weights = loader.load(snapshot_files(run_dir, len(epochs)))
    probs, log_probs, nonfinite = (
        np.stack(a) for a in zip(*(finite_outputs(predict, w, data.X_test) for w in weights))
    )
    arrays = {"probs": probs, "log_probs": log_probs, "epochs": np.asarray(epochs), "y_test": data.y_test}
    arrays.update(validation_arrays(meta, predict, weights, data))
    averaged, nonfinite_of = empty_table("averaged"), {}
    if not budget.independent:
        averaged, nonfinite_of = weight_averages(predict, weights, data, evaluation, arrays)
    save_probabilities(run_dir / "probabilities.npz", **arrays)
    table = member_table(log_probs, data.y_test, epochs, evaluation, nonfinite)
    warn_diverged(run_dir, table, nonfinite, nonfinite_of)
    write_csv(table, run_dir / "members.csv")
    write_csv(averaged, run_dir / "averaged.csv")
    log.info(
        "%s: %d members, accuracy %s%s",
        run_dir,
        len(table),
        " ".join(f"{a:.3f}" for a in table["accuracy"]),
        f"; weight average {averaged['accuracy'].iloc[0]:.3f}" if len(averaged) else "",
    )
    return len(table)


def validation_arrays(meta: dict, predict, weights, data) -> dict[str, np.ndarray]:
    """The members' probabilities on the training rows a run held out (for
    fitting member weights only), and their labels; none without such rows."""
    val = np.asarray(meta.get("validation_rows", []), dtype=np.int64)
    if not len(val):
        return {}
    return {
        "val_probs": np.stack([finite_outputs(predict, w, data.X_train[val])[0] for w in weights]),
        "y_val": data.y_train[val],
    }


def weight_averages(predict, weights, data, evaluation, arrays: dict) -> tuple[pd.DataFrame, dict[str, int]]:
    """The weight average of every snapshot (``swa``) and of the tail that
    SWA averages (``swa_tail``, :func:`snapens.evaluate.ensembling.tail_members`)
    on the test set: their rows of ``averaged.csv`` and their non-finite row
    counts; their probabilities are added to ``arrays``."""
    from snapens.evaluate.ensembling import average_weights, tail_members
    from snapens.evaluate.metrics import evaluate as metrics_of

    nonfinite_of = {}
    for model, averaged_members in (("swa", weights), ("swa_tail", weights[-tail_members(len(weights)) :])):
        p, lp, bad = finite_outputs(predict, average_weights(averaged_members), data.X_test)
        arrays[f"{model}_probs"], arrays[f"{model}_log_probs"], nonfinite_of[model] = p, lp, bad
    rows = [
        {
            "model": model,
            **metrics_of(data.y_test, evaluation=evaluation, log_probs=arrays[f"{model}_log_probs"]),
            NONFINITE: nonfinite_of[model],
            DIVERGED: int(diverged(data.y_test, arrays[f"{model}_log_probs"], nonfinite_of[model])),
        }
        for model in ("swa", "swa_tail")
    ]
    return pd.DataFrame(rows), nonfinite_of


def warn_diverged(
    run_dir: Path, table: pd.DataFrame, nonfinite: np.ndarray, nonfinite_of: dict[str, int]
) -> None:
    """Log the members that diverged, and the models whose non-finite
    outputs were replaced by uniform predictions."""
    if table[DIVERGED].any():
        log.warning(
            "%s: member(s) %s diverged (non-finite outputs, or a test row's loss beyond %.0f nats)",
            run_dir,
            ", ".join(str(m) for m in table.loc[table[DIVERGED] > 0, "member"]),
            DIVERGED_NATS,
        )
    if nonfinite.any() or any(nonfinite_of.values()):
        log.warning(
            "%s: %d member(s) and %d weight average(s) gave non-finite outputs (diverged); "
            "their %d rows are predicted uniformly",
            run_dir,
            int((nonfinite > 0).sum()),
            sum(1 for v in nonfinite_of.values() if v),
            int(nonfinite.sum()) + sum(nonfinite_of.values()),
        )
