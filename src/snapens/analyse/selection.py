"""Choosing "the best" without measuring on the seeds or rows it was chosen
on: cross-fitting over halves of the seeds and halves of the test rows.

The test rows fall into two folds by position (:data:`snapens.evaluate.metrics.FOLDS`:
even and odd), and the seeds into two halves by parity (:data:`HALVES`:
odd and even seeds). A choice among candidates (e.g. the single model's
learning rate) is made on one half of the seeds and one fold of the rows, by
the candidates' mean over those seeds of a statistic that reads that fold's
rows only (:func:`snapens.evaluate.metrics.selection_column`: the metric on
the fold, its temperature fitted on the fold itself for a calibrated metric).
The chosen candidate is then measured on the other half's seeds and the other
fold's rows. Per seed ``s`` of half ``H``, the reported value is the mean of
its two folds, each measured with the choice made on the other half ``H'``
and the other fold:

    b_s = (m_odd(chosen on H', even rows)_s + m_even(chosen on H', odd rows)_s) / 2

So a choice carries over neither the luck of the seeds it read (a seed's
models share its initial weights and batch order on every row) nor that of
its rows. Both sides of a paired comparison are measured on the same seed
and rows. The cost is a choice made from half the seeds: noisier, so the
chosen candidate can be worse than the best one, which favours the other side
of a comparison (``docs/inference.md`` measures both error rates). With one
seed, the one half chooses for itself.

Candidates are tried in the order given, and a tie goes to the first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from snapens.evaluate.metrics import FOLDS, grid_units, metric, selection_column

OTHER = {"even": "odd", "odd": "even"}
HALVES = ("odd", "even")  # the seeds by parity: odd seeds first
PROTOCOL = (
    "cross-fit: chosen on one half of the seeds (by parity) and one fold of the test rows, "
    "measured on the other half's seeds and the other fold; mean of the two folds"
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
    """The seeds of each half (:data:`HALVES`), in the order given."""
    seeds = list(seeds)
    return {"odd": [s for s in seeds if int(s) % 2], "even": [s for s in seeds if not int(s) % 2]}


def choices(
    candidates: dict[str, pd.DataFrame], name: str, seeds, model: str = "ensemble"
) -> dict[tuple[str, str], str]:
    """``(half, fold) -> candidate``: the candidate measured on the seeds of
    ``half`` and the rows of ``fold``, chosen (:func:`choose`) on the other
    half's seeds and the other fold's rows (on ``half`` itself when the other
    half has no seed)."""
    halves = seed_halves(seeds)
    out = {}
    for half in HALVES:
        if not halves[half]:
            continue
        other = halves[{"odd": "even", "even": "odd"}[half]] or halves[half]
        reading = {c: g.loc[other] for c, g in candidates.items()}
        for fold in FOLDS:
            out[(half, fold)] = choose(reading, name, OTHER[fold], model)
    return out


@dataclass(frozen=True)
class CrossFit:
    """The outcome of a cross-fitted choice for one metric: the candidate
    measured on each seed half and row fold (:func:`choices`) and, per repeat,
    the chosen candidates' values (``measured[fold]``: the value on ``fold``
    of the candidate chosen for the repeat's half and that fold)."""

    chosen: dict[tuple[str, str], str]  # (half, fold measured on) -> candidate
    measured: dict[str, np.ndarray]  # fold measured on -> per-repeat values

    def value(self) -> np.ndarray:
        """Per repeat: the mean of the two measured folds."""
        return (self.measured["even"] + self.measured["odd"]) / 2


def crossfit(candidates: dict[str, pd.DataFrame], name: str, seeds, model: str = "ensemble") -> CrossFit:
    """Choose per seed half and row fold (:func:`choices`, over the ``seeds``
    every candidate has) and measure each choice on its half's seeds and its
    fold's rows, repeat by repeat in the order of ``seeds``."""
    seeds = list(seeds)
    common = {c: g.loc[seeds] for c, g in candidates.items()}
    chosen = choices(common, name, seeds, model)
    half_of = {s: half for half, own in seed_halves(seeds).items() for s in own}
    measured = {
        fold: np.array(
            [float(common[chosen[(half_of[s], fold)]].at[s, f"{model}_{name}_{fold}"]) for s in seeds],
            dtype=np.float64,
        )
        for fold in FOLDS
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


def chosen_text(chosen: dict[tuple[str, str], str], label=lambda c: c) -> str:
    """What a cross-fitted choice picked: one name when every seed half and
    fold got the same candidate, else the four picks separated by ``|``, for
    the odd seeds on the even rows, the odd seeds on the odd rows, the even
    seeds on the even rows and the even seeds on the odd rows."""
    picks = [label(chosen[key]) for key in ((h, f) for h in HALVES for f in FOLDS) if key in chosen]
    return picks[0] if len(set(picks)) == 1 else " | ".join(picks)
