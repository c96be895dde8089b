"""The limit of any method where the data's class densities are known: the
Bayes-optimal classifier on the study's test rows (``limits.csv``)."""

from __future__ import annotations

import pandas as pd

from snapens.data.kinds import limit_log_probabilities
from snapens.evaluate.metrics import evaluate, evaluated_columns

LIMIT_MODEL = "bayes_optimal"


def limits_table(datasets: dict[str, dict], tests: dict[str, list], evaluation=None) -> pd.DataFrame:
    """``limits.csv``: per dataset whose kind knows its class densities
    (:func:`snapens.data.kinds.limit_log_probabilities`), every metric and fold
    column of the Bayes-optimal classifier on the study's test rows: the limit
    no method can beat in expectation. ``tests`` maps a dataset to its draws,
    ``[(spec, X_test, y_test), ...]``: one for a fixed dataset, one per seed
    for a redrawn one (each draw's own limit, then their mean, the scale of the
    study's means over repeats; ``draws`` counts them)."""
    rows = []
    for name in datasets:
        values = []
        for spec, X, y in tests[name]:
            log_probs = limit_log_probabilities(spec, X)
            if log_probs is not None:
                values.append(evaluate(y, evaluation=evaluation, log_probs=log_probs))
        if values:
            mean = pd.DataFrame(values).mean().to_dict()
            rows.append(
                {
                    "dataset": name,
                    "model": LIMIT_MODEL,
                    "test_rows": len(tests[name][0][2]),
                    "draws": len(values),
                    **mean,
                }
            )
    return pd.DataFrame(rows, columns=["dataset", "model", "test_rows", "draws", *evaluated_columns()])
