"""The limit of any method where the data's class densities are known: the
Bayes-optimal classifier on the study's test rows (``limits.csv``)."""

from __future__ import annotations

import pandas as pd

from snapens.data.kinds import limit_log_probabilities
from snapens.evaluate.metrics import evaluate, evaluated_columns

LIMIT_MODEL = "bayes_optimal"


def limits_table(datasets: dict[str, dict], tests: dict[str, tuple], evaluation=None) -> pd.DataFrame:
    """``limits.csv``: per dataset whose kind knows its class densities
    (:func:`snapens.data.kinds.limit_log_probabilities`), every metric and fold
    column of the Bayes-optimal classifier on the study's test rows: the limit
    no method can beat in expectation. ``tests`` maps a dataset to its
    ``(X_test, y_test)``."""
    rows = []
    for name, spec in datasets.items():
        X, y = tests[name]
        log_probs = limit_log_probabilities(spec, X)
        if log_probs is not None:
            values = evaluate(y, evaluation=evaluation, log_probs=log_probs)
            rows.append({"dataset": name, "model": LIMIT_MODEL, "test_rows": len(y), **values})
    return pd.DataFrame(rows, columns=["dataset", "model", "test_rows", *evaluated_columns()])
