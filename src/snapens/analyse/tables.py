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
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from snapens.analyse import dee as dee_
from snapens.analyse.selection import PROTOCOL, choices, chosen_text, measured_seeds
from snapens.analyse.statistics import (
    FLIPS,
    against_best,
    alpha_of,
    compare_units,
    holm,
    mcnemar,
    mean_ci,
    paired,
    ratio_intervals,
    simultaneous,
)
from snapens.core.sweeps import label
from snapens.evaluate.metrics import (
    FOLDS,
    METRICS,
    SUBSET_NLL,
    T_MAX,
    T_MIN,
    TEMPERATURES,
    VOTE,
    fold_columns,
    metric,
    subset_columns,
)
from snapens.evaluate.scores import DIVERGED, NONFINITE
from snapens.train.schedules import ANNEALED

DIVERSITY = ("disagreement", "correlation")
# models besides final and ensemble, and what each is compared with
# (swa: every snapshot's weights averaged; swa_tail: the last half's, as SWA does)
EXTRA_MODELS = {"swa": "final", "swa_tail": "swa", "weighted": "ensemble"}
EXTRA_SOURCES = {"swa": "averaged", "swa_tail": "averaged", "weighted": "weighted"}  # their per-run table


def ensemble_metrics() -> list[str]:
    """Columns of the ensemble: every registered metric and the majority vote."""
    return [*METRICS, VOTE.name]


def run_row(dataset, method, seed, tables: dict[str, pd.DataFrame], test_rows: int) -> dict:
    """One run: final model, full ensemble, mean member, weight-averaged and
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
        t = tables.get(EXTRA_SOURCES[extra], pd.DataFrame())
        t = t[t["model"] == extra] if len(t) else t
        row.update({f"{extra}_{m}": float(t[m].iloc[0]) if len(t) else math.nan for m in METRICS})
    diversity = tables.get("diversity")
    if diversity is not None:
        pairs = diversity[diversity["i"] != diversity["j"]]
        for d in DIVERSITY:
            row[d] = float(pairs[d].mean()) if len(pairs) else math.nan
    for model, r in (("final", final), ("ensemble", full)):
        row.update({f"{model}_{c}": float(r[c]) for m in METRICS for c in fold_columns(m)})
    row.update({f"{model}_{BOUNDARY}": n for model, n in boundary_fits(tables).items()})
    row[NONFINITE] = nonfinite_rows(tables)
    row[DIVERGED_MEMBERS] = int(members[DIVERGED].sum()) if DIVERGED in members else 0
    row[DIVERGED] = int(row[DIVERGED_MEMBERS] > 0)
    return row


DIVERGED_MEMBERS = "diverged_members"  # runs.csv, summary.csv: trained models that diverged
DIVERGED_RUNS = "diverged_runs"  # summary.csv: runs with a diverged model


def nonfinite_rows(tables: dict[str, pd.DataFrame]) -> int:
    """Test rows that a run's members and weight averages predicted uniformly
    because their outputs were not finite (diverged training; column
    ``nonfinite_rows`` of ``members.csv`` and ``averaged.csv``)."""
    return int(
        sum(
            t[NONFINITE].sum()
            for name in ("members", "averaged")
            if len(t := tables.get(name, pd.DataFrame())) and NONFINITE in t
        )
    )


BOUNDARY = "boundary_fits"  # temperatures fitted at a bound of the search (per model)


def _at_bound(r) -> int:
    return sum(int(float(r[t]) in (T_MIN, T_MAX)) for t in TEMPERATURES)


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
        t = tables.get(EXTRA_SOURCES[extra], pd.DataFrame())
        t = t[t["model"] == extra] if len(t) else t
        out[extra] = float(_at_bound(t.iloc[0])) if len(t) else math.nan
    return out


def _groups(runs: pd.DataFrame):
    """(dataset, method, rows) in first-appearance order, rows sorted by seed."""
    for (dataset, method), g in runs.groupby(["dataset", "method"], sort=False):
        yield dataset, method, g.sort_values("seed")


SUMMARY_STATS = ("mean", "sd", "ci_low", "ci_high", "median")  # per model and metric in summary.csv


def _stats(row: dict, prefix: str, values, confidence: float) -> None:
    ci = mean_ci(pd.Series(values, dtype=float).dropna(), confidence)
    for stat in SUMMARY_STATS:
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
        for model in ("member", "final", "ensemble", *EXTRA_MODELS):
            fits = g.get(f"{model}_{BOUNDARY}", pd.Series(dtype=float))
            row[f"{model}_{BOUNDARY}"] = int(fits.sum()) if fits.notna().any() else math.nan
        row[NONFINITE] = int(g.get(NONFINITE, pd.Series(0, index=g.index)).sum())
        row[DIVERGED_RUNS] = int(g.get(DIVERGED, pd.Series(0, index=g.index)).sum())
        row[DIVERGED_MEMBERS] = int(g.get(DIVERGED_MEMBERS, pd.Series(0, index=g.index)).sum())
        rows.append(row)
    return pd.DataFrame(rows)


def has_model(g: pd.DataFrame, model: str) -> bool:
    """Every run of ``g`` has metrics of ``model``."""
    column = f"{model}_{next(iter(METRICS))}"
    return column in g and bool(g[column].notna().all())


# --- paired comparisons -----------------------------------------------------------


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


TOO_FEW = "too few repeats"  # the verdict of a family that cannot reject at its repeats


def _holm_columns(rows: list[dict], confidence: float) -> None:
    """Holm-adjusted p-values, family sizes, Bonferroni intervals and verdicts
    of ``rows`` (in place), within each family: one dataset x metric x
    comparison x base. A family none of whose comparisons could reach Holm's
    first threshold, ``(1 - confidence) / m``, even with every difference of
    one sign (``p_floor``) gets the verdict :data:`TOO_FEW` throughout."""
    alpha = alpha_of(confidence)
    families: dict[tuple, list[dict]] = {}
    for r in rows:
        families.setdefault((r["dataset"], r["metric"], r["comparison"], r["family"]), []).append(r)
    for members in families.values():
        adjusted = holm([r["p_value"] for r in members])
        tested = int(np.count_nonzero(~np.isnan([r["p_value"] for r in members])))
        floors = [r["p_floor"] for r in members if not math.isnan(r["p_value"])]
        decidable = bool(floors) and min(floors) <= alpha / tested
        for r, p in zip(members, holm([r["diverged_p"] for r in members]), strict=True):
            r["diverged_p_holm"] = float(p)
        for r, p in zip(members, adjusted, strict=True):
            r["p_holm"], r["family_size"] = float(p), tested
            low, high = simultaneous(r.pop("null"), max(tested, 1), confidence)
            r["sim_ci_low"], r["sim_ci_high"] = (low, high) if not math.isnan(p) else (math.nan, math.nan)
            r["verdict"] = _verdict(r["mean_diff"], p, alpha, metric(r["metric"]).higher_is_better)
            if r["verdict"] == "unclear" and not decidable:
                r["verdict"] = TOO_FEW


def _verdict(mean_diff: float, p_holm: float, alpha: float, higher_is_better: bool) -> str:
    """``better``/``worse`` (a against b, in the metric's direction) when the
    Holm-adjusted p-value is at most ``alpha``; ``unclear`` otherwise;
    ``not tested`` without a p-value."""
    if math.isnan(p_holm):
        return "not tested"
    if p_holm > alpha or mean_diff == 0:
        return "unclear"
    return "better" if (mean_diff > 0) == higher_is_better else "worse"


LIMIT_COLUMNS = ("limit_distance", "limit_share", "limit_share_ci_low", "limit_share_ci_high")
PAIRED_KEYS = ["dataset", "metric", "comparison", "family", "a_method", "a_model", "b_method", "b_model"]


class _Paired:
    """Rows of ``paired_tests.csv`` as they are added."""

    def __init__(self, confidence: float, flips: int):
        self.rows: list[dict] = []
        self.confidence, self.flips = confidence, flips

    def add(
        self,
        keys: dict,
        units,
        scale: float,
        mean_a: float,
        mean_b: float,
        diverged: tuple | None = None,
        tested: bool = True,
        **extra,
    ):
        """A comparison of differences already taken (integers in units of
        ``1 / scale``); ``diverged``: each side's per-seed divergence flags."""
        m = metric(keys["metric"])
        res = compare_units(units, mean_b, m.higher_is_better, self.confidence, scale, self.flips)
        res |= {"mean_a": mean_a, "mean_b": mean_b} | divergence(*(diverged or (None, None)))
        self._append(keys, res, tested, extra)

    def models(self, keys: dict, ga, gb, rows, tested: bool = True):
        """``a_model`` of ``ga`` against ``b_model`` of ``gb`` on all test rows
        (:func:`compare`), with the divergence of their runs (:func:`divergence`;
        no test between models of the same runs)."""
        name = keys["metric"]
        a, b = ga[f"{keys['a_model']}_{name}"], gb[f"{keys['b_model']}_{name}"]
        same = keys["a_method"] == keys["b_method"]
        flags = (ga.get(DIVERGED), gb.get(DIVERGED))
        res = compare(name, a, b, rows, self.confidence, self.flips) | divergence(*flags, same=same)
        self._append(keys, res, tested)

    def _append(self, keys: dict, res: dict, tested: bool, extra: dict | None = None):
        if not tested:  # a difference zero by construction is not a test
            res["p_value"], res["p_floor"], res["null"] = math.nan, math.nan, None
        self.rows.append({**keys, "selection": "", "b_chosen": "", **(extra or {}), **res})

    def table(self) -> pd.DataFrame:
        _holm_columns(self.rows, self.confidence)
        return pd.DataFrame(self.rows, columns=PAIRED_COLUMNS)


PAIRED_COLUMNS = [
    *PAIRED_KEYS,
    "selection",
    "b_chosen",
    "n",
    "mean_a",
    "mean_b",
    "mean_diff",
    "median_diff",
    "sd_diff",
    "se_diff",
    "ci_low",
    "ci_high",
    "p_value",
    "p_floor",
    "p_holm",
    "family_size",
    "sim_ci_low",
    "sim_ci_high",
    "verdict",
    "relative",
    "standardised",
    "wins",
    "ties",
    "losses",
    "diverged_a",
    "diverged_b",
    "diverged_p",
    "diverged_p_holm",
    *LIMIT_COLUMNS,
]


def divergence(a, b, same: bool = False) -> dict:
    """Runs of each side with a diverged model (``diverged_a``, ``diverged_b``;
    per-seed flags ``a`` and ``b``, paired) and McNemar's exact test of equal
    divergence rates (``diverged_p``; NaN when both sides are the same runs
    or the flags are missing)."""
    if a is None or b is None:
        return {"diverged_a": math.nan, "diverged_b": math.nan, "diverged_p": math.nan}
    a, b = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
    return {
        "diverged_a": int(a.sum()),
        "diverged_b": int(b.sum()),
        "diverged_p": math.nan if same else mcnemar(a, b),
    }


def _mean(x) -> float:
    x = np.asarray(x, dtype=np.float64)
    return float(x.mean()) if len(x) else math.nan


def _defined(a, b, rows):
    """``a``, ``b`` and ``rows`` of the repeats where both values are defined
    (not NaN: a metric undefined for a run leaves that repeat out; ``n`` says
    how many). Infinite values are not left out: they cannot be compared
    exactly, and :meth:`snapens.evaluate.metrics.Metric.units` refuses them."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    rows = np.broadcast_to(np.asarray(rows), a.shape)
    keep = ~np.isnan(a) & ~np.isnan(b)
    return a[keep], b[keep], rows[keep]


def _scale(m, rows) -> float:
    """Units per unit of metric ``m``: test rows for a count metric (one
    number for every repeat), else 1e9 (the grid of 1e-9)."""
    if not m.count:
        return 1e9
    sizes = np.unique(np.asarray(rows))
    if len(sizes) > 1:
        raise ValueError(f"{m.name}: repeats with different numbers of test rows ({sizes.tolist()})")
    return float(sizes[0]) if len(sizes) else 1.0


def compare(name: str, a, b, rows, confidence: float, flips: int = FLIPS) -> dict:
    """:func:`~snapens.analyse.statistics.paired` of metric ``name``, exact in
    its units (``rows``: the test rows of each repeat, which count metrics are
    fractions of). A repeat where either value is NaN is left out; ``n`` says
    how many pairs were compared."""
    m = metric(name)
    a, b, rows = _defined(a, b, rows)
    exact = (m.units(a, rows), m.units(b, rows))
    return paired(a, b, m.higher_is_better, confidence, exact, _scale(m, rows), flips)


def paired_table(
    runs: pd.DataFrame,
    confidence: float = 0.95,
    flips: int = FLIPS,
    points: dict[str, dict] | None = None,
    baselines: list[Baselines] = (),
    limits: dict | None = None,
) -> pd.DataFrame:
    """``paired_tests.csv``: every paired comparison, with its family's Holm
    adjustment and verdict (:data:`COMPARISONS`).

    Per method: its ensemble against its final model (not a test for a
    one-member method: they are the same model), the weight-averaged model
    against the final one and the weighted ensemble against the equal-weight
    one. Between methods that are not grid points of a sweep (``points``),
    every pair, final against final and ensemble against ensemble. Per grid
    point of a swept method with ``baselines`` and more than one member: its
    ensemble against the best single model at equal cost (every single-model
    rate, nothing chosen: :func:`snapens.analyse.statistics.against_best`)
    and against the equal-cost independent ensemble of the same size and rate.
    """
    points = points or {}
    out = _Paired(confidence, flips)
    groups = list(_groups(runs))

    def family(method):
        return points[method]["method"] if method in points else ""

    for dataset, method, g in groups:
        rows = g["test_rows"]
        for m in METRICS:
            keys = dict(
                dataset=dataset,
                metric=m,
                comparison="final",
                family=family(method),
                a_method=method,
                a_model="ensemble",
                b_method=method,
                b_model="final",
            )
            out.models(keys, g, g, rows, tested=int(g["members"].iloc[0]) > 1)
        for extra, against in EXTRA_MODELS.items():
            if has_model(g, extra):
                for m in METRICS:
                    keys = dict(
                        dataset=dataset,
                        metric=m,
                        comparison=extra,
                        family=family(method),
                        a_method=method,
                        a_model=extra,
                        b_method=method,
                        b_model=against,
                    )
                    out.models(keys, g, g, rows)
    by_dataset: dict[str, dict[str, pd.DataFrame]] = {}
    for dataset, method, g in groups:
        by_dataset.setdefault(dataset, {})[method] = g.set_index("seed")
    for dataset, methods in by_dataset.items():
        plain = [(m, g) for m, g in methods.items() if m not in points]
        for (ma, ga), (mb, gb) in combinations(plain, 2):
            seeds = ga.index.intersection(gb.index)
            for model in ("final", "ensemble"):
                for m in METRICS:
                    keys = dict(
                        dataset=dataset,
                        metric=m,
                        comparison=f"methods_{model}",
                        family="",
                        a_method=ma,
                        a_model=model,
                        b_method=mb,
                        b_model=model,
                    )
                    out.models(keys, ga.loc[seeds], gb.loc[seeds], ga.loc[seeds, "test_rows"])
        for b in baselines:
            _baseline_rows(out, dataset, methods, points, b, (limits or {}).get(dataset))
    return out.table()


def singles(methods: dict[str, pd.DataFrame], points: dict[str, dict], base: str) -> dict[str, str]:
    """The one-member grid points of ``base`` present in ``methods``, each with
    its label (its other grid values, e.g. ``"lr_max 0.01"``), in grid order."""
    out = {}
    for name, point in points.items():
        if point["method"] == base and point.get("members") == 1 and name in methods:
            keys = [k for k in point if k not in ("method", "members")]
            out[name] = label(keys, tuple(point[k] for k in keys))
    return out


def partner(points: dict[str, dict], base: str, point: dict, keys=None) -> str | None:
    """The grid point of ``base`` whose values equal ``point``'s on ``keys``
    (default: every key of ``base``'s grid)."""
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
    a: np.ndarray, singles: dict[str, np.ndarray], best: str, limit, name: str, seeds, out
) -> dict:
    """Of an ensemble (per seed ``a``) against the best of the single models
    (``singles``, per seed), where the data's limit is known (``limit``:
    :class:`snapens.analyse.limits.Limit`): the distance of the one with the
    best mean (``best``) to the limit, ``|mean(L - b)|``, and the share of the
    best single model's distance that the ensemble closes. Per candidate the
    share ``sum(a - b_r) / sum(L - b_r)`` and its interval come from
    :func:`snapens.analyse.statistics.ratio_intervals`; the share against the
    best candidate is the smallest of them (a share falls as the single model
    nears the limit), so its lower end is the smallest lower end at the
    study's level and its upper end the smallest upper end at ``level / R``,
    as for :class:`snapens.analyse.statistics.BestOf`."""
    if limit is None:
        return dict.fromkeys(LIMIT_COLUMNS, math.nan)
    L = limit.of(name, seeds)
    levels = (out.confidence, 1 - alpha_of(out.confidence) / len(singles))
    shares = {r: ratio_intervals(a - b, L - b, levels, out.flips) for r, b in singles.items()}
    return {
        "limit_distance": abs(_mean(L - singles[best])),
        "limit_share": shares[best][0],
        "limit_share_ci_low": min(intervals[0][0] for _, intervals in shares.values()),
        "limit_share_ci_high": min(intervals[1][1] for _, intervals in shares.values()),
    }


def _best_single_rows(out: _Paired, dataset: str, method: str, g, methods, candidates, b: Baselines, limit):
    """The grid point's ensemble against the best single model at equal cost,
    per metric (:func:`snapens.analyse.statistics.against_best`: every
    candidate rate, every seed and test row; nothing chosen)."""
    seeds = list(g.index.intersection(sorted(set.intersection(*(set(methods[c].index) for c in candidates)))))
    rows = g.loc[seeds, "test_rows"].to_numpy()
    for m in METRICS:
        metric_ = metric(m)
        a = g.loc[seeds, f"ensemble_{m}"].to_numpy(dtype=np.float64)
        bs = {c: methods[c].loc[seeds, f"ensemble_{m}"].to_numpy(dtype=np.float64) for c in candidates}
        a_units = metric_.units(a, rows)
        diffs = {c: a_units - metric_.units(v, rows) for c, v in bs.items()}
        means = {c: _mean(v) for c, v in bs.items()}
        res = against_best(
            diffs, _scale(metric_, rows), metric_.higher_is_better, out.confidence, out.flips, means
        )
        best = res.pop("best")
        keys = dict(
            dataset=dataset,
            metric=m,
            comparison="single",
            family=b.base,
            a_method=method,
            a_model="ensemble",
            b_method=f"{b.base}: best single",
            b_model="ensemble",
        )
        flags = (g.loc[seeds].get(DIVERGED), methods[best].loc[seeds].get(DIVERGED))
        row = res | {"mean_a": _mean(a), "mean_b": means[best]} | divergence(*flags)
        extra = {"selection": BEST_OF, "b_chosen": candidates[best]}
        extra |= limit_share(a, bs, best, limit, m, seeds, out)
        out._append(keys, row, True, extra)


def _baseline_rows(out: _Paired, dataset: str, methods, points, b: Baselines, limit=None) -> None:
    candidates = singles(methods, points, b.base)
    for method, point in points.items():
        if point["method"] != b.base or method not in methods or point.get("members", 1) == 1:
            continue
        g = methods[method]
        if candidates:
            _best_single_rows(out, dataset, method, g, methods, candidates, b, limit)
        other = partner(points, b.equal_cost, point) if b.equal_cost else None
        if other in methods:
            gb = methods[other]
            seeds = g.index.intersection(gb.index)
            for m in METRICS:
                keys = dict(
                    dataset=dataset,
                    metric=m,
                    comparison="equal",
                    family=b.base,
                    a_method=method,
                    a_model="ensemble",
                    b_method=other,
                    b_model="ensemble",
                )
                out.models(keys, g.loc[seeds], gb.loc[seeds], g.loc[seeds, "test_rows"])


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
# the metrics of the deep ensemble equivalent, the primary first (Ashukha et
# al. 2020: calibrated), each with its reference curve's column prefix
DEE_METRICS = {"nll_calibrated": f"{SUBSET_NLL}_calibrated", "nll": SUBSET_NLL}


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


def baseline_reference(points: dict[str, dict], b: Baselines) -> Reference | None:
    """The DEE reference of a swept method with ``baselines``: the full-cost
    grid points, one per rate, chosen per fold through the single models
    (the base's one-member points) of the same rate."""
    if not b.full_cost:
        return None
    selectors, candidates = {}, {}
    for name, point in points.items():
        keys = [k for k in point if k not in ("method", "members")]
        at = label(keys, tuple(point[k] for k in keys))
        if point["method"] == b.base and point.get("members") == 1:
            selectors[at] = name
        elif point["method"] == b.full_cost:
            candidates[at] = name
    common = [at for at in selectors if at in candidates]
    return Reference(b.full_cost, {at: candidates[at] for at in common}, {at: selectors[at] for at in common})


def dee_references(
    references: dict[str, str], points: dict[str, dict], plans: list[Baselines], datasets: list[str]
) -> dict[str, Reference]:
    """The DEE's reference per dataset: the full-cost baseline of the first
    swept method whose baselines name one (every dataset, its rate chosen
    through the single models), else the planner's ``references``
    (:func:`snapens.core.settings.reference_method`), the runs that carry the
    subset curves either way."""
    for b in plans:
        ref = baseline_reference(points, b)
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
    (its level) and of the value's mean (``values``, per repeat). ``identified``
    when the gain exceeds it: on a curve whose whole rise is within that noise
    a value near it reads "> M" or "< 1" on noise."""
    if len(curves) < 2:
        return {"gain": math.nan, "level": math.nan, "value": math.nan, "identified": False}
    first, last, value = (mean_ci(x, confidence) for x in (curves[:, 0], curves[:, -1], values))
    level = max((c["ci_high"] - c["ci_low"]) / 2 for c in (first, last))
    spread = (value["ci_high"] - value["ci_low"]) / 2
    gain = dee_.mean(curves[:, 0]) - dee_.mean(curves[:, -1])
    return {"gain": gain, "level": level, "value": spread, "identified": bool(gain > max(level, spread))}


def dee_table(
    runs: pd.DataFrame,
    long: pd.DataFrame,
    references: dict[str, Reference],
    confidence: float = 0.95,
    resamples: int = 2000,
    rates: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Deep ensemble equivalent of every method's full ensemble, per dataset
    and metric (:data:`DEE_METRICS`: calibrated NLL, then raw NLL).
    ``reference_rate`` is the peak rate (``rates``, per method) of a reference
    with one candidate; a chosen one's rate is in ``reference_chosen``.

    Per repeat, both the reference curve (its ensembles of any k of its
    members) and the method's value are measured on each fold of the test
    rows and averaged over the two (when ``references`` offers a choice, the
    reference is chosen on the odd seeds' other fold and the even seeds are
    measured);
    the DEE is that of the means over repeats (:mod:`snapens.analyse.dee`),
    with its percentile bootstrap interval over the seeds the method and the
    reference share, ``+inf`` for "> M" and ``-inf`` for "< 1". It is reported
    only where the reference's gain from one model to ``M`` exceeds the
    uncertainty of placing the value on the curve (:func:`reference_gain`,
    ``identified``), else NaN, with the gain and that uncertainty in ``dee_text``.
    """
    rows = []
    indexed = {key: g.set_index("seed") for key, g in runs.groupby(["dataset", "method"], sort=False)}
    for dataset, method, g in _groups(runs):
        ref = references.get(dataset)
        if ref is None:
            continue
        runs_by_method = {m: t for (d, m), t in indexed.items() if d == dataset}
        ref_methods = [*ref.candidates.values(), *(ref.selectors or {}).values()]
        seeds = g.set_index("seed").index
        for m in ref_methods:
            seeds = seeds.intersection(runs_by_method[m].index)
        part = long[long.dataset == dataset]
        for name in DEE_METRICS:
            gain = reference_gain(np.empty((0, 0)), np.empty(0), confidence)
            v = np.empty(0)
            if len(seeds):
                folds, measured, chosen = _reference_curves(part, runs_by_method, ref, name, seeds)
                values = g.set_index("seed").loc[measured]
                v = ((values[f"ensemble_{name}_odd"] + values[f"ensemble_{name}_even"]) / 2).to_numpy(
                    dtype=np.float64
                )
                curves = (folds["odd"] + folds["even"]) / 2
                curve = dee_.curve_of(curves)
                point = dee_.equivalent(curve, dee_.mean(v))
                gain = reference_gain(curves, v, confidence)
            else:
                members = int(runs_by_method[next(iter(ref.candidates.values()))]["members"].iloc[0])
                curves, chosen = np.full((0, members), math.nan), {}
                curve, point = np.full(members, math.nan), math.nan
            members = curves.shape[1]
            found = gain["identified"]
            low, high = dee_.bootstrap(curves, v, resamples, confidence) if len(v) > 1 else (math.nan,) * 2
            if not found:
                point = low = high = math.nan
            rows.append(
                {
                    "dataset": dataset,
                    "method": method,
                    "metric": name,
                    "reference": ref.name,
                    "reference_chosen": chosen_text(chosen) if chosen else "",
                    "reference_rate": (rates or {}).get(next(iter(ref.candidates.values())), math.nan)
                    if len(ref.candidates) == 1
                    else math.nan,
                    "selection": PROTOCOL if chooses(ref) else "",
                    "repeats": len(v),
                    "reference_members": members,
                    "nll_mean": dee_.mean(v) if len(v) else math.nan,
                    "reference_nll_first": curve[0],
                    "reference_nll_last": curve[-1],
                    "reference_gain": gain["gain"],
                    "reference_level_half_width": gain["level"],
                    "value_half_width": gain["value"],
                    "identified": "yes" if found else "no",
                    "dee": point,
                    "dee_ci_low": low,
                    "dee_ci_high": high,
                    "bootstrap_resamples": resamples,
                    "dee_text": dee_.text(point, low, high, members)
                    if found
                    else dee_.unidentified_text(gain, members),
                }
            )
    return pd.DataFrame(rows, columns=DEE_COLUMNS)


SWEEP_KEYS = ["dataset", "method", "base", "role", "swept"]
# sweep.csv's comparisons of a grid point's full ensemble: the ``comparison``
# of paired_tests.csv -> what it is measured against; their columns: :func:`column`
COMPARISONS = {
    "final": "its own final model",
    "single": "the best single model at equal cost",
    "equal": "the equal-cost independent ensemble of the same size",
}
SHORT = {"final": "own final model", "single": "best single model", "equal": "equal-cost ensemble"}  # figures
PREFIXES = {"final": "diff", "single": "vs_single", "equal": "vs_equal"}  # diff_: the contract's name


def column(comparison: str, metric: str, stat: str) -> str:
    """The ``sweep.csv`` column of a comparison's statistic, e.g.
    ``diff_nll_p_holm`` (ensemble minus its own final model) or
    ``vs_single_accuracy_mean``."""
    return f"{PREFIXES[comparison]}_{metric}_{stat}"


COMPARISON_STATS = {
    "mean": "mean_diff",
    "median": "median_diff",
    "ci_low": "ci_low",
    "ci_high": "ci_high",
    "p": "p_value",
    "p_holm": "p_holm",
    "sim_ci_low": "sim_ci_low",
    "sim_ci_high": "sim_ci_high",
    "verdict": "verdict",
    "relative": "relative",
    "standardised": "standardised",
    "wins": "wins",
    "ties": "ties",
    "losses": "losses",
    "baseline": "mean_b",
    "chosen": "b_chosen",
}


def pair(paired_df, dataset, metric, method, a_model="ensemble", b_model="final", comparison=None):
    """The row of ``paired_df`` comparing ``a_model`` of ``method`` with
    ``b_model`` (of the same method, unless ``comparison`` names a baseline
    comparison of :data:`COMPARISONS`)."""
    sel = (paired_df.dataset == dataset) & (paired_df.metric == metric) & (paired_df.a_method == method)
    if comparison in (None, "final"):
        sel &= (
            (paired_df.b_method == method) & (paired_df.a_model == a_model) & (paired_df.b_model == b_model)
        )
    else:
        sel &= paired_df.comparison == comparison
    return paired_df[sel].iloc[0]


def roles(baselines: list[Baselines]) -> dict[str, str]:
    """Each swept method named in ``baselines``: ``judged``, ``equal_cost`` or ``full_cost``."""
    out = {}
    for b in baselines:
        out[b.base] = "judged"
        out.update({getattr(b, r): r for r in ("equal_cost", "full_cost") if getattr(b, r)})
    return out


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
    :func:`snapens.core.sweeps.grid_points`), gathered from the other tables.

    Per metric: final model and full ensemble (mean and CI); then, per
    comparison of :data:`COMPARISONS` the point has, ensemble minus the
    baseline (:func:`column`: mean, CI, p, Holm-adjusted
    p, simultaneous CI, verdict, effect sizes, W/T/L, the baseline's mean and
    what was chosen); then the DEE, calibrated (``dee``) and raw
    (``dee_nll``). ``swept`` names the grid keys of the row's sweep, in the
    config's order; ``role`` is the method's part in ``baselines``;
    ``last_lr_fraction`` the rate at the last snapshot over the peak (from
    ``last_rates``, dataset -> method -> fraction) and ``annealed`` whether it
    is at most :data:`snapens.train.schedules.ANNEALED`; ``final_boundary_fits``
    and ``ensemble_boundary_fits`` the temperature fits at a bound.
    """
    role = roles(baselines)
    rows = []
    for _, s in summary[summary.method.isin(list(points))].iterrows():
        point = points[s.method]
        axes = [k for k in point if k != "method"]
        row = {
            "dataset": s.dataset,
            "method": s.method,
            "base": point["method"],
            "role": role.get(point["method"], ""),
            "swept": " ".join(axes),
            **{k: point[k] for k in axes},
            "repeats": int(s.repeats),
            "members": int(s.members),
        }
        fraction = (last_rates or {}).get(s.dataset, {}).get(s.method, math.nan)
        row["last_lr_fraction"] = fraction
        row["annealed"] = "" if math.isnan(fraction) else ("yes" if fraction <= ANNEALED else "no")
        for model in ("final", "ensemble"):
            row[f"{model}_{BOUNDARY}"] = s.get(f"{model}_{BOUNDARY}", math.nan)
        row[NONFINITE] = s.get(NONFINITE, 0)
        row[DIVERGED_RUNS] = s.get(DIVERGED_RUNS, 0)
        row[DIVERGED_MEMBERS] = s.get(DIVERGED_MEMBERS, 0)
        mine = paired_df[(paired_df.dataset == s.dataset) & (paired_df.a_method == s.method)]
        judged = any(b.base == point["method"] for b in baselines)
        for comparison in ("single", "equal") if judged else ():
            # the divergence of the baseline's runs, the same on every metric's row
            found = mine[(mine.metric == next(iter(METRICS))) & (mine.comparison == comparison)]
            for stat, source in (("diverged_baseline", "diverged_b"), ("diverged_p_holm", "diverged_p_holm")):
                row[f"{PREFIXES[comparison]}_{stat}"] = found[source].iloc[0] if len(found) else math.nan
        for name in METRICS:
            for model in ("final", "ensemble"):
                for stat in ("mean", "ci_low", "ci_high", "median"):
                    row[f"{model}_{name}_{stat}"] = s[f"{model}_{name}_{stat}"]
            for comparison in COMPARISONS:
                found = mine[(mine.metric == name) & (mine.comparison == comparison)]
                if comparison == "final":
                    found = found[(found.b_method == s.method) & (found.b_model == "final")]
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
        for name in DEE_METRICS:
            d = dee[(dee.dataset == s.dataset) & (dee.method == s.method) & (dee.metric == name)]
            prefix = "dee" if name == next(iter(DEE_METRICS)) else f"dee_{name}"
            for col in ("dee", "dee_ci_low", "dee_ci_high", "dee_text", "reference_chosen"):
                value = (
                    d[col].iloc[0]
                    if len(d)
                    else (math.nan if col in ("dee", "dee_ci_low", "dee_ci_high") else "n/a")
                )
                row[col.replace("dee", prefix, 1) if col.startswith("dee") else f"{prefix}_{col}"] = value
        rows.append(row)
    return pd.DataFrame(rows) if rows else pd.DataFrame(columns=SWEEP_KEYS)
