"""Choosing "the best" without measuring on the rows it was chosen on:
two-fold cross-fitting on the test rows.

The test rows fall into two folds by position (:data:`snapens.evaluate.metrics.FOLDS`:
even and odd). A choice among candidates (e.g. the single model's learning
rate) is made on one fold, by the candidates' mean over repeats of a
statistic that reads that fold's rows only
(:func:`snapens.evaluate.metrics.selection_column`: the metric on the fold,
its temperature fitted on the fold itself for a calibrated metric). The
chosen candidate is then measured on the other fold. Both ways round, and
the reported value of a repeat is the mean of its two measured folds:

    b_s = (m_odd(chosen on even)_s + m_even(chosen on odd)_s) / 2

Every quantity a cross-fitted comparison reports is a function of fold
values measured on rows the choice did not read.

Candidates are tried in the order given, and a tie goes to the first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from snapens.evaluate.metrics import FOLDS, decimals_for, metric, selection_column

OTHER = {"even": "odd", "odd": "even"}
PROTOCOL = "cross-fit: chosen on the even test rows, measured on the odd, and the other way; mean of the two"


def choose(candidates: dict[str, pd.DataFrame], name: str, fold: str, model: str = "ensemble") -> str:
    """The candidate whose ``model`` is best in metric ``name`` on ``fold``, by
    the mean over repeats of its selection column. ``candidates`` maps a name
    to its runs (one row per seed, columns ``{model}_{column}``)."""
    m = metric(name)
    column = f"{model}_{selection_column(name, fold)}"
    scores = {c: float(np.mean(g[column].to_numpy(dtype=np.float64))) for c, g in candidates.items()}
    sign = -1 if m.higher_is_better else 1
    return min(scores, key=lambda c: sign * scores[c])  # min() keeps the first of equals


@dataclass(frozen=True)
class CrossFit:
    """The outcome of a cross-fitted choice for one metric: the candidate
    chosen on each fold and, per repeat, the chosen candidates' values
    measured on the other fold (``measured[fold]``: the value on ``fold``
    of the candidate chosen on the other one)."""

    chosen: dict[str, str]  # fold the choice read -> candidate
    measured: dict[str, np.ndarray]  # fold measured on -> per-repeat values

    def value(self) -> np.ndarray:
        """Per repeat: the mean of the two measured folds."""
        return (self.measured["even"] + self.measured["odd"]) / 2


def crossfit(candidates: dict[str, pd.DataFrame], name: str, seeds, model: str = "ensemble") -> CrossFit:
    """Choose on each fold (:func:`choose`, over the ``seeds`` every candidate
    has) and measure the choice on the other fold, repeat by repeat."""
    common = {c: g.loc[list(seeds)] for c, g in candidates.items()}
    chosen = {fold: choose(common, name, fold, model) for fold in FOLDS}
    measured = {
        OTHER[fold]: common[c][f"{model}_{name}_{OTHER[fold]}"].to_numpy(dtype=np.float64)
        for fold, c in chosen.items()
    }
    return CrossFit(chosen, measured)


def fold_sizes(rows: int) -> dict[str, int]:
    """Test rows in each fold of ``rows``."""
    return {"even": (rows + 1) // 2, "odd": rows // 2}


def fold_units(name: str, a: dict[str, np.ndarray], b: dict[str, np.ndarray], rows: int):
    """Per repeat, ``a - b`` averaged over the two folds as exact integers,
    and the scale that turns them back into the metric: ``(units, scale)``.

    ``a`` and ``b`` map a fold to per-repeat values measured on it. A count
    metric on folds of equal size gives counts of test rows (the two folds'
    count differences summed, scale ``rows``); otherwise each fold's
    difference is put on the 1e-9 grid (coarser for values too large for it,
    :func:`snapens.evaluate.metrics.decimals_for`) and the two summed (scale
    ``2e9``).
    """
    m, sizes = metric(name), fold_sizes(rows)
    if m.count and sizes["even"] == sizes["odd"]:
        units = sum(m.units(a[f], sizes[f]) - m.units(b[f], sizes[f]) for f in FOLDS)
        return units, float(rows)
    grid = metric("nll")  # any continuous metric: values on the 1e-9 grid
    d = decimals_for(*a.values(), *b.values())
    units = sum(grid.units(a[f], decimals=d) - grid.units(b[f], decimals=d) for f in FOLDS)
    return units, 2 * 10.0**d


def chosen_text(fit: CrossFit, label=lambda c: c) -> str:
    """``"0.01 | 0.03"``: the candidate chosen on the even rows, then on the odd
    (one name when both folds chose it)."""
    even, odd = label(fit.chosen["even"]), label(fit.chosen["odd"])
    return even if even == odd else f"{even} | {odd}"
