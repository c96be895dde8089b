"""``paired_tests.csv``: which paired comparisons the study makes. Each
method against itself (its ensemble against its final model, and each extra
model against what it is measured with), the methods that are not grid
points against each other, and the grid points of a swept method against
its equal-cost baselines (:mod:`snapens.analyse.baselines`); every test and
its family's adjustment is :mod:`snapens.analyse.comparisons`'.
"""

from __future__ import annotations

from itertools import combinations

import pandas as pd

from snapens.analyse.baselines import Baselines, baseline_rows
from snapens.analyse.comparisons import PairedRows, paired_keys
from snapens.analyse.contract import EXTRA_MODELS
from snapens.analyse.statistics import FLIPS
from snapens.analyse.tables import has_model, method_groups
from snapens.evaluate.metrics import METRICS


def paired_table(
    runs: pd.DataFrame,
    confidence: float = 0.95,
    flips: int = FLIPS,
    points: dict[str, dict] | None = None,
    baselines: list[Baselines] = (),
    limits: dict | None = None,
) -> pd.DataFrame:
    """``paired_tests.csv`` from ``runs`` (``runs.csv``): every paired
    comparison, with its family's Holm adjustment and verdict
    (:data:`snapens.analyse.contract.COMPARISONS`), at ``confidence`` with
    ``flips`` random sign flips.

    Per method: its ensemble against its final model (not a test for a
    one-member method: they are the same model), the weight-averaged model
    against the final one and the weighted ensemble against the equal-weight
    one. Between methods that are not grid points of a sweep (``points``:
    method name -> grid point, :func:`snapens.core.sweeps.grid_points`),
    every pair, final against final and ensemble against ensemble. Per grid
    point of a swept method with ``baselines`` and more than one member: its
    ensemble against the best single model at equal cost (every single-model
    rate, nothing chosen: :func:`snapens.analyse.statistics.against_best`)
    and against the equal-cost independent ensemble of the same size and
    rate; ``limits`` maps a dataset to its known limit
    (:class:`snapens.analyse.limits.Limit`).
    """
    points = points or {}
    out = PairedRows(confidence, flips)
    groups = list(method_groups(runs))
    for dataset, method, method_runs in groups:
        family = points[method]["method"] if method in points else ""
        _own_rows(out, dataset, method, method_runs, family)
    by_dataset: dict[str, dict[str, pd.DataFrame]] = {}
    for dataset, method, method_runs in groups:
        by_dataset.setdefault(dataset, {})[method] = method_runs.set_index("seed")
    for dataset, methods in by_dataset.items():
        _method_pairs(out, dataset, {m: r for m, r in methods.items() if m not in points})
        for baseline in baselines:
            baseline_rows(out, dataset, methods, points, baseline, (limits or {}).get(dataset))
    return out.table()


def _own_rows(out: PairedRows, dataset: str, method: str, method_runs: pd.DataFrame, family: str) -> None:
    """A method's models against each other on the same runs: its ensemble
    against its final model, then each extra model it has against what
    :data:`snapens.analyse.contract.EXTRA_MODELS` measures it with."""
    rows = method_runs["test_rows"]
    for m in METRICS:
        keys = paired_keys(dataset, m, "final", family, method, "ensemble", method, "final")
        out.models(keys, method_runs, method_runs, rows, tested=int(method_runs["members"].iloc[0]) > 1)
    for extra, against in EXTRA_MODELS.items():
        if has_model(method_runs, extra):
            for m in METRICS:
                keys = paired_keys(dataset, m, extra, family, method, extra, method, against)
                out.models(keys, method_runs, method_runs, rows)


def _method_pairs(out: PairedRows, dataset: str, methods: dict[str, pd.DataFrame]) -> None:
    """Every pair of ``methods`` (name -> runs indexed by seed) on the seeds
    both have: final model against final model, ensemble against ensemble."""
    for (name_a, runs_a), (name_b, runs_b) in combinations(methods.items(), 2):
        seeds = runs_a.index.intersection(runs_b.index)
        for model in ("final", "ensemble"):
            for m in METRICS:
                keys = paired_keys(dataset, m, f"methods_{model}", "", name_a, model, name_b, model)
                out.models(keys, runs_a.loc[seeds], runs_b.loc[seeds], runs_a.loc[seeds, "test_rows"])
