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
    from snapens.evaluate.ensembling import diversity_table, fit_weights, last_k_table, weighted_log_average
    from snapens.evaluate.metrics import evaluate as metrics_of

    labels = [d.y_test for d in load_draws(data_paths, [seed_of(d) for d in run_dirs])]
    if evaluated:
        check_files(evaluated, run_dirs, ["probabilities.npz"])
    log_startup()
    written = {}
    for run_dir, y in zip(map(Path, run_dirs), labels, strict=True):
        path = run_dir / "probabilities.npz"
        probs, log_probs = load_log_probabilities(path, y)
        method = read_json(run_dir / "run.json")["config"]["method_config"]
        table = last_k_table(log_probs, y, evaluation, reference_candidate(method))
        write_csv(table, run_dir / "ensemble.csv")
        write_csv(diversity_table(probs), run_dir / "diversity.csv")
        weighted = empty_table("weighted")
        val = validation_arrays(path)
        if val is not None:
            w = fit_weights(*val)
            weighted = pd.DataFrame(
                [
                    {
                        "model": "weighted",
                        **metrics_of(y, evaluation=evaluation, log_probs=weighted_log_average(log_probs, w)),
                        "weights": " ".join(f"{x:.6f}" for x in w),
                    }
                ]
            )
        write_csv(weighted, run_dir / "weighted.csv")
        written[run_dir] = ["ensemble.csv", "diversity.csv", "weighted.csv"]
        full = table.iloc[-1]
        log.info(
            "%s: final %.3f, ensemble of %d %.3f%s",
            run_dir,
            table["accuracy"].iloc[0],
            int(full["k"]),
            full["accuracy"],
            f", weighted {weighted['accuracy'].iloc[0]:.3f}" if len(weighted) else "",
        )
    if manifest is not None:
        write_manifest(manifest, "aggregate", written)
