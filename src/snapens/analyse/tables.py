"""Study-level tables, built from the per-run tables of every run.

``runs``       (``runs.csv``) one row per dataset x method x seed: the final model
               (k = 1), the full ensemble (k = M), the mean single member, the
               weight-averaged and the validation-weighted models, mean diversity.
``summary``    (``summary.csv``) one row per dataset x method: mean, sd and CI of
               every metric of every model above.
``paired``     (``paired_tests.csv``) paired comparisons across repeats: ensemble
               vs final model per method (and the weight-averaged and weighted
               models), and every pair of methods on the same seeds.
``curves``     (``curves.csv``) per dataset x method x k: the k-th member from the
               end alone and the ensemble of the last k members, across repeats.
``learning``   (``learning_curves.csv``) per dataset x method x epoch: learning
               rate, training loss and accuracy, mean over repeats.
``diversity``  (``diversity.csv``) per member pair: disagreement and correlation,
               mean over repeats.
``dee``        (``deep_ensemble_equivalent.csv``) the deep ensemble equivalent of
               each method's full ensemble, with a bootstrap interval.
``sweep``      (``sweep.csv``) one row per dataset x grid point of a sweep: the
               summary, ensemble-vs-final test and DEE of the point, side by side.
``markdown``, ``headline`` (``summary.md``, ``headline.rst``): see
               :mod:`snapens.analyse.summary`. ``study`` (``study.json``): the config.

Every metric column follows :data:`snapens.evaluate.metrics.METRICS`.
"""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pandas as pd

from snapens.analyse import dee as dee_
from snapens.analyse.statistics import mean_ci, paired
from snapens.evaluate.metrics import METRICS, SUBSET_NLL, VOTE, metric

DIVERSITY = ("disagreement", "correlation")
# models besides final and ensemble, and what each is compared with
EXTRA_MODELS = {"swa": "final", "weighted": "ensemble"}


def ensemble_metrics() -> list[str]:
    """Columns of the ensemble: every registered metric and the majority vote."""
    return [*METRICS, VOTE.name]


def run_row(dataset, method, seed, tables: dict[str, pd.DataFrame], test_rows: int) -> dict:
    """One run: final model, full ensemble, mean member, weight-averaged and
    weighted models (NaN when the run has none) and mean pairwise diversity.

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
        t = tables.get("averaged" if extra == "swa" else extra, pd.DataFrame())
        t = t[t["model"] == extra] if len(t) else t
        row.update({f"{extra}_{m}": float(t[m].iloc[0]) if len(t) else math.nan for m in METRICS})
    diversity = tables.get("diversity")
    if diversity is not None:
        pairs = diversity[diversity["i"] != diversity["j"]]
        for d in DIVERSITY:
            row[d] = float(pairs[d].mean()) if len(pairs) else math.nan
    return row


def _groups(runs: pd.DataFrame):
    """(dataset, method, rows) in first-appearance order, rows sorted by seed."""
    for (dataset, method), g in runs.groupby(["dataset", "method"], sort=False):
        yield dataset, method, g.sort_values("seed")


def _stats(row: dict, prefix: str, values, confidence: float) -> None:
    ci = mean_ci(pd.Series(values, dtype=float).dropna(), confidence)
    for stat in ("mean", "sd", "ci_low", "ci_high"):
        row[f"{prefix}_{stat}"] = ci[stat]


def summary_table(runs: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    rows = []
    for dataset, method, g in _groups(runs):
        row = {"dataset": dataset, "method": method, "repeats": len(g), "members": int(g["members"].iloc[0])}
        for m in METRICS:
            _stats(row, f"final_{m}", g[f"final_{m}"], confidence)
        for m in ensemble_metrics():
            _stats(row, f"ensemble_{m}", g[f"ensemble_{m}"], confidence)
        for extra in EXTRA_MODELS:
            for m in METRICS:
                _stats(row, f"{extra}_{m}", g.get(f"{extra}_{m}", pd.Series(dtype=float)), confidence)
        for d in DIVERSITY:
            _stats(row, d, g.get(d, pd.Series(dtype=float)), confidence)
        rows.append(row)
    return pd.DataFrame(rows)


def compare(name: str, a, b, rows, confidence: float) -> dict:
    """:func:`~snapens.statistics.paired` of metric ``name``, exact in its units
    (``rows``: the test rows of each repeat, which count metrics are fractions of).

    A repeat where either value is NaN (a metric undefined for that run) is
    left out; ``n`` says how many pairs were compared.
    """
    m = metric(name)
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    rows = np.broadcast_to(np.asarray(rows), a.shape)
    keep = np.isfinite(a) & np.isfinite(b)
    a, b, rows = a[keep], b[keep], rows[keep]
    return paired(a, b, m.higher_is_better, confidence, (m.units(a, rows), m.units(b, rows)))


def has_model(g: pd.DataFrame, model: str) -> bool:
    """Every run of ``g`` has metrics of ``model``."""
    column = f"{model}_{next(iter(METRICS))}"
    return column in g and bool(g[column].notna().all())


def paired_table(runs: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    rows = []

    def add(dataset, m, a_method, a_model, b_method, b_model, ga, gb):
        res = compare(m, ga[f"{a_model}_{m}"], gb[f"{b_model}_{m}"], ga["test_rows"], confidence)
        rows.append(
            {
                "dataset": dataset,
                "metric": m,
                "a_method": a_method,
                "a_model": a_model,
                "b_method": b_method,
                "b_model": b_model,
                **res,
            }
        )

    groups = list(_groups(runs))
    for dataset, method, g in groups:
        for m in METRICS:
            add(dataset, m, method, "ensemble", method, "final", g, g)
        for extra, against in EXTRA_MODELS.items():
            if has_model(g, extra):
                for m in METRICS:
                    add(dataset, m, method, extra, method, against, g, g)
    by_dataset: dict[str, list] = {}
    for dataset, method, g in groups:
        by_dataset.setdefault(dataset, []).append((method, g.set_index("seed")))
    for dataset, entries in by_dataset.items():
        for (ma, ga), (mb, gb) in combinations(entries, 2):
            seeds = ga.index.intersection(gb.index)
            for model in ("final", "ensemble"):
                for m in METRICS:
                    add(dataset, m, ma, model, mb, model, ga.loc[seeds], gb.loc[seeds])
    return pd.DataFrame(rows)


def long_table(records) -> pd.DataFrame:
    """Per run and k: the k-th member from the end alone (``single_*``), the
    ensemble of the last k members (``ensemble_*``), every metric, and the
    mean NLL of the ensembles of any k members (``subset_nll``).

    ``records`` yields ``(dataset, method, seed, members_df, ensemble_df)``.
    """
    parts = []
    for dataset, method, seed, members, ensemble in records:
        k = ensemble["k"].to_numpy(dtype=np.int64)
        single = members.iloc[len(members) - k].reset_index(drop=True)
        part = {"dataset": dataset, "method": method, "seed": int(seed), "k": k}
        part.update({f"single_{m}": single[m].to_numpy() for m in METRICS})
        part.update({f"ensemble_{m}": ensemble[m].to_numpy() for m in METRICS})
        part[SUBSET_NLL] = ensemble[SUBSET_NLL].to_numpy()
        parts.append(pd.DataFrame(part))
    return pd.concat(parts, ignore_index=True)


def curve_table(long: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Across repeats, per dataset x method x k: mean and CI of every column of
    :func:`long_table` (the tutorial's plot, for every metric)."""
    columns = [f"{kind}_{m}" for kind in ("single", "ensemble") for m in METRICS]
    rows = []
    for (dataset, method, k), g in long.groupby(["dataset", "method", "k"], sort=False):
        row = {"dataset": dataset, "method": method, "k": int(k)}
        g = g.sort_values("seed")
        for col in columns:
            ci = mean_ci(g[col], confidence)
            for stat in ("mean", "ci_low", "ci_high"):
                row[f"{col}_{stat}"] = ci[stat]
        rows.append(row)
    return pd.DataFrame(rows)


def learning_curve_table(records) -> pd.DataFrame:
    """Per dataset x method x epoch: learning rate, training loss and accuracy,
    averaged over repeats (and over the members of independent runs).

    ``records`` yields ``(dataset, method, seed, training_df)``.
    """
    long = pd.concat([t.assign(dataset=ds, method=m) for ds, m, _, t in records], ignore_index=True)
    out = long.groupby(["dataset", "method", "epoch"], sort=False)[["lr", "loss", "accuracy"]].mean()
    return out.reset_index()


def diversity_summary(records) -> pd.DataFrame:
    """Per dataset x method x member pair: disagreement and correlation averaged over repeats.

    ``records`` yields ``(dataset, method, seed, diversity_df)``.
    """
    long = pd.concat(
        [d.assign(dataset=ds, method=m, seed=seed) for ds, m, seed, d in records], ignore_index=True
    )
    out = long.groupby(["dataset", "method", "i", "j"], sort=False)[list(DIVERSITY)].mean()
    return out.rename(columns={d: f"{d}_mean" for d in DIVERSITY}).reset_index()


DEE_COLUMNS = [
    "dataset",
    "method",
    "reference",
    "metric",
    "repeats",
    "reference_members",
    "nll_mean",
    "reference_nll_first",
    "reference_nll_last",
    "dee",
    "dee_ci_low",
    "dee_ci_high",
    "bootstrap_resamples",
    "dee_text",
]


def dee_table(
    runs: pd.DataFrame,
    long: pd.DataFrame,
    references: dict[str, str],
    confidence: float = 0.95,
    resamples: int = 2000,
) -> pd.DataFrame:
    """Deep ensemble equivalent of every method's full ensemble (NLL), per dataset.

    ``references`` maps a dataset to the method whose ensembles of k
    independently trained models (``subset_nll``: any k of its M) form the
    reference curve (see :mod:`snapens.analyse.dee`): the DEE of the mean NLL over repeats, its percentile
    bootstrap interval over the seeds both methods share, ``+inf`` for "> M"
    and ``-inf`` for "< 1".
    """
    rows = []
    for dataset, method, g in _groups(runs):
        ref = references.get(dataset)
        if ref is None:
            continue
        curve_runs = long[(long.dataset == dataset) & (long.method == ref)]
        reference = curve_runs.pivot(index="seed", columns="k", values=SUBSET_NLL).sort_index()
        values = g.set_index("seed")["ensemble_nll"]
        seeds = reference.index.intersection(values.index)
        ref_nll, v = reference.loc[seeds].to_numpy(), values.loc[seeds].to_numpy()
        members = ref_nll.shape[1]
        if len(seeds) == 0:  # no repeat in common with the reference
            curve, point = np.full(members, math.nan), math.nan
        else:
            curve = dee_.curve_of(ref_nll)
            point = dee_.equivalent(curve, dee_.mean(v))
        low, high = (
            dee_.bootstrap(ref_nll, v, resamples, confidence) if len(seeds) > 1 else (math.nan, math.nan)
        )
        rows.append(
            {
                "dataset": dataset,
                "method": method,
                "reference": ref,
                "metric": "nll",
                "repeats": len(seeds),
                "reference_members": members,
                "nll_mean": dee_.mean(v),
                "reference_nll_first": curve[0],
                "reference_nll_last": curve[-1],
                "dee": point,
                "dee_ci_low": low,
                "dee_ci_high": high,
                "bootstrap_resamples": resamples,
                "dee_text": dee_.text(point, low, high, members),
            }
        )
    return pd.DataFrame(rows, columns=DEE_COLUMNS)


SWEEP_KEYS = ["dataset", "method", "base", "swept"]


def pair(paired_df, dataset, metric, method, a_model="ensemble", b_model="final"):
    """The row of ``paired_df`` comparing two models of one method."""
    sel = paired_df[
        (paired_df.dataset == dataset)
        & (paired_df.metric == metric)
        & (paired_df.a_method == method)
        & (paired_df.b_method == method)
        & (paired_df.a_model == a_model)
        & (paired_df.b_model == b_model)
    ]
    return sel.iloc[0]


def sweep_table(
    summary: pd.DataFrame, paired_df: pd.DataFrame, dee: pd.DataFrame, points: dict[str, dict]
) -> pd.DataFrame:
    """``sweep.csv``: one row per dataset x grid point of a sweep (``points``:
    method name -> ``{"method": base, **grid values}``, from
    :func:`snapens.sweeps.grid_points`), gathered from the other tables.

    Per metric: final model and full ensemble (mean and CI), ensemble minus
    final (mean, CI, Wilcoxon p, W/T/L); then the DEE. ``swept`` names the grid
    keys of the row's sweep, in the config's order.
    """
    rows = []
    for _, s in summary[summary.method.isin(list(points))].iterrows():
        point = points[s.method]
        axes = [k for k in point if k != "method"]
        row = {
            "dataset": s.dataset,
            "method": s.method,
            "base": point["method"],
            "swept": " ".join(axes),
            **{k: point[k] for k in axes},
            "repeats": int(s.repeats),
            "members": int(s.members),
        }
        for name in METRICS:
            for model in ("final", "ensemble"):
                for stat in ("mean", "ci_low", "ci_high"):
                    row[f"{model}_{name}_{stat}"] = s[f"{model}_{name}_{stat}"]
            p = pair(paired_df, s.dataset, name, s.method)
            row.update(
                {
                    f"diff_{name}_mean": p.mean_diff,
                    f"diff_{name}_ci_low": p.ci_low,
                    f"diff_{name}_ci_high": p.ci_high,
                    f"diff_{name}_p": p.p_value,
                    f"diff_{name}_wins": int(p.wins),
                    f"diff_{name}_ties": int(p.ties),
                    f"diff_{name}_losses": int(p.losses),
                }
            )
        d = dee[(dee.dataset == s.dataset) & (dee.method == s.method)]
        for col in ("dee", "dee_ci_low", "dee_ci_high", "dee_text"):
            row[col] = d[col].iloc[0] if len(d) else (math.nan if col != "dee_text" else "n/a")
        rows.append(row)
    return pd.DataFrame(rows) if rows else pd.DataFrame(columns=SWEEP_KEYS)
