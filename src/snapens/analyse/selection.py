"""Choosing "the best" without measuring on the seeds or rows it was chosen
on: the odd seeds choose, the even seeds are measured, and the test rows are
cross-fitted. The deep ensemble equivalent's reference rate is chosen so
(:mod:`snapens.analyse.dee_table`); comparisons against the best single model
choose nothing (:func:`snapens.analyse.statistics.against_best`).

The seeds fall into two halves by parity (:func:`seed_halves`); the test rows
into two folds by position (:data:`snapens.evaluate.metrics.FOLDS`: even and
odd). A choice among candidates is made on the odd seeds and one fold of the
rows, by the candidates' mean over those seeds of a statistic that reads that
fold's rows only (:func:`snapens.evaluate.metrics.selection_column`: the
metric on the fold, its temperature fitted on the fold itself for a
calibrated metric), and measured on the even seeds and the other fold; both
ways round in the rows (:func:`choices`). So a choice carries over neither
the luck of the seeds it read (a seed's models share their initial weights
and batch order on every row) nor that of its rows.

Why one way: letting each half of the seeds choose for the other, to measure
every seed, makes the two halves' values correlated (the half whose seeds
made a candidate look best is measured with that candidate whenever the
other half picked it too); ``docs/inference.md`` measures what that does to a
test. The cost is half the repeats.

Candidates are tried in the order given, and a tie goes to the first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from snapens.evaluate.metrics import FOLDS, metric, selection_column

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
    scores = {c: float(np.mean(runs[column].to_numpy(dtype=np.float64))) for c, runs in candidates.items()}
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
    reading = {c: runs.loc[seed_halves(seeds)["odd"]] for c, runs in candidates.items()}
    return {fold: choose(reading, name, OTHER[fold], model) for fold in FOLDS}


def chosen_text(chosen: dict[str, str], label=lambda c: c) -> str:
    """What a cross-fitted choice picked: one name when both folds got the
    same candidate, else ``"a | b"``: the candidate measured on the even rows,
    then the one measured on the odd rows."""
    picks = [label(chosen[fold]) for fold in FOLDS if fold in chosen]
    return picks[0] if len(set(picks)) == 1 else " | ".join(picks)
