"""The study tables of every run and of every dataset x method, built from
the per-run tables; each of ``{results}/tables/`` comes from one module:

``runs``       (``runs.csv``, :func:`run_row`) one row per dataset x method x seed:
               the final model (k = 1), the full ensemble (k = M), the mean single
               member, the weight-averaged and the validation-weighted models,
               mean diversity.
``summary``    (``summary.csv``, :func:`summary_table`) one row per dataset x
               method: mean, sd and CI of every metric of every model above.
``curves``     (``curves.csv``, :func:`curve_table`) per dataset x method x k: the
               k-th member from the end alone and the ensemble of the last k
               members, across repeats.
``learning``   (``learning_curves.csv``, :func:`learning_curve_table`) per dataset
               x method x epoch: learning rate, training loss and accuracy, mean
               over repeats.
``diversity``  (``diversity.csv``, :func:`diversity_summary`) per member pair:
               disagreement and correlation, mean over repeats.
``paired``     (``paired_tests.csv``) paired comparisons across repeats:
               :mod:`snapens.analyse.paired_table`.
``dee``        (``deep_ensemble_equivalent.csv``) the deep ensemble equivalent of
               each method's full ensemble: :mod:`snapens.analyse.dee_table`.
``sweep``      (``sweep.csv``) one row per dataset x grid point of a sweep:
               :mod:`snapens.analyse.sweep_table`.
``limits``     (``limits.csv``) the Bayes-optimal classifier: :mod:`snapens.analyse.limits`.
``markdown``, ``headline`` (``summary.md``, ``headline.rst``): :mod:`snapens.analyse.summary`
               and :mod:`snapens.analyse.headline`. ``study`` (``study.json``): the config.

Every metric column follows :data:`snapens.evaluate.metrics.METRICS`; the
names readers rely on are :mod:`snapens.analyse.contract`'s.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from snapens.analyse.contract import BOUNDARY, DIVERGED_MEMBERS, DIVERGED_RUNS, EXTRA_MODELS
from snapens.analyse.statistics import mean_ci
from snapens.evaluate.metrics import METRICS, T_MAX, T_MIN, TEMPERATURES, VOTE, fold_columns, subset_columns
from snapens.evaluate.scores import DIVERGED, NONFINITE

DIVERSITY = ("disagreement", "correlation")
EXTRA_SOURCES = {"swa": "averaged", "swa_tail": "averaged", "weighted": "weighted"}  # their per-run table


def ensemble_metrics() -> list[str]:
    """Columns of the ensemble: every registered metric and the majority vote."""
    return [*METRICS, VOTE.name]


def _extra_model(tables: dict[str, pd.DataFrame], extra: str) -> pd.DataFrame:
    """The row of model ``extra`` (:data:`snapens.analyse.contract.EXTRA_MODELS`)
    in its per-run table (:data:`EXTRA_SOURCES`); empty when the run has none."""
    source = tables.get(EXTRA_SOURCES[extra], pd.DataFrame())
    return source[source["model"] == extra] if len(source) else source


def run_row(dataset: str, method: str, seed, tables: dict[str, pd.DataFrame], test_rows: int) -> dict:
    """One run's row of ``runs.csv`` (``test_rows``: the dataset's): final model, full ensemble, mean member, weight-averaged and
    weighted models (NaN when the run has none) and mean pairwise diversity;
    then the fold columns of the final model and the full ensemble
    (:func:`snapens.evaluate.metrics.fold_columns`), which cross-fitted
    choices read.

    ``tables`` holds the run's ``members``, ``ensemble``, ``averaged``,
    ``weighted`` and ``diversity`` tables.
    """
    members, ensemble = tables["members"], tables["ensemble"]
    final, full = ensemble.iloc[0], ensemble.iloc[-1]
    row = {
        "dataset": dataset,
        "method": method,
        "seed": int(seed),
        "members": len(members),
        "test_rows": int(test_rows),
    }
    row.update({f"final_{m}": float(final[m]) for m in METRICS})
    row.update({f"ensemble_{m}": float(full[m]) for m in ensemble_metrics()})
    row.update({f"member_mean_{m}": float(members[m].mean()) for m in METRICS})
    for extra in EXTRA_MODELS:
        model = _extra_model(tables, extra)
        row.update({f"{extra}_{m}": float(model[m].iloc[0]) if len(model) else math.nan for m in METRICS})
    diversity = tables.get("diversity")
    if diversity is not None:
        pairs = diversity[diversity["i"] != diversity["j"]]
        for d in DIVERSITY:
            row[d] = float(pairs[d].mean()) if len(pairs) else math.nan
    for model, values in (("final", final), ("ensemble", full)):
        row.update({f"{model}_{c}": float(values[c]) for m in METRICS for c in fold_columns(m)})
    row.update({f"{model}_{BOUNDARY}": n for model, n in boundary_fits(tables).items()})
    row[NONFINITE] = nonfinite_rows(tables)
    row[DIVERGED_MEMBERS] = int(members[DIVERGED].sum()) if DIVERGED in members else 0
    row[DIVERGED] = int(row[DIVERGED_MEMBERS] > 0)
    return row


def nonfinite_rows(tables: dict[str, pd.DataFrame]) -> int:
    """Test rows that a run's members and weight averages predicted uniformly
    because their outputs were not finite (diverged training; column
    ``nonfinite_rows`` of ``members.csv`` and ``averaged.csv``)."""
    return int(
        sum(
            table[NONFINITE].sum()
            for name in ("members", "averaged")
            if len(table := tables.get(name, pd.DataFrame())) and NONFINITE in table
        )
    )


def _at_bound(model_row) -> int:
    """How many of a model's fitted temperatures (one per fold) are at a bound."""
    return sum(int(float(model_row[column]) in (T_MIN, T_MAX)) for column in TEMPERATURES)


def boundary_fits(tables: dict[str, pd.DataFrame]) -> dict[str, float]:
    """Per model of a run (``member`` for all its members together, ``final``,
    ``ensemble`` and each extra model it has): how many of its temperature
    fits (two per model, one per fold) ended at a bound of ``[0.01, 100]``,
    where the optimum lies beyond the search (NaN for a model the run lacks)."""
    members, ensemble = tables["members"], tables["ensemble"]
    out = {
        "member": float(sum(_at_bound(r) for _, r in members.iterrows())),
        "final": float(_at_bound(ensemble.iloc[0])),
        "ensemble": float(_at_bound(ensemble.iloc[-1])),
    }
    for extra in EXTRA_MODELS:
        model = _extra_model(tables, extra)
        out[extra] = float(_at_bound(model.iloc[0])) if len(model) else math.nan
    return out


def method_groups(runs: pd.DataFrame):
    """``(dataset, method, its runs)`` of ``runs`` (``runs.csv``) in
    first-appearance order, the runs sorted by seed."""
    for (dataset, method), method_runs in runs.groupby(["dataset", "method"], sort=False):
        yield dataset, method, method_runs.sort_values("seed")


SUMMARY_STATS = ("mean", "sd", "ci_low", "ci_high", "median")  # per model and metric in summary.csv


def _stats(row: dict, prefix: str, values, confidence: float) -> None:
    ci = mean_ci(pd.Series(values, dtype=float).dropna(), confidence)
    for stat in SUMMARY_STATS:
        row[f"{prefix}_{stat}"] = ci[stat]


def summary_table(runs: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """``summary.csv`` from ``runs`` (``runs.csv``): per dataset x method, the
    statistics of :data:`SUMMARY_STATS` of every model's metrics and of the
    diversity, at ``confidence``; the temperature fits at a bound, the rows
    predicted uniformly and the diverged runs and models, summed."""
    rows = []
    for dataset, method, method_runs in method_groups(runs):
        rows.append({"dataset": dataset, "method": method, **_summary_row(method_runs, confidence)})
    return pd.DataFrame(rows)


def _summary_row(method_runs: pd.DataFrame, confidence: float) -> dict:
    """The columns of ``summary.csv`` after dataset and method, from one method's runs."""
    row = {"repeats": len(method_runs), "members": int(method_runs["members"].iloc[0])}
    for m in METRICS:
        _stats(row, f"final_{m}", method_runs[f"final_{m}"], confidence)
    for m in ensemble_metrics():
        _stats(row, f"ensemble_{m}", method_runs[f"ensemble_{m}"], confidence)
    for extra in EXTRA_MODELS:
        for m in METRICS:
            _stats(row, f"{extra}_{m}", method_runs.get(f"{extra}_{m}", pd.Series(dtype=float)), confidence)
    for d in DIVERSITY:
        _stats(row, d, method_runs.get(d, pd.Series(dtype=float)), confidence)
    for model in ("member", "final", "ensemble", *EXTRA_MODELS):
        fits = method_runs.get(f"{model}_{BOUNDARY}", pd.Series(dtype=float))
        row[f"{model}_{BOUNDARY}"] = int(fits.sum()) if fits.notna().any() else math.nan
    zeros = pd.Series(0, index=method_runs.index)
    row[NONFINITE] = int(method_runs.get(NONFINITE, zeros).sum())
    row[DIVERGED_RUNS] = int(method_runs.get(DIVERGED, zeros).sum())
    row[DIVERGED_MEMBERS] = int(method_runs.get(DIVERGED_MEMBERS, zeros).sum())
    return row


def has_model(method_runs: pd.DataFrame, model: str) -> bool:
    """Every run of ``method_runs`` has metrics of ``model``."""
    column = f"{model}_{next(iter(METRICS))}"
    return column in method_runs and bool(method_runs[column].notna().all())


def long_table(records) -> pd.DataFrame:
    """Per run and k: the k-th member from the end alone (``single_*``), the
    ensemble of the last k members (``ensemble_*``), every metric, and the
    means over the ensembles of any k members (``subset_nll`` and its fold
    columns, :func:`snapens.evaluate.metrics.subset_columns`).

    ``records`` yields ``(dataset, method, seed, members_df, ensemble_df)``.
    """
    parts = []
    for dataset, method, seed, members, ensemble in records:
        k = ensemble["k"].to_numpy(dtype=np.int64)
        single = members.iloc[len(members) - k].reset_index(drop=True)
        part = {"dataset": dataset, "method": method, "seed": int(seed), "k": k}
        part.update({f"single_{m}": single[m].to_numpy() for m in METRICS})
        part.update({f"ensemble_{m}": ensemble[m].to_numpy() for m in METRICS})
        part.update({c: ensemble[c].to_numpy(dtype=np.float64) for c in subset_columns()})
        parts.append(pd.DataFrame(part))
    return pd.concat(parts, ignore_index=True)


def curve_table(long: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Across repeats, per dataset x method x k: mean and CI of every column of
    :func:`long_table` (the tutorial's plot, for every metric)."""
    columns = [f"{kind}_{m}" for kind in ("single", "ensemble") for m in METRICS]
    rows = []
    for (dataset, method, k), at_k in long.groupby(["dataset", "method", "k"], sort=False):
        row = {"dataset": dataset, "method": method, "k": int(k)}
        at_k = at_k.sort_values("seed")
        for col in columns:
            ci = mean_ci(at_k[col], confidence)
            for stat in ("mean", "ci_low", "ci_high"):
                row[f"{col}_{stat}"] = ci[stat]
        rows.append(row)
    return pd.DataFrame(rows)


def learning_curve_table(records) -> pd.DataFrame:
    """Per dataset x method x epoch: learning rate, training loss and accuracy,
    averaged over repeats (and over the members of independent runs).

    ``records`` yields ``(dataset, method, seed, training_df)``.
    """
    long = pd.concat(
        [training.assign(dataset=ds, method=m) for ds, m, _, training in records], ignore_index=True
    )
    out = long.groupby(["dataset", "method", "epoch"], sort=False)[["lr", "loss", "accuracy"]].mean()
    return out.reset_index()


def diversity_summary(records) -> pd.DataFrame:
    """Per dataset x method x member pair: disagreement and correlation averaged over repeats.

    ``records`` yields ``(dataset, method, seed, diversity_df)``.
    """
    long = pd.concat(
        [pairs.assign(dataset=ds, method=m, seed=seed) for ds, m, seed, pairs in records], ignore_index=True
    )
    out = long.groupby(["dataset", "method", "i", "j"], sort=False)[list(DIVERSITY)].mean()
    return out.rename(columns={d: f"{d}_mean" for d in DIVERSITY}).reset_index()
