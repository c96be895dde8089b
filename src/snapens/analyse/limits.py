"""The limit of any method where the data's class densities are known: the
Bayes-optimal classifier on the study's test rows (``limits.csv``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from snapens.data.kinds import limit_log_probabilities
from snapens.evaluate.metrics import FOLDS, METRICS, evaluate, evaluated_columns

LIMIT_MODEL = "bayes_optimal"


@dataclass(frozen=True)
class Limit:
    """The limit of one dataset per repeat: ``values`` has a row per draw of
    the data and, per metric, the mean of its two folds (the scale of a
    cross-fitted value); ``seeds`` names each row's seed (None: one draw, the
    limit of every seed)."""

    values: pd.DataFrame
    seeds: list | None = None

    def of(self, name: str, seeds) -> np.ndarray:
        """The limit of metric ``name`` for each of ``seeds``."""
        seeds = list(seeds)
        if self.seeds is None:
            return np.full(len(seeds), float(self.values[name].iloc[0]))
        return self.values.set_axis(self.seeds).loc[seeds, name].to_numpy(dtype=np.float64)


def draw_values(datasets: dict[str, dict], tests: dict[str, list], evaluation=None) -> dict[str, list]:
    """Per dataset whose kind knows its class densities
    (:func:`snapens.data.kinds.limit_log_probabilities`), every metric and fold
    column of the Bayes-optimal classifier on each draw's test rows. ``tests``
    maps a dataset to its draws, ``[(spec, X_test, y_test), ...]``: one for a
    fixed dataset, one per seed for a redrawn one."""
    out = {}
    for name in datasets:
        values = []
        for spec, X, y in tests[name]:
            log_probs = limit_log_probabilities(spec, X)
            if log_probs is not None:
                values.append(evaluate(y, evaluation=evaluation, log_probs=log_probs))
        if values:
            out[name] = values
    return out


def limits_by_seed(datasets: dict[str, dict], values: dict[str, list], seeds: dict[str, list]):
    """:class:`Limit` of every dataset of ``values`` (:func:`draw_values`):
    per draw the mean of each metric's two folds; ``seeds[name]`` the seed of
    each draw of a redrawn dataset."""
    out = {}
    for name, draws in values.items():
        means = [{m: (v[f"{m}_{FOLDS[0]}"] + v[f"{m}_{FOLDS[1]}"]) / 2 for m in METRICS} for v in draws]
        redrawn = len(draws) > 1 or bool(datasets[name].get("redraw"))
        out[name] = Limit(pd.DataFrame(means), list(seeds[name]) if redrawn else None)
    return out


def limits_table(
    datasets: dict[str, dict], tests: dict[str, list], evaluation=None, values: dict[str, list] | None = None
) -> pd.DataFrame:
    """``limits.csv``: per dataset whose kind knows its class densities, every
    metric and fold column of the Bayes-optimal classifier on the study's test
    rows (:func:`draw_values`, or the ``values`` it already gave): the limit
    no method can beat in expectation; for a redrawn dataset each draw's own
    limit, then their mean, the scale of the study's means over repeats
    (``draws`` counts them)."""
    values = draw_values(datasets, tests, evaluation) if values is None else values
    rows = [
        {
            "dataset": name,
            "model": LIMIT_MODEL,
            "test_rows": len(tests[name][0][2]),
            "draws": len(draws),
            **pd.DataFrame(draws).mean().to_dict(),
        }
        for name, draws in values.items()
    ]
    return pd.DataFrame(rows, columns=["dataset", "model", "test_rows", "draws", *evaluated_columns()])
