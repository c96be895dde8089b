"""``deep_ensemble_equivalent.csv``: the deep ensemble equivalent of every
method's full ensemble, per dataset and metric
(:data:`snapens.analyse.contract.DEE_METRICS`), read on the curve of a
reference of independently trained members (:class:`Reference`, chosen per
dataset by :func:`dee_references`) where that curve can place it
(:func:`reference_gain`). The estimator and its bootstrap are
:mod:`snapens.analyse.dee`'s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from snapens.analyse import dee as dee_
from snapens.analyse.baselines import Baselines
from snapens.analyse.contract import DEE_METRICS
from snapens.analyse.selection import PROTOCOL, choices, chosen_text, measured_seeds
from snapens.analyse.statistics import mean_ci
from snapens.analyse.tables import method_groups
from snapens.core.sweeps import label
from snapens.evaluate.metrics import FOLDS

DEE_COLUMNS = [
    "dataset",
    "method",
    "metric",
    "reference",
    "reference_chosen",
    "reference_rate",
    "selection",
    "repeats",
    "reference_members",
    "nll_mean",
    "reference_nll_first",
    "reference_nll_last",
    "reference_gain",
    "reference_level_half_width",
    "value_half_width",
    "identified",
    "dee",
    "dee_ci_low",
    "dee_ci_high",
    "bootstrap_resamples",
    "dee_text",
]


@dataclass(frozen=True)
class Reference:
    """The reference of a dataset's deep ensemble equivalent: runs of
    independently trained members. ``candidates`` maps a label (e.g.
    ``"lr_max 0.01"``) to a method; with more than one, ``selectors`` maps
    the same labels to the single-model methods whose cross-fitted choice
    (:mod:`snapens.analyse.selection`) picks the candidate per fold."""

    name: str
    candidates: dict[str, str]
    selectors: dict[str, str] | None = None


def baseline_reference(points: dict[str, dict], baseline: Baselines) -> Reference | None:
    """The DEE reference of a swept method with ``baseline``s: the full-cost
    grid points, one per rate, chosen per fold through the single models
    (the base's one-member points) of the same rate; None without a
    full-cost baseline. ``points``: method name -> grid point."""
    if not baseline.full_cost:
        return None
    selectors, candidates = {}, {}
    for name, point in points.items():
        keys = [k for k in point if k not in ("method", "members")]
        at = label(keys, tuple(point[k] for k in keys))
        if point["method"] == baseline.base and point.get("members") == 1:
            selectors[at] = name
        elif point["method"] == baseline.full_cost:
            candidates[at] = name
    common = [at for at in selectors if at in candidates]
    return Reference(
        baseline.full_cost, {at: candidates[at] for at in common}, {at: selectors[at] for at in common}
    )


def dee_references(
    references: dict[str, str], points: dict[str, dict], baselines: list[Baselines], datasets: list[str]
) -> dict[str, Reference]:
    """The DEE's reference per dataset: the full-cost baseline of the first
    swept method whose ``baselines`` name one (every dataset, its rate chosen
    through the single models), else the planner's ``references`` (dataset ->
    method, :func:`snapens.core.settings.reference_method`), the runs that
    carry the subset curves either way."""
    for baseline in baselines:
        ref = baseline_reference(points, baseline)
        if ref is not None and ref.candidates:
            return dict.fromkeys(datasets, ref)
    return {d: Reference(m, {"": m}) for d, m in references.items()}


def chooses(ref: Reference) -> bool:
    """Whether a reference has a choice to make: more than one candidate."""
    return bool(ref.selectors) and len(ref.candidates) > 1


def _reference_curves(long, runs_by_method, ref: Reference, metric_name: str, seeds):
    """Per fold, measured seed x k: the reference curve of each seed measured
    on the fold; the seeds measured; and the choice per fold. With a choice
    (:func:`chooses`) the candidate is chosen on the odd seeds' other fold
    (:func:`snapens.analyse.selection.choices`) and the even seeds are
    measured; without one, every seed."""
    prefix = DEE_METRICS[metric_name]
    seeds = list(seeds)
    if chooses(ref):
        selectors = {lab: runs_by_method[m].loc[seeds] for lab, m in ref.selectors.items()}
        chosen = choices(selectors, metric_name, seeds)
        seeds = measured_seeds(seeds)
    else:
        chosen = dict.fromkeys(FOLDS, next(iter(ref.candidates)))
    curves = {}
    for fold, lab in chosen.items():
        rows = long[long.method == ref.candidates[lab]]
        table = rows.pivot(index="seed", columns="k", values=f"{prefix}_{fold}")
        curves[fold] = table.loc[seeds].to_numpy(dtype=np.float64)
    return curves, seeds, chosen


def reference_gain(curves: np.ndarray, values: np.ndarray, confidence: float) -> dict:
    """Whether the reference curve can place a value: its gain from one model
    to all ``M``, ``c(1) - c(M)`` (``curves``: per repeat, ``c_s(k)``), against
    the uncertainty of placing the value on it, the larger half-width of the
    Student-t intervals over repeats of the curve's ends ``c(1)`` and ``c(M)``
    (its level) and of the value's mean (``values``, per repeat). Returns the
    ``gain``, the half-widths (``level``, ``value``) and ``identified``: when
    the gain exceeds them. On a curve whose whole rise is within that noise
    a value near it reads "> M" or "< 1" on noise."""
    if len(curves) < 2:
        return {"gain": math.nan, "level": math.nan, "value": math.nan, "identified": False}
    first, last, value = (mean_ci(x, confidence) for x in (curves[:, 0], curves[:, -1], values))
    level = max((c["ci_high"] - c["ci_low"]) / 2 for c in (first, last))
    spread = (value["ci_high"] - value["ci_low"]) / 2
    gain = dee_.mean(curves[:, 0]) - dee_.mean(curves[:, -1])
    return {"gain": gain, "level": level, "value": spread, "identified": bool(gain > max(level, spread))}


@dataclass(frozen=True)
class _Measured:
    """One method's full ensemble against the reference on one metric:
    ``curves`` (repeat x k) and ``values`` (per repeat) on the seeds
    measured, each the mean of its two folds; the reference's choice per
    fold; the mean curve and the DEE of the mean value on it."""

    curves: np.ndarray
    values: np.ndarray
    chosen: dict
    curve: np.ndarray
    point: float


def _measure(part, runs_by_method, ref: Reference, name: str, method_runs, seeds) -> _Measured:
    """The reference curves and the method's values (``method_runs``) on the
    ``seeds`` the method and the reference share (``part``: the dataset's
    rows of the long table), with the DEE of their means."""
    if not len(seeds):
        members = int(runs_by_method[next(iter(ref.candidates.values()))]["members"].iloc[0])
        nothing = np.full(members, math.nan)
        return _Measured(np.full((0, members), math.nan), np.empty(0), {}, nothing, math.nan)
    folds, measured, chosen = _reference_curves(part, runs_by_method, ref, name, seeds)
    by_seed = method_runs.set_index("seed").loc[measured]
    values = ((by_seed[f"ensemble_{name}_odd"] + by_seed[f"ensemble_{name}_even"]) / 2).to_numpy(
        dtype=np.float64
    )
    curves = (folds["odd"] + folds["even"]) / 2
    curve = dee_.curve_of(curves)
    return _Measured(curves, values, chosen, curve, dee_.equivalent(curve, dee_.mean(values)))


def _shared_seeds(method_runs: pd.DataFrame, runs_by_method: dict, ref: Reference) -> pd.Index:
    """The seeds of ``method_runs`` that every run of ``ref`` (its candidates
    and selectors) has too."""
    seeds = method_runs.set_index("seed").index
    for m in [*ref.candidates.values(), *(ref.selectors or {}).values()]:
        seeds = seeds.intersection(runs_by_method[m].index)
    return seeds


def dee_table(
    runs: pd.DataFrame,
    long: pd.DataFrame,
    references: dict[str, Reference],
    confidence: float = 0.95,
    resamples: int = 2000,
    rates: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Deep ensemble equivalent of every method's full ensemble (``runs``:
    ``runs.csv``; ``long``: :func:`snapens.analyse.tables.long_table`), per
    dataset and metric (:data:`snapens.analyse.contract.DEE_METRICS`:
    calibrated NLL, then raw NLL), against the dataset's reference in
    ``references`` (:func:`dee_references`). ``reference_rate`` is the peak
    rate (``rates``, per method) of a reference with one candidate; a chosen
    one's rate is in ``reference_chosen``.

    Per repeat, both the reference curve (its ensembles of any k of its
    members) and the method's value are measured on each fold of the test
    rows and averaged over the two (when the reference offers a choice, it
    is chosen on the odd seeds' other fold and the even seeds are measured);
    the DEE is that of the means over repeats (:mod:`snapens.analyse.dee`),
    with its percentile bootstrap interval (``resamples``, at ``confidence``)
    over the seeds the method and the reference share, ``+inf`` for "> M" and
    ``-inf`` for "< 1". It is reported only where the reference's gain from
    one model to ``M`` exceeds the uncertainty of placing the value on the
    curve (:func:`reference_gain`, ``identified``), else NaN, with the gain
    and that uncertainty in ``dee_text``.
    """
    rows = []
    indexed = {key: r.set_index("seed") for key, r in runs.groupby(["dataset", "method"], sort=False)}
    for dataset, method, method_runs in method_groups(runs):
        ref = references.get(dataset)
        if ref is None:
            continue
        runs_by_method = {m: r for (d, m), r in indexed.items() if d == dataset}
        seeds = _shared_seeds(method_runs, runs_by_method, ref)
        part = long[long.dataset == dataset]
        for name in DEE_METRICS:
            measured = _measure(part, runs_by_method, ref, name, method_runs, seeds)
            gain = reference_gain(measured.curves, measured.values, confidence)
            row = _dee_row(ref, measured, gain, confidence, resamples, rates)
            rows.append({"dataset": dataset, "method": method, "metric": name, **row})
    return pd.DataFrame(rows, columns=DEE_COLUMNS)


def _dee_row(ref: Reference, measured: _Measured, gain: dict, confidence, resamples, rates) -> dict:
    """The columns of a ``deep_ensemble_equivalent.csv`` row after its keys."""
    values, members, found = measured.values, measured.curves.shape[1], gain["identified"]
    point = low = high = math.nan
    if found:
        point = measured.point
        if len(values) > 1:
            low, high = dee_.bootstrap(measured.curves, values, resamples, confidence)
    only = next(iter(ref.candidates.values()))
    return {
        "reference": ref.name,
        "reference_chosen": chosen_text(measured.chosen) if measured.chosen else "",
        "reference_rate": (rates or {}).get(only, math.nan) if len(ref.candidates) == 1 else math.nan,
        "selection": PROTOCOL if chooses(ref) else "",
        "repeats": len(values),
        "reference_members": members,
        "nll_mean": dee_.mean(values) if len(values) else math.nan,
        "reference_nll_first": measured.curve[0],
        "reference_nll_last": measured.curve[-1],
        "reference_gain": gain["gain"],
        "reference_level_half_width": gain["level"],
        "value_half_width": gain["value"],
        "identified": "yes" if found else "no",
        "dee": point,
        "dee_ci_low": low,
        "dee_ci_high": high,
        "bootstrap_resamples": resamples,
        "dee_text": dee_.text(point, low, high, members) if found else dee_.unidentified_text(gain, members),
    }
