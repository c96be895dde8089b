"""Study-level tables built from the per-run ``members.csv`` and ``ensemble.csv``.

``runs``     one row per dataset x method x seed: the final model (k = 1), the
             full ensemble (k = M) and the mean single member.
``summary``  one row per dataset x method: mean, sd and CI of every metric for
             the final model and the full ensemble.
``paired``   paired comparisons across repeats: ensemble vs final model per
             method, and every pair of methods (final vs final, ensemble vs
             ensemble) on the same seeds.
``curves``   per dataset x method x k: the seed's plot across repeats.
``dee``      deep ensemble equivalent of each method's full ensemble.
"""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pandas as pd

from snapens.metrics import HIGHER_IS_BETTER, METRICS
from snapens.statistics import mean_ci, paired

MODELS = ("final", "ensemble")
ENSEMBLE_METRICS = (*METRICS, "vote_accuracy")
DIVERSITY = ("disagreement", "correlation")


def run_row(dataset, method, seed, members: pd.DataFrame, ensemble: pd.DataFrame,
            averaged: pd.DataFrame | None = None, diversity: pd.DataFrame | None = None,
            weighted: pd.DataFrame | None = None) -> dict:
    """Final model, full ensemble, mean member, weight-averaged model (NaN when
    the run has none) and mean pairwise diversity of one run."""
    final, full = ensemble.iloc[0], ensemble.iloc[-1]
    row = {"dataset": dataset, "method": method, "seed": int(seed), "members": len(members)}
    row.update({f"final_{m}": float(final[m]) for m in METRICS})
    row.update({f"ensemble_{m}": float(full[m]) for m in ENSEMBLE_METRICS})
    row.update({f"member_mean_{m}": float(members[m].mean()) for m in METRICS})
    swa = averaged[averaged["model"] == "swa"] if averaged is not None else pd.DataFrame()
    row.update({f"swa_{m}": float(swa[m].iloc[0]) if len(swa) else math.nan for m in METRICS})
    wtd = weighted if weighted is not None else pd.DataFrame()
    row.update({f"weighted_{m}": float(wtd[m].iloc[0]) if len(wtd) else math.nan for m in METRICS})
    if diversity is not None:
        pairs = diversity[diversity["i"] != diversity["j"]]
        row["disagreement"] = float(pairs["disagreement"].mean()) if len(pairs) else math.nan
        row["correlation"] = float(pairs["correlation"].mean()) if len(pairs) else math.nan
    return row


def _groups(runs: pd.DataFrame):
    """(dataset, method, rows) in first-appearance order, rows sorted by seed."""
    for (dataset, method), g in runs.groupby(["dataset", "method"], sort=False):
        yield dataset, method, g.sort_values("seed")


def _stats(row: dict, prefix: str, values, confidence: float) -> None:
    ci = mean_ci(pd.Series(values).dropna(), confidence)
    for stat in ("mean", "sd", "ci_low", "ci_high"):
        row[f"{prefix}_{stat}"] = ci[stat]


def summary_table(runs: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    rows = []
    for dataset, method, g in _groups(runs):
        row = {"dataset": dataset, "method": method, "repeats": len(g), "members": int(g["members"].iloc[0])}
        for model in MODELS:
            for m in ENSEMBLE_METRICS if model == "ensemble" else METRICS:
                _stats(row, f"{model}_{m}", g[f"{model}_{m}"], confidence)
        for extra in ("swa", "weighted"):
            for m in METRICS:
                _stats(row, f"{extra}_{m}", g.get(f"{extra}_{m}", pd.Series(dtype=float)), confidence)
        for d in DIVERSITY:
            _stats(row, d, g.get(d, pd.Series(dtype=float)), confidence)
        rows.append(row)
    return pd.DataFrame(rows)


def paired_table(runs: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    rows = []

    def add(dataset, metric, a_method, a_model, b_method, b_model, a, b):
        res = paired(a, b, HIGHER_IS_BETTER[metric], confidence)
        rows.append(
            {
                "dataset": dataset,
                "metric": metric,
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
            add(dataset, m, method, "ensemble", method, "final", g[f"ensemble_{m}"], g[f"final_{m}"])
        for extra, against in (("swa", "final"), ("weighted", "ensemble")):
            if f"{extra}_{METRICS[0]}" in g and g[f"{extra}_{METRICS[0]}"].notna().all():
                for m in METRICS:
                    add(dataset, m, method, extra, method, against, g[f"{extra}_{m}"], g[f"{against}_{m}"])
    by_dataset: dict[str, list] = {}
    for dataset, method, g in groups:
        by_dataset.setdefault(dataset, []).append((method, g.set_index("seed")))
    for dataset, entries in by_dataset.items():
        for (ma, ga), (mb, gb) in combinations(entries, 2):
            seeds = ga.index.intersection(gb.index)
            for model in MODELS:
                for m in METRICS:
                    col = f"{model}_{m}"
                    add(dataset, m, ma, model, mb, model, ga.loc[seeds, col], gb.loc[seeds, col])
    return pd.DataFrame(rows)


def curve_table(records, confidence: float = 0.95) -> pd.DataFrame:
    """Across repeats, per k: the k-th member from the end alone and the
    ensemble of the last k members (accuracy, as in the seed's plot, and NLL).

    ``records`` yields ``(dataset, method, seed, members_df, ensemble_df)``.
    """
    long = []
    for dataset, method, seed, members, ensemble in records:
        n = len(members)
        for _, e in ensemble.iterrows():
            k = int(e["k"])
            single = members.iloc[n - k]
            long.append(
                {
                    "dataset": dataset,
                    "method": method,
                    "seed": seed,
                    "k": k,
                    "single_accuracy": single["accuracy"],
                    "single_nll": single["nll"],
                    "ensemble_accuracy": e["accuracy"],
                    "ensemble_nll": e["nll"],
                }
            )
    long = pd.DataFrame(long)
    rows = []
    for (dataset, method, k), g in long.groupby(["dataset", "method", "k"], sort=False):
        row = {"dataset": dataset, "method": method, "k": int(k)}
        for col in ("single_accuracy", "single_nll", "ensemble_accuracy", "ensemble_nll"):
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
    long = pd.concat(
        [t.assign(dataset=ds, method=m) for ds, m, _, t in records], ignore_index=True
    )
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


def _fmt_ci(mean, lo, hi, digits=3) -> str:
    if pd.isna(lo):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


def _fmt_p(p) -> str:
    return "n/a" if pd.isna(p) else (f"{p:.2g}" if p >= 1e-4 else f"{p:.1e}")


def _versus_section(sdf, paired_df, dataset, model, against, title, label, note=None) -> list[str]:
    """Markdown rows comparing ``model`` with ``against`` for the methods that have it."""
    rows = [r for _, r in sdf.iterrows() if not pd.isna(r.get(f"{model}_accuracy_mean"))]
    if not rows:
        return []
    lines = [f"### {title}", "", *([note, ""] if note else []),
             f"| method | {label} accuracy | difference | p | {label} NLL | difference | p |",
             "|---|---|---|---:|---|---|---:|"]
    for r in rows:
        cells = []
        for metric in ("accuracy", "nll"):
            p = _pair(paired_df, dataset, metric, r.method, model, against)
            cells += [_fmt_ci(r[f"{model}_{metric}_mean"], r[f"{model}_{metric}_ci_low"],
                              r[f"{model}_{metric}_ci_high"]),
                      _fmt_ci(p.mean_diff, p.ci_low, p.ci_high, digits=4), _fmt_p(p.p_value)]
        lines.append(f"| {r.method} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def provenance_line(config_hash: str | None) -> list[str]:
    if not config_hash:
        return []
    return [f"Study config hash: `{config_hash}` (SHA-256 of the resolved config without "
            "`execution`; `results/tables/study.json` holds that config).", ""]


def summary_markdown(summary: pd.DataFrame, paired_df: pd.DataFrame, confidence: float, title: str,
                     dee: pd.DataFrame | None = None, config_hash: str | None = None) -> str:
    """A readable account of the headline comparison: final model vs full ensemble."""
    pct = int(round(confidence * 100))
    lines = [
        f"# {title}",
        "",
        *provenance_line(config_hash),
        f"Means over repeats with {pct}% confidence intervals (Student t). "
        "*Final* is the last snapshot of each run (k = 1), *ensemble* the average of "
        "the probabilities of all M snapshots (declared in advance, not chosen on test data). "
        "Differences are ensemble minus final, paired by seed; p from the two-sided "
        "Wilcoxon signed-rank test; W/T/L counts repeats where the ensemble is "
        "better / equal / worse.",
        "",
    ]
    for dataset, sdf in summary.groupby("dataset", sort=False):
        lines += [f"## {dataset}", ""]
        for metric, label in (("accuracy", "Accuracy (higher is better)"), ("nll", "NLL (lower is better)"),
                              ("brier", "Brier (lower is better)"), ("ece", "ECE (lower is better)")):
            lines += [f"### {label}", "",
                      "| method | repeats | final | ensemble | difference | p | W/T/L |",
                      "|---|---:|---|---|---|---:|---|"]
            for _, r in sdf.iterrows():
                p = paired_df[(paired_df.dataset == dataset) & (paired_df.metric == metric)
                              & (paired_df.a_method == r.method) & (paired_df.b_method == r.method)].iloc[0]
                final = _fmt_ci(r[f"final_{metric}_mean"], r[f"final_{metric}_ci_low"], r[f"final_{metric}_ci_high"])
                ens = _fmt_ci(r[f"ensemble_{metric}_mean"], r[f"ensemble_{metric}_ci_low"], r[f"ensemble_{metric}_ci_high"])
                diff = _fmt_ci(p.mean_diff, p.ci_low, p.ci_high, digits=4)
                lines.append(f"| {r.method} | {r.repeats} | {final} | {ens} | {diff} | {_fmt_p(p.p_value)} "
                             f"| {p.wins}/{p.ties}/{p.losses} |")
            lines.append("")
        vote = [f"| {r.method} | {_fmt_ci(r.ensemble_vote_accuracy_mean, r.ensemble_vote_accuracy_ci_low, r.ensemble_vote_accuracy_ci_high)} |"
                for _, r in sdf.iterrows()]
        lines += ["### Majority-vote accuracy of the full ensemble", "", "| method | vote accuracy |", "|---|---|", *vote, ""]
        lines += _versus_section(sdf, paired_df, dataset, "swa", "final",
                                 "Weight average of the snapshots (SWA style) vs final model", "SWA")
        lines += _versus_section(
            sdf, paired_df, dataset, "weighted", "ensemble",
            "Member weights fitted on a validation split vs equal weights", "weighted",
            note="Weights minimise the log-loss on rows held out of the training data "
                 "(never test data); these runs train on fewer rows, which the "
                 "method-vs-method rows of paired_tests.csv price against the full-data methods.")
        d = dee[dee.dataset == dataset] if dee is not None else pd.DataFrame()
        if len(d):
            lines += [f"### Deep ensemble equivalent (NLL, reference: {d.reference.iloc[0]})", "",
                      "| method | independent models of equal NLL | repeats outside the curve |",
                      "|---|---|---:|"]
            lines += [f"| {r.method} | {_fmt_ci(r.dee_mean, r.dee_ci_low, r.dee_ci_high, digits=2)} "
                      f"| {r.below_curve + r.beyond_curve} |" for _, r in d.iterrows()]
            lines.append("")
    return "\n".join(lines)


def deep_ensemble_equivalent(curve_k, curve_values, values) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How many independently trained models give the same NLL as each of ``values``.

    ``curve_values[i]`` is the (mean) NLL of an ensemble of ``curve_k[i]``
    independent models. The curve is made non-increasing (running minimum) and
    inverted by linear interpolation. Values beyond the curve's ends are
    clipped to its first or last ``k``; the returned masks say which.
    """
    k = np.asarray(curve_k, dtype=np.float64)
    c = np.minimum.accumulate(np.asarray(curve_values, dtype=np.float64))
    v = np.asarray(values, dtype=np.float64)
    # np.interp needs increasing x: walk the curve from its lowest NLL (largest k)
    dee = np.interp(v, c[::-1], k[::-1])
    return dee, v > c[0], v < c[-1]


def dee_table(runs: pd.DataFrame, curves: pd.DataFrame, independent: dict[str, str],
              confidence: float = 0.95) -> pd.DataFrame:
    """Deep ensemble equivalent of every method's full ensemble (NLL), per dataset.

    ``independent`` maps a dataset to the method whose ensembles of k
    independently trained models form the reference curve; per repeat, the
    full ensemble's NLL is placed on the mean curve over repeats.
    """
    rows = []
    for dataset, method, g in _groups(runs):
        ref = independent.get(dataset)
        if ref is None:
            continue
        c = curves[(curves.dataset == dataset) & (curves.method == ref)].sort_values("k")
        dee, low, high = deep_ensemble_equivalent(c["k"], c["ensemble_nll_mean"], g["ensemble_nll"])
        ci = mean_ci(dee, confidence)
        rows.append({
            "dataset": dataset, "method": method, "reference": ref, "metric": "nll",
            "repeats": ci["n"], "dee_mean": ci["mean"], "dee_sd": ci["sd"],
            "dee_ci_low": ci["ci_low"], "dee_ci_high": ci["ci_high"],
            "below_curve": int(low.sum()), "beyond_curve": int(high.sum()),
        })
    return pd.DataFrame(rows, columns=["dataset", "method", "reference", "metric", "repeats",
                                       "dee_mean", "dee_sd", "dee_ci_low", "dee_ci_high",
                                       "below_curve", "beyond_curve"])


def _pair(paired_df, dataset, metric, method, a_model="ensemble", b_model="final"):
    sel = paired_df[(paired_df.dataset == dataset) & (paired_df.metric == metric)
                    & (paired_df.a_method == method) & (paired_df.b_method == method)
                    & (paired_df.a_model == a_model) & (paired_df.b_model == b_model)]
    return sel.iloc[0]


def headline_rst(summary: pd.DataFrame, paired_df: pd.DataFrame, confidence: float,
                 config_hash: str | None = None) -> str:
    """The headline answer as reStructuredText (the report's front page includes it):
    final model vs full ensemble, accuracy and NLL, per dataset and method."""
    pct = int(round(confidence * 100))
    out = [line.replace("`", "``") for line in provenance_line(config_hash)]
    for dataset, sdf in summary.groupby("dataset", sort=False):
        lead = "snapshot" if "snapshot" in set(sdf.method) else sdf.method.iloc[0]
        acc, nll = _pair(paired_df, dataset, "accuracy", lead), _pair(paired_df, dataset, "nll", lead)
        out += [
            f"**{dataset}**, method ``{lead}``, {int(acc.n)} repeats: the ensemble of all snapshots "
            f"minus the final model is {acc.mean_diff:+.4f} in accuracy ({pct}% CI "
            f"{acc.ci_low:+.4f} to {acc.ci_high:+.4f}, Wilcoxon p = {_fmt_p(acc.p_value)}, "
            f"better in {acc.wins} of {int(acc.n)} repeats) and {nll.mean_diff:+.4f} in NLL "
            f"(CI {nll.ci_low:+.4f} to {nll.ci_high:+.4f}, p = {_fmt_p(nll.p_value)}, "
            f"better in {nll.wins} of {int(nll.n)}).",
            "",
            f".. list-table:: {dataset}: final model vs ensemble of all members (mean [{pct}% CI])",
            "   :header-rows: 1",
            "",
            "   * - method",
            "     - final accuracy",
            "     - ensemble accuracy",
            "     - difference (p)",
            "     - final NLL",
            "     - ensemble NLL",
            "     - difference (p)",
        ]
        for _, r in sdf.iterrows():
            cells = [f"``{r.method}``"]
            for metric in ("accuracy", "nll"):
                p = _pair(paired_df, dataset, metric, r.method)
                cells += [
                    _fmt_ci(r[f"final_{metric}_mean"], r[f"final_{metric}_ci_low"], r[f"final_{metric}_ci_high"]),
                    _fmt_ci(r[f"ensemble_{metric}_mean"], r[f"ensemble_{metric}_ci_low"], r[f"ensemble_{metric}_ci_high"]),
                    f"{p.mean_diff:+.4f} ({_fmt_p(p.p_value)})",
                ]
            out.append("   * - " + "\n     - ".join(cells))
        out.append("")
    return "\n".join(out) + "\n"
