"""The body of rule ``aggregate``: the last-k ensembles, diversity and member weights of a chunk's runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from snapens.core.io import read_json, write_csv
from snapens.core.logs import log, log_startup
from snapens.core.manifests import check_files, write_manifest
from snapens.core.paths import seed_of
from snapens.core.settings import reference_candidate
from snapens.data.dataset import load_draws
from snapens.evaluate.runfiles import empty_table, load_log_probabilities, validation_arrays


def aggregate(
    data_paths,
    run_dirs: Sequence[str | Path],
    evaluation: dict[str, Any] | None = None,
    evaluated: Sequence[str | Path] = (),
    manifest: str | Path | None = None,
) -> None:
    """Per run: ``ensemble.csv`` (the last-k ensembles for k = 1..M, from the
    members' float64 log-probabilities, and, for the runs of a
    :func:`reference_candidate`, the means over k-member subsets),
    ``diversity.csv`` (disagreement and correlation of every pair of members)
    and ``weighted.csv`` (the full ensemble with member weights fitted on the
    run's validation rows; empty for runs trained without a validation split);
    then the job's ``manifest``. Each ``probabilities.npz`` is first checked
    against the evaluation jobs' manifests (``evaluated``). ``data_paths``:
    the dataset's file, or its draw directories."""
    labels = [d.y_test for d in load_draws(data_paths, [seed_of(d) for d in run_dirs])]
    if evaluated:
        check_files(evaluated, run_dirs, ["probabilities.npz"])
    log_startup()
    written = {}
    for run_dir, y in zip(map(Path, run_dirs), labels, strict=True):
        aggregate_run(run_dir, y, evaluation)
        written[run_dir] = ["ensemble.csv", "diversity.csv", "weighted.csv"]
    if manifest is not None:
        write_manifest(manifest, "aggregate", written)


def aggregate_run(run_dir: Path, y, evaluation: dict[str, Any] | None) -> None:
    """Write one run's ``ensemble.csv``, ``diversity.csv`` and ``weighted.csv``
    from its ``probabilities.npz`` and test labels ``y``."""
    from snapens.evaluate.ensemble_table import last_k_table
    from snapens.evaluate.ensembling import diversity_table

    path = run_dir / "probabilities.npz"
    probs, log_probs = load_log_probabilities(path, y)
    method = read_json(run_dir / "run.json")["config"]["method_config"]
    table = last_k_table(log_probs, y, evaluation, reference_candidate(method))
    write_csv(table, run_dir / "ensemble.csv")
    write_csv(diversity_table(probs), run_dir / "diversity.csv")
    weighted = weighted_table(path, log_probs, y, evaluation)
    write_csv(weighted, run_dir / "weighted.csv")
    full = table.iloc[-1]
    log.info(
        "%s: final %.3f, ensemble of %d %.3f%s",
        run_dir,
        table["accuracy"].iloc[0],
        int(full["k"]),
        full["accuracy"],
        f", weighted {weighted['accuracy'].iloc[0]:.3f}" if len(weighted) else "",
    )


def weighted_table(path: Path, log_probs, y, evaluation: dict[str, Any] | None) -> pd.DataFrame:
    """The full ensemble with member weights fitted on the run's validation
    rows (their probabilities in ``path``), as ``weighted.csv``'s row; no row
    for a run trained without a validation split."""
    from snapens.evaluate.ensembling import fit_weights, weighted_log_average
    from snapens.evaluate.metrics import evaluate as metrics_of

    val = validation_arrays(path)
    if val is None:
        return empty_table("weighted")
    weights = fit_weights(*val)
    row = {
        "model": "weighted",
        **metrics_of(y, evaluation=evaluation, log_probs=weighted_log_average(log_probs, weights)),
        "weights": " ".join(f"{x:.6f}" for x in weights),
    }
    return pd.DataFrame([row])
