"""``ensemble.csv``'s table of one run: the last-k ensembles and, for a run
that can be the DEE's reference, its subset curves
(:mod:`snapens.evaluate.reference_curves`). Apart from
:mod:`snapens.evaluate.ensembling` so that the fast curves, which fall back
on that module's direct computation, are imported one way."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from snapens.evaluate.ensembling import last_k
from snapens.evaluate.metrics import SUBSET_NLL, VOTE, evaluate, subset_columns
from snapens.evaluate.reference_curves import subset_curves as reference_curves


def last_k_table(
    log_probs: np.ndarray, y: np.ndarray, evaluation=None, subset_curves: bool = False
) -> pd.DataFrame:
    """One row per ``k = 1..M``: the ensemble of the last ``k`` members,
    combined by averaging probabilities (every metric, from
    :func:`~snapens.evaluate.ensembling.log_average`), and its majority-vote accuracy. With
    ``subset_curves`` (runs that can be the DEE's reference: independently
    trained members of the full budget) also ``subset_nll``, the mean NLL over
    ensembles of any ``k`` members (:func:`~snapens.evaluate.ensembling.subset_nll`; the deep ensemble
    equivalent's reference curve), on all test rows and per fold
    (:func:`~snapens.evaluate.ensembling.subset_nlls`), and the calibrated curve per fold
    (:func:`~snapens.evaluate.ensembling.subset_calibrated_nll`); NaN otherwise."""
    rows = []
    lp = np.asarray(log_probs, dtype=np.float64)
    curves = reference_curves(lp, y) if subset_curves and len(lp) > 1 else {}
    for k, averaged, voted in last_k(lp):
        row = {"k": k, **evaluate(y, evaluation=evaluation, log_probs=averaged)}
        row[VOTE.name] = float(np.mean(voted == y))
        if not subset_curves:
            row |= dict.fromkeys(subset_columns(), math.nan)
        elif k == len(lp):  # the one subset is the full ensemble, whose values are the row's own
            row |= {column: row[column.replace(SUBSET_NLL, "nll")] for column in subset_columns()}
        else:
            row |= curves[k]  # subset_nlls | subset_calibrated_nll, fast (reference_curves)
        rows.append(row)
    return pd.DataFrame(rows)
