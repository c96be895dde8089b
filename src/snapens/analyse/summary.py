"""The study's readable answers: ``summary.md`` and the report's front-page
``headline.rst``, written from the summary, paired-test and DEE tables.

Both follow :data:`snapens.evaluate.metrics.METRICS`: ``summary.md`` has a section per
metric, the headline the metrics marked ``headline``.
"""

from __future__ import annotations

import pandas as pd

from snapens.analyse.tables import EXTRA_MODELS, pair
from snapens.core.sweeps import axes, label, value_label
from snapens.evaluate.metrics import METRICS, VOTE

EXTRA_TITLES = {
    "swa": ("Weight average of the snapshots (SWA style) vs final model", "SWA", None),
    "weighted": (
        "Member weights fitted on a validation split vs equal weights",
        "weighted",
        "Weights minimise the log-loss on rows held out of the training data "
        "(never test data); these runs train on fewer rows, which the "
        "method-vs-method rows of paired_tests.csv price against the full-data methods.",
    ),
}


def fmt_ci(mean, lo, hi, digits=3) -> str:
    if pd.isna(lo):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


def fmt_p(p) -> str:
    return "n/a" if pd.isna(p) else (f"{p:.2g}" if p >= 1e-4 else f"{p:.1e}")


def _cell(r, prefix: str, digits: int) -> str:
    return fmt_ci(r[f"{prefix}_mean"], r[f"{prefix}_ci_low"], r[f"{prefix}_ci_high"], digits)


def headline_metrics():
    """The metrics of the front page and of the SWA and weighting comparisons."""
    return {name: m for name, m in METRICS.items() if m.headline}


def provenance_line(config_hash: str | None) -> list[str]:
    if not config_hash:
        return []
    return [
        f"Study config hash: `{config_hash}` (SHA-256 of the resolved config without "
        "`execution`; `results/tables/study.json` holds that config).",
        "",
    ]


def _metric_section(sdf, paired_df, dataset, name, m) -> list[str]:
    lines = [
        f"### {m.label[0].upper() + m.label[1:]} ({m.direction})",
        "",
        "| method | repeats | final | ensemble | difference | p | W/T/L |",
        "|---|---:|---|---|---|---:|---|",
    ]
    for _, r in sdf.iterrows():
        p = pair(paired_df, dataset, name, r.method)
        diff = fmt_ci(p.mean_diff, p.ci_low, p.ci_high, digits=m.digits + 1)
        lines.append(
            f"| {r.method} | {r.repeats} | {_cell(r, f'final_{name}', m.digits)} "
            f"| {_cell(r, f'ensemble_{name}', m.digits)} | {diff} | {fmt_p(p.p_value)} "
            f"| {p.wins}/{p.ties}/{p.losses} |"
        )
    return [*lines, ""]


def _versus_section(sdf, paired_df, dataset, model) -> list[str]:
    """Rows comparing ``model`` with what it is measured against, for the methods that have it."""
    against = EXTRA_MODELS[model]
    title, label, note = EXTRA_TITLES[model]
    rows = [r for _, r in sdf.iterrows() if not pd.isna(r[f"{model}_{next(iter(METRICS))}_mean"])]
    if not rows:
        return []
    shown = headline_metrics()
    header = " | ".join(f"{label} {m.label} | difference | p" for m in shown.values())
    lines = [
        f"### {title}",
        "",
        *([note, ""] if note else []),
        f"| method | {header} |",
        "|---|" + "---|---|---:|" * len(shown),
    ]
    for r in rows:
        cells = []
        for name, m in shown.items():
            p = pair(paired_df, dataset, name, r.method, model, against)
            cells += [
                _cell(r, f"{model}_{name}", m.digits),
                fmt_ci(p.mean_diff, p.ci_low, p.ci_high, digits=m.digits + 1),
                fmt_p(p.p_value),
            ]
        lines.append(f"| {r.method} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _dee_section(d: pd.DataFrame, pct: int) -> list[str]:
    if not len(d):
        return []
    r0 = d.iloc[0]
    return [
        f"### Deep ensemble equivalent (NLL, reference: {r0.reference})",
        "",
        f"How many independently trained models (`{r0.reference}`: ensembles of k of its "
        f"{int(r0.reference_members)} models, NLL averaged over the k-member subsets) give the "
        f"mean NLL of each method's full ensemble; {pct}% percentile bootstrap interval over "
        f"repeats ({int(r0.bootstrap_resamples)} resamples). "
        f'"> {int(r0.reference_members)}": better than the whole reference ensemble; "< 1": '
        "worse than one model.",
        "",
        "| method | mean NLL of the ensemble | independent models of equal NLL [interval] |",
        "|---|---|---|",
        *[f"| {r.method} | {r.nll_mean:.4f} | {r.dee_text} |" for _, r in d.iterrows()],
        "",
    ]


# --- sweeps ---------------------------------------------------------------------


def verdict(row, name: str) -> str:
    """Of a ``sweep.csv`` row and metric: ``"better"`` when the CI of ensemble
    minus final lies wholly on the ensemble's good side, ``"worse"`` when wholly
    on the other, else ``"unclear"`` (the interval covers zero)."""
    lo, hi = row[f"diff_{name}_ci_low"], row[f"diff_{name}_ci_high"]
    if pd.isna(lo) or pd.isna(hi) or lo <= 0 <= hi:
        return "unclear"
    gain_up = METRICS[name].higher_is_better
    return "better" if (lo > 0) == gain_up else "worse"


def gain(row, name: str) -> float:
    """Ensemble minus final, signed so that positive favours the ensemble."""
    d = row[f"diff_{name}_mean"]
    return d if METRICS[name].higher_is_better else -d


def point_text(row) -> str:
    keys = row["swept"].split()
    return label(keys, tuple(row[k] for k in keys))


def _points(g: pd.DataFrame, rows) -> str:
    """Grid points as "lr_max 0.1: members 10, 25; lr_max 0.3: members 50"
    (grouped by every key but the one across, :func:`snapens.sweeps.axes`,
    whose values are listed)."""
    if not len(rows):
        return ""
    x, others = axes(g["swept"].iloc[0])
    groups: dict[str, list[str]] = {}
    for r in rows:
        groups.setdefault(label(others, tuple(r[k] for k in others)), []).append(value_label(r[x]))
    return "; ".join(
        f"{key}: {x} {', '.join(v)}" if key else f"{x} {', '.join(v)}" for key, v in groups.items()
    )


def sweep_sentences(sweep: pd.DataFrame, dataset: str) -> list[str]:
    """Per swept method of ``dataset``: where the ensemble pays and where it is
    worse, on each headline metric, and its best grid point."""
    out = []
    shown = headline_metrics()
    for base, g in sweep[sweep.dataset == dataset].groupby("base", sort=False):
        n, reps = len(g), int(g.repeats.min())
        parts, rows = [], [r for _, r in g.iterrows()]
        for name, m in shown.items():
            better = [r for r in rows if verdict(r, name) == "better"]
            worse = [r for r in rows if verdict(r, name) == "worse"]
            where = f" ({_points(g, better)})" if better else ""
            against = f" ({_points(g, worse)})" if worse and len(worse) <= n // 2 else ""
            parts.append(f"in {m.label} at {len(better)} of {n}{where}, worse at {len(worse)}{against}")
        best_name = next((name for name, m in shown.items() if not m.count), "nll")
        best = max(g.itertuples(index=False), key=lambda r: gain(r._asdict(), best_name))._asdict()
        m = METRICS[best_name]
        out.append(
            f"Sweep of ``{base}`` on {dataset} ({n} grid points, {reps} repeats each). The ensemble "
            "of all snapshots beats the final model (confidence interval clear of zero) "
            + "; ".join(parts)
            + f". The largest {m.label} gain is at {point_text(best)}: "
            f"ensemble minus final {best[f'diff_{best_name}_mean']:+.4f} "
            f"[{best[f'diff_{best_name}_ci_low']:+.4f}, {best[f'diff_{best_name}_ci_high']:+.4f}], "
            f"worth {best['dee_text']} independently trained models (deep ensemble equivalent)."
        )
    return out


def calibration_share(row) -> float:
    """Of a ``sweep.csv`` row: the share of the ensemble's NLL gain over the
    final model that is left after temperature scaling (calibrated-NLL gain /
    raw NLL gain), where the raw gain is clear of zero; else NaN. Near 1: the
    gain is more than calibration; near 0 or below: calibration explains it."""
    if verdict(row, "nll") != "better":
        return float("nan")
    return float(row["diff_nll_calibrated_mean"] / row["diff_nll_mean"])


def _grid_table(g: pd.DataFrame, title: str, cell) -> list[str]:
    """A markdown table of one swept method's grid points, laid out by
    :func:`snapens.sweeps.axes`; ``cell(row)`` is each point's text."""
    cols, rows_key = axes(g["swept"].iloc[0])
    col_values = sorted(dict.fromkeys(g[cols]))
    lines = [
        f"#### {title}, columns: {cols}",
        "",
        "| "
        + (" ".join(rows_key) or "point")
        + " | "
        + " | ".join(value_label(v) for v in col_values)
        + " |",
        "|---|" + "---:|" * len(col_values),
    ]
    for key, h in g.groupby(rows_key or (lambda _: ""), sort=False):
        name = " ".join(value_label(v) for v in (key if isinstance(key, tuple) else (key,)))
        cells = {r[cols]: r for _, r in h.iterrows()}
        lines.append(
            f"| {name or '-'} | "
            + " | ".join("" if v not in cells else cell(cells[v]) for v in col_values)
            + " |"
        )
    return lines + [""]


def _sweep_section(sweep: pd.DataFrame, dataset: str, pct: int) -> list[str]:
    """Per swept method and headline metric: ensemble minus final over the grid;
    then the share of the NLL gain that temperature scaling leaves."""
    part = sweep[sweep.dataset == dataset]
    if not len(part):
        return []
    lines = [
        "### Sweeps",
        "",
        *sweep_sentences(sweep, dataset),
        "",
        f"Ensemble minus final model, mean over repeats; `+`/`-`: the {pct}% CI lies wholly "
        "on the ensemble's better/worse side; unmarked: it covers zero.",
        "",
    ]
    marks = {"better": "+", "worse": "-", "unclear": ""}
    calibrated = {"nll", "nll_calibrated"} <= set(METRICS)
    for base, g in part.groupby("base", sort=False):
        for name, m in headline_metrics().items():
            lines += _grid_table(
                g,
                f"{base}: {m.label} ({m.direction})",
                lambda r, name=name, m=m: (
                    f"{r[f'diff_{name}_mean']:+.{m.digits + 1}f}{marks[verdict(r, name)]}"
                ),
            )
        if calibrated:
            lines += [
                "How much of the ensemble's NLL gain is more than calibration: the "
                "calibrated-NLL gain as a share of the raw NLL gain, where the raw gain's "
                "CI is clear of zero (1: all of it survives temperature scaling; 0 or "
                "below: calibration explains it all).",
                "",
            ]
            lines += _grid_table(
                g,
                f"{base}: share of the NLL gain left after temperature scaling",
                lambda r: "" if pd.isna(share := calibration_share(r)) else f"{share:.2f}",
            )
    return lines


def summary_markdown(
    summary: pd.DataFrame,
    paired_df: pd.DataFrame,
    confidence: float,
    title: str,
    dee: pd.DataFrame | None = None,
    config_hash: str | None = None,
    sweep: pd.DataFrame | None = None,
) -> str:
    """A readable account of the headline comparison: final model vs full ensemble."""
    pct = int(round(confidence * 100))
    lines = [
        f"# {title}",
        "",
        *provenance_line(config_hash),
        f"Means over repeats with {pct}% confidence intervals (Student t). "
        "*Final* is the last snapshot of each run (k = 1), *ensemble* the average of "
        "the probabilities of all M snapshots (declared in advance, not chosen on test data). "
        "Differences are ensemble minus final, paired by seed and computed exactly (accuracy "
        "on counts of test rows); p from the two-sided Wilcoxon signed-rank test; W/T/L "
        "counts repeats where the ensemble is better / equal / worse.",
        "",
    ]
    for dataset, sdf in summary.groupby("dataset", sort=False):
        lines += [f"## {dataset}", ""]
        for name, m in METRICS.items():
            lines += _metric_section(sdf, paired_df, dataset, name, m)
        lines += [
            f"### {VOTE.label.capitalize()} of the full ensemble",
            "",
            "| method | vote accuracy |",
            "|---|---|",
            *[
                f"| {r.method} | {_cell(r, f'ensemble_{VOTE.name}', VOTE.digits)} |"
                for _, r in sdf.iterrows()
            ],
            "",
        ]
        for model in EXTRA_MODELS:
            lines += _versus_section(sdf, paired_df, dataset, model)
        if dee is not None:
            lines += _dee_section(dee[dee.dataset == dataset], pct)
        if sweep is not None and len(sweep):
            lines += _sweep_section(sweep, dataset, pct)
    return "\n".join(lines)


def _lead_sentence(sdf, paired_df, dataset, pct, shown, swept: bool) -> list[str]:
    """Final model vs ensemble of ``snapshot`` (else the first method, unless a
    sweep speaks for the dataset)."""
    if "snapshot" in set(sdf.method):
        lead = "snapshot"
    elif swept:
        return []
    else:
        lead = sdf.method.iloc[0]
    n = int(sdf.set_index("method").loc[lead, "repeats"])
    parts = []
    for i, (name, m) in enumerate(shown.items()):
        p = pair(paired_df, dataset, name, lead)
        parts.append(
            f"{p.mean_diff:+.4f} in {m.label} ({pct}% CI {p.ci_low:+.4f} to {p.ci_high:+.4f}, "
            f"Wilcoxon p = {fmt_p(p.p_value)}, better in {p.wins} of {n} repeats)"
            if i == 0
            else f"{p.mean_diff:+.4f} in {m.label} (CI {p.ci_low:+.4f} to {p.ci_high:+.4f}, "
            f"p = {fmt_p(p.p_value)}, better in {p.wins} of {n})"
        )
    return [
        f"**{dataset}**, method ``{lead}``, {n} repeats: the ensemble of all snapshots "
        "minus the final model is " + " and ".join(parts) + ".",
        "",
    ]


def headline_rst(
    summary: pd.DataFrame,
    paired_df: pd.DataFrame,
    confidence: float,
    config_hash: str | None = None,
    sweep: pd.DataFrame | None = None,
) -> str:
    """The headline answer as reStructuredText (the report's front page includes it):
    final model vs full ensemble on the headline metrics, per dataset and method."""
    pct = int(round(confidence * 100))
    shown = headline_metrics()
    out = [line.replace("`", "``") for line in provenance_line(config_hash)]
    for dataset, sdf in summary.groupby("dataset", sort=False):
        swept = [] if sweep is None or not len(sweep) else sweep_sentences(sweep, dataset)
        out += [
            *_lead_sentence(sdf, paired_df, dataset, pct, shown, bool(swept)),
            *[line for text in swept for line in (text, "")],
        ]
        out += [
            f".. list-table:: {dataset}: final model vs ensemble of all members (mean [{pct}% CI])",
            "   :header-rows: 1",
            "",
            "   * - method",
        ]
        for m in shown.values():
            out += [f"     - final {m.label}", f"     - ensemble {m.label}", "     - difference (p)"]
        for _, r in sdf.iterrows():
            cells = [f"``{r.method}``"]
            for name, m in shown.items():
                p = pair(paired_df, dataset, name, r.method)
                cells += [
                    _cell(r, f"final_{name}", m.digits),
                    _cell(r, f"ensemble_{name}", m.digits),
                    f"{p.mean_diff:+.4f} ({fmt_p(p.p_value)})",
                ]
            out.append("   * - " + "\n     - ".join(cells))
        out.append("")
    return "\n".join(out) + "\n"
