"""Choosing "the best" without measuring on the seeds or rows it was chosen
on: the odd seeds choose, the even seeds are measured, and the test rows are
cross-fitted.

The seeds fall into two halves by parity (:func:`seed_halves`); the test rows
into two folds by position (:data:`snapens.evaluate.metrics.FOLDS`: even and
odd). A choice among candidates (e.g. the single model's learning rate) is
made on the odd seeds and one fold of the rows, by the candidates' mean over
those seeds of a statistic that reads that fold's rows only
(:func:`snapens.evaluate.metrics.selection_column`: the metric on the fold,
its temperature fitted on the fold itself for a calibrated metric), and
measured on the even seeds and the other fold; both ways round, so that per
even seed ``s`` the reported value uses every test row:

    b_s = (m_odd(chosen on the odd seeds' even rows)_s + m_even(chosen on the odd seeds' odd rows)_s) / 2

So a choice carries over neither the luck of the seeds it read (a seed's
models share their initial weights and batch order on every row) nor that of
its rows, and the reported seeds' differences are independent of each other
given the choice, as the paired test assumes. Both sides of a comparison are
measured on the same seeds and rows.

Why one way: letting each half choose for the other (and so reporting every
seed) makes the two halves' differences correlated (the half whose seeds
made a candidate look best is measured with that candidate whenever the other
half picked it too): with five equally good candidates at 20 seeds it gave
false "worse" verdicts 3.8% of the time against a nominal 2.5%
(``docs/inference.md``). The cost is power: a comparison with a chosen side
has the even seeds only, half the repeats.

Candidates are tried in the order given, and a tie goes to the first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from snapens.evaluate.metrics import FOLDS, grid_units, metric, selection_column

OTHER = {"even": "odd", "odd": "even"}
PROTOCOL = (
    "cross-fit: chosen on the odd seeds and one fold of the test rows, measured on the even seeds "
    "and the other fold; mean of the two folds"
)


def choose(candidates: dict[str, pd.DataFrame], name: str, fold: str, model: str = "ensemble") -> str:
    """The candidate whose ``model`` is best in metric ``name`` on ``fold``, by
    the mean over repeats of its selection column. ``candidates`` maps a name
    to its runs (one row per seed, columns ``{model}_{column}``)."""
    m = metric(name)
    column = f"{model}_{selection_column(name, fold)}"
    scores = {c: float(np.mean(g[column].to_numpy(dtype=np.float64))) for c, g in candidates.items()}
    sign = -1 if m.higher_is_better else 1
    return min(scores, key=lambda c: sign * scores[c])  # min() keeps the first of equals


def seed_halves(seeds) -> dict[str, list]:
    """The seeds that choose (``odd``) and those measured (``even``), in the order given."""
    seeds = list(seeds)
    return {"odd": [s for s in seeds if int(s) % 2], "even": [s for s in seeds if not int(s) % 2]}


def measured_seeds(seeds) -> list:
    """The seeds a comparison with a chosen side reports: the even ones."""
    return seed_halves(seeds)["even"]


def choices(candidates: dict[str, pd.DataFrame], name: str, seeds, model: str = "ensemble") -> dict[str, str]:
    """``fold -> candidate``: the candidate measured on the even seeds'
    ``fold``, chosen (:func:`choose`) on the odd seeds' other fold."""
    reading = {c: g.loc[seed_halves(seeds)["odd"]] for c, g in candidates.items()}
    return {fold: choose(reading, name, OTHER[fold], model) for fold in FOLDS}


@dataclass(frozen=True)
class CrossFit:
    """The outcome of a cross-fitted choice for one metric: the candidate
    measured on each fold (:func:`choices`), the seeds measured and, per
    measured seed, the chosen candidates' values (``measured[fold]``: the
    value on ``fold`` of the candidate chosen for that fold)."""

    chosen: dict[str, str]  # fold measured on -> candidate
    measured: dict[str, np.ndarray]  # fold measured on -> per-seed values
    seeds: tuple = ()  # the seeds measured, in order

    def value(self) -> np.ndarray:
        """Per measured seed: the mean of the two folds."""
        return (self.measured["even"] + self.measured["odd"]) / 2


def crossfit(candidates: dict[str, pd.DataFrame], name: str, seeds, model: str = "ensemble") -> CrossFit:
    """Choose per fold on the odd ``seeds`` (:func:`choices`; every candidate
    has them) and measure each choice on the even ``seeds``, in their order."""
    seeds = list(seeds)
    chosen = choices(candidates, name, seeds, model)
    reported = measured_seeds(seeds)
    measured = {
        fold: candidates[c].loc[reported, f"{model}_{name}_{fold}"].to_numpy(dtype=np.float64)
        for fold, c in chosen.items()
    }
    return CrossFit(chosen, measured, tuple(reported))


def fold_sizes(rows: int) -> dict[str, int]:
    """Test rows in each fold of ``rows``."""
    return {"even": (rows + 1) // 2, "odd": rows // 2}


def fold_units(name: str, a: dict[str, np.ndarray], b: dict[str, np.ndarray], rows: int):
    """Per repeat, ``a - b`` averaged over the two folds as exact integers,
    and the scale that turns them back into the metric: ``(units, scale)``.

    ``a`` and ``b`` map a fold to per-repeat values measured on it. A count
    metric on folds of equal size gives counts of test rows (the two folds'
    count differences summed, scale ``rows``); otherwise each fold's
    difference is put on the 1e-9 grid, each value on its own
    (:func:`snapens.evaluate.metrics.grid_units`), and the two summed (scale
    ``2e9``).
    """
    m, sizes = metric(name), fold_sizes(rows)
    if m.count and sizes["even"] == sizes["odd"]:
        units = sum(m.units(a[f], sizes[f]) - m.units(b[f], sizes[f]) for f in FOLDS)
        return units, float(rows)
    units = sum(grid_units(a[f]) - grid_units(b[f]) for f in FOLDS)
    return units, 2e9


def chosen_text(chosen: dict[str, str], label=lambda c: c) -> str:
    """What a cross-fitted choice picked: one name when both folds got the
    same candidate, else ``"a | b"``: the candidate measured on the even rows,
    then the one measured on the odd rows."""
    picks = [label(chosen[fold]) for fold in FOLDS if fold in chosen]
    return picks[0] if len(set(picks)) == 1 else " | ".join(picks)
