"""``sweep.csv``: one row per dataset x grid point of a sweep, gathered from
the summary, paired-test and DEE tables, in the columns of
:mod:`snapens.analyse.contract` (which its readers import instead of this
module).
"""

from __future__ import annotations

import math

import pandas as pd

from snapens.analyse.baselines import Baselines, roles
from snapens.analyse.comparisons import LIMIT_COLUMNS
from snapens.analyse.contract import (
    BOUNDARY,
    COMPARISON_STATS,
    COMPARISONS,
    DEE_METRICS,
    DIVERGED_MEMBERS,
    DIVERGED_RUNS,
    PREFIXES,
    SWEEP_KEYS,
    column,
)
from snapens.evaluate.metrics import METRICS
from snapens.evaluate.scores import NONFINITE
from snapens.train.schedules import ANNEALED


def sweep_table(
    summary: pd.DataFrame,
    paired_df: pd.DataFrame,
    dee: pd.DataFrame,
    points: dict[str, dict],
    baselines: list[Baselines] = (),
    last_rates: dict[str, dict[str, float]] | None = None,
) -> pd.DataFrame:
    """``sweep.csv``: one row per dataset x grid point of a sweep (``points``:
    method name -> ``{"method": base, **grid values}``, from
    :func:`snapens.core.sweeps.grid_points`), gathered from the other tables
    (``summary.csv``, ``paired_tests.csv``, ``deep_ensemble_equivalent.csv``).

    Per metric: final model and full ensemble (mean and CI); then, per
    comparison of :data:`snapens.analyse.contract.COMPARISONS` the point has,
    ensemble minus the baseline (:func:`snapens.analyse.contract.column`:
    mean, CI, p, Holm-adjusted p, simultaneous CI, verdict, effect sizes,
    W/T/L, the baseline's mean and what was chosen); then the DEE, calibrated
    (``dee``) and raw (``dee_nll``). ``swept`` names the grid keys of the
    row's sweep, in the config's order; ``role`` is the method's part in
    ``baselines``; ``last_lr_fraction`` the rate at the last snapshot over
    the peak (from ``last_rates``, dataset -> method -> fraction) and
    ``annealed`` whether it is at most :data:`snapens.train.schedules.ANNEALED`;
    ``final_boundary_fits`` and ``ensemble_boundary_fits`` the temperature
    fits at a bound.
    """
    role = roles(baselines)
    judged_bases = {baseline.base for baseline in baselines}
    rows = []
    for _, point_summary in summary[summary.method.isin(list(points))].iterrows():
        dataset, method = point_summary.dataset, point_summary.method
        judged = points[method]["method"] in judged_bases
        point_rows = paired_df[(paired_df.dataset == dataset) & (paired_df.a_method == method)]
        fraction = (last_rates or {}).get(dataset, {}).get(method, math.nan)
        row = _point_columns(point_summary, points[method], role, fraction)
        row.update(_divergence_columns(point_rows, judged))
        for name in METRICS:
            row.update(_metric_columns(point_summary, point_rows, name, judged))
        row.update(_dee_columns(dee[(dee.dataset == dataset) & (dee.method == method)]))
        rows.append(row)
    return pd.DataFrame(rows) if rows else pd.DataFrame(columns=SWEEP_KEYS)


def _point_columns(point_summary: pd.Series, point: dict, role: dict[str, str], fraction: float) -> dict:
    """The grid point: its keys and grid values, repeats and members, the
    last snapshot's rate (``fraction`` of the peak), the temperature fits at
    a bound and the runs that diverged."""
    axes = [k for k in point if k != "method"]
    row = {
        "dataset": point_summary.dataset,
        "method": point_summary.method,
        "base": point["method"],
        "role": role.get(point["method"], ""),
        "swept": " ".join(axes),
        **{k: point[k] for k in axes},
        "repeats": int(point_summary.repeats),
        "members": int(point_summary.members),
        "last_lr_fraction": fraction,
        "annealed": "" if math.isnan(fraction) else ("yes" if fraction <= ANNEALED else "no"),
    }
    for model in ("final", "ensemble"):
        row[f"{model}_{BOUNDARY}"] = point_summary.get(f"{model}_{BOUNDARY}", math.nan)
    row[NONFINITE] = point_summary.get(NONFINITE, 0)
    row[DIVERGED_RUNS] = point_summary.get(DIVERGED_RUNS, 0)
    row[DIVERGED_MEMBERS] = point_summary.get(DIVERGED_MEMBERS, 0)
    return row


def _divergence_columns(point_rows: pd.DataFrame, judged: bool) -> dict:
    """Of a judged point's baselines: their runs that diverged and the
    Holm-adjusted McNemar test, the same on every metric's row."""
    row = {}
    for comparison in ("single", "equal") if judged else ():
        found = point_rows[(point_rows.metric == next(iter(METRICS))) & (point_rows.comparison == comparison)]
        for stat, source in (("diverged_baseline", "diverged_b"), ("diverged_p_holm", "diverged_p_holm")):
            row[f"{PREFIXES[comparison]}_{stat}"] = found[source].iloc[0] if len(found) else math.nan
    return row


def _metric_columns(point_summary: pd.Series, point_rows: pd.DataFrame, name: str, judged: bool) -> dict:
    """Metric ``name``: the final model's and the ensemble's statistics, then
    each comparison's (:data:`snapens.analyse.contract.COMPARISON_STATS`,
    empty where a compared point has none); against the best single model
    also the share of the distance to the limit closed."""
    row = {}
    for model in ("final", "ensemble"):
        for stat in ("mean", "ci_low", "ci_high", "median"):
            row[f"{model}_{name}_{stat}"] = point_summary[f"{model}_{name}_{stat}"]
    for comparison in COMPARISONS:
        found = point_rows[(point_rows.metric == name) & (point_rows.comparison == comparison)]
        if comparison == "final":
            found = found[(found.b_method == point_summary.method) & (found.b_model == "final")]
        for stat, source in COMPARISON_STATS.items():
            key = column(comparison, name, stat)
            if len(found):
                value = found[source].iloc[0]
                row[key] = int(value) if stat in ("wins", "ties", "losses") else value
            elif comparison == "final" or judged:
                row[key] = "" if stat in ("verdict", "chosen") else math.nan
        if comparison == "single" and judged:
            for stat in LIMIT_COLUMNS:
                row[column(comparison, name, stat)] = found[stat].iloc[0] if len(found) else math.nan
    return row


def _dee_columns(point_dee: pd.DataFrame) -> dict:
    """The point's deep ensemble equivalent per metric of
    :data:`snapens.analyse.contract.DEE_METRICS` (``point_dee``: its rows of
    ``deep_ensemble_equivalent.csv``): ``dee...`` for the primary metric,
    ``dee_{metric}...`` for the others; NaN or "n/a" without one."""
    row = {}
    for name in DEE_METRICS:
        found = point_dee[point_dee.metric == name]
        prefix = "dee" if name == next(iter(DEE_METRICS)) else f"dee_{name}"
        for col in ("dee", "dee_ci_low", "dee_ci_high", "dee_text", "reference_chosen"):
            if len(found):
                value = found[col].iloc[0]
            else:
                value = math.nan if col in ("dee", "dee_ci_low", "dee_ci_high") else "n/a"
            row[col.replace("dee", prefix, 1) if col.startswith("dee") else f"{prefix}_{col}"] = value
    return row
