"""The equal-cost baselines of a swept method (config ``baselines``) and its
grid points' comparisons with them in ``paired_tests.csv``: against the
best single model at equal cost (every single-model rate, nothing chosen),
with the share of its distance to the data's limit that the ensemble
closes, and against the equal-cost independent ensemble of the same size
and rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from snapens.analyse.comparisons import (
    LIMIT_COLUMNS,
    PairedRows,
    divergence,
    mean_or_nan,
    paired_keys,
    unit_scale,
)
from snapens.analyse.statistics import against_best, alpha_of, ratio_intervals
from snapens.core.sweeps import label
from snapens.evaluate.metrics import METRICS, metric
from snapens.evaluate.scores import DIVERGED


@dataclass(frozen=True)
class Baselines:
    """The equal-cost baselines of a swept method ``base`` (config ``baselines``):
    its single models are its grid points with one member; ``equal_cost`` is a
    swept method of independently trained members sharing the budget, over
    the same grid; ``full_cost`` a swept method of independently trained
    members each given the full budget, over the same rates (the deep
    ensemble equivalent's reference)."""

    base: str
    equal_cost: str | None = None
    full_cost: str | None = None


def roles(baselines: list[Baselines]) -> dict[str, str]:
    """Each swept method named in ``baselines``: ``judged``, ``equal_cost`` or ``full_cost``."""
    out = {}
    for baseline in baselines:
        out[baseline.base] = "judged"
        out.update({getattr(baseline, r): r for r in ("equal_cost", "full_cost") if getattr(baseline, r)})
    return out


def singles(methods: dict[str, pd.DataFrame], points: dict[str, dict], base: str) -> dict[str, str]:
    """The one-member grid points of ``base`` present in ``methods`` (method
    name -> runs), each with its label (its other grid values, e.g.
    ``"lr_max 0.01"``), in grid order; ``points``: method name -> grid point
    (:func:`snapens.core.sweeps.grid_points`)."""
    out = {}
    for name, point in points.items():
        if point["method"] == base and point.get("members") == 1 and name in methods:
            keys = [k for k in point if k not in ("method", "members")]
            out[name] = label(keys, tuple(point[k] for k in keys))
    return out


def partner(points: dict[str, dict], base: str, point: dict, keys=None) -> str | None:
    """The name of the grid point of ``base`` whose values equal ``point``'s
    on ``keys`` (default: every key of ``base``'s grid); None if none does."""
    for name, other in points.items():
        if other["method"] != base:
            continue
        shared = keys if keys is not None else [k for k in other if k != "method"]
        if all(k in point and other[k] == point[k] for k in shared):
            return name
    return None


BEST_OF = (
    "every single-model rate, on every seed and test row: better than the best only if better than "
    "each rate, worse if worse than one of them (Bonferroni over the rates); the point estimate is "
    "against the rate with the best mean"
)


def limit_share(
    a: np.ndarray,
    single_values: dict[str, np.ndarray],
    best: str,
    limit,
    name: str,
    seeds,
    paired_rows: PairedRows,
) -> dict:
    """Of an ensemble (per seed ``a``) against the best of the single models
    (``single_values``, per seed), where the data's limit is known (``limit``:
    :class:`snapens.analyse.limits.Limit`, else None): the distance of the
    one with the best mean (``best``) to the limit in metric ``name``,
    ``|mean(L - b)|``, and the share of the best single model's distance
    that the ensemble closes (:data:`snapens.analyse.comparisons.LIMIT_COLUMNS`).
    Per candidate the share ``sum(a - b_r) / sum(L - b_r)`` and its interval
    come from :func:`snapens.analyse.statistics.ratio_intervals`, at the
    confidence and sign flips of ``paired_rows``; the share against the best
    candidate is the smallest of them (a share falls as the single model
    nears the limit), so its lower end is the smallest lower end at the
    study's level and its upper end the smallest upper end at ``level / R``,
    as for :class:`snapens.analyse.statistics.BestOf`."""
    if limit is None:
        return dict.fromkeys(LIMIT_COLUMNS, math.nan)
    at_limit = limit.of(name, seeds)
    levels = (paired_rows.confidence, 1 - alpha_of(paired_rows.confidence) / len(single_values))
    shares = {
        r: ratio_intervals(a - b, at_limit - b, levels, paired_rows.flips) for r, b in single_values.items()
    }
    return {
        "limit_distance": abs(mean_or_nan(at_limit - single_values[best])),
        "limit_share": shares[best][0],
        "limit_share_ci_low": min(intervals[0][0] for _, intervals in shares.values()),
        "limit_share_ci_high": min(intervals[1][1] for _, intervals in shares.values()),
    }


def _best_single_rows(
    out: PairedRows, dataset: str, method: str, point_runs, methods, candidates, baseline: Baselines, limit
):
    """The grid point's ensemble (``point_runs``, indexed by seed) against the
    best single model at equal cost (``candidates``: single-model method ->
    label), per metric (:func:`snapens.analyse.statistics.against_best`:
    every candidate rate, every seed and test row; nothing chosen)."""
    shared = sorted(set.intersection(*(set(methods[c].index) for c in candidates)))
    seeds = list(point_runs.index.intersection(shared))
    rows = point_runs.loc[seeds, "test_rows"].to_numpy()
    for name in METRICS:
        m = metric(name)
        a = point_runs.loc[seeds, f"ensemble_{name}"].to_numpy(dtype=np.float64)
        by_rate = {
            c: methods[c].loc[seeds, f"ensemble_{name}"].to_numpy(dtype=np.float64) for c in candidates
        }
        a_units = m.units(a, rows)
        diffs = {c: a_units - m.units(v, rows) for c, v in by_rate.items()}
        means = {c: mean_or_nan(v) for c, v in by_rate.items()}
        result = against_best(
            diffs, unit_scale(m, rows), m.higher_is_better, out.confidence, out.flips, means
        )
        best = result.pop("best")
        keys = paired_keys(
            dataset,
            name,
            "single",
            baseline.base,
            method,
            "ensemble",
            f"{baseline.base}: best single",
            "ensemble",
        )
        flags = (point_runs.loc[seeds].get(DIVERGED), methods[best].loc[seeds].get(DIVERGED))
        result |= {"mean_a": mean_or_nan(a), "mean_b": means[best]} | divergence(*flags)
        extra = {"selection": BEST_OF, "b_chosen": candidates[best]}
        extra |= limit_share(a, by_rate, best, limit, name, seeds, out)
        out.append(keys, result, True, extra)


def _equal_cost_rows(
    out: PairedRows, dataset: str, method: str, point_runs, other_runs, baseline, other: str
):
    """The grid point's ensemble against the equal-cost ensemble ``other`` of
    the same size and rate (``other_runs``), on the seeds both have, per metric."""
    seeds = point_runs.index.intersection(other_runs.index)
    for name in METRICS:
        keys = paired_keys(dataset, name, "equal", baseline.base, method, "ensemble", other, "ensemble")
        out.models(keys, point_runs.loc[seeds], other_runs.loc[seeds], point_runs.loc[seeds, "test_rows"])


def baseline_rows(
    out: PairedRows,
    dataset: str,
    methods: dict[str, pd.DataFrame],
    points: dict[str, dict],
    baseline: Baselines,
    limit=None,
) -> None:
    """Into ``out``: each grid point of ``baseline.base`` with more than one
    member, on ``dataset`` (``methods``: method name -> runs indexed by seed),
    against its best single model and its equal-cost ensemble (where the
    study has them); ``limit``: the data's :class:`snapens.analyse.limits.Limit`."""
    candidates = singles(methods, points, baseline.base)
    for method, point in points.items():
        if point["method"] != baseline.base or method not in methods or point.get("members", 1) == 1:
            continue
        point_runs = methods[method]
        if candidates:
            _best_single_rows(out, dataset, method, point_runs, methods, candidates, baseline, limit)
        other = partner(points, baseline.equal_cost, point) if baseline.equal_cost else None
        if other in methods:
            _equal_cost_rows(out, dataset, method, point_runs, methods[other], baseline, other)
