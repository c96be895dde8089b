"""The study's readable answers: ``summary.md`` and the report's front-page
``headline.rst``, written from the summary, paired-test and DEE tables.

Both follow :data:`snapens.metrics.METRICS`: ``summary.md`` has a section per
metric, the headline the metrics marked ``headline``.
"""

from __future__ import annotations

import pandas as pd

from snapens.metrics import METRICS, VOTE
from snapens.tables import EXTRA_MODELS

EXTRA_TITLES = {
    "swa": ("Weight average of the snapshots (SWA style) vs final model", "SWA", None),
    "weighted": (
        "Member weights fitted on a validation split vs equal weights", "weighted",
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


def pair(paired_df, dataset, metric, method, a_model="ensemble", b_model="final"):
    """The row of ``paired_df`` comparing two models of one method."""
    sel = paired_df[(paired_df.dataset == dataset) & (paired_df.metric == metric)
                    & (paired_df.a_method == method) & (paired_df.b_method == method)
                    & (paired_df.a_model == a_model) & (paired_df.b_model == b_model)]
    return sel.iloc[0]


def provenance_line(config_hash: str | None) -> list[str]:
    if not config_hash:
        return []
    return [f"Study config hash: `{config_hash}` (SHA-256 of the resolved config without "
            "`execution`; `results/tables/study.json` holds that config).", ""]


def _metric_section(sdf, paired_df, dataset, name, m) -> list[str]:
    lines = [f"### {m.label[0].upper() + m.label[1:]} ({m.direction})", "",
             "| method | repeats | final | ensemble | difference | p | W/T/L |",
             "|---|---:|---|---|---|---:|---|"]
    for _, r in sdf.iterrows():
        p = pair(paired_df, dataset, name, r.method)
        diff = fmt_ci(p.mean_diff, p.ci_low, p.ci_high, digits=m.digits + 1)
        lines.append(f"| {r.method} | {r.repeats} | {_cell(r, f'final_{name}', m.digits)} "
                     f"| {_cell(r, f'ensemble_{name}', m.digits)} | {diff} | {fmt_p(p.p_value)} "
                     f"| {p.wins}/{p.ties}/{p.losses} |")
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
    lines = [f"### {title}", "", *([note, ""] if note else []), f"| method | {header} |",
             "|---|" + "---|---|---:|" * len(shown)]
    for r in rows:
        cells = []
        for name, m in shown.items():
            p = pair(paired_df, dataset, name, r.method, model, against)
            cells += [_cell(r, f"{model}_{name}", m.digits),
                      fmt_ci(p.mean_diff, p.ci_low, p.ci_high, digits=m.digits + 1), fmt_p(p.p_value)]
        lines.append(f"| {r.method} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _dee_section(d: pd.DataFrame, pct: int) -> list[str]:
    if not len(d):
        return []
    r0 = d.iloc[0]
    return [
        f"### Deep ensemble equivalent (NLL, reference: {r0.reference})", "",
        f"How many independently trained models (`{r0.reference}`: ensembles of k of its "
        f"{int(r0.reference_members)} models, NLL averaged over the k-member subsets) give the "
        f"mean NLL of each method's full ensemble; {pct}% percentile bootstrap interval over "
        f"repeats ({int(r0.bootstrap_resamples)} resamples). "
        f"\"> {int(r0.reference_members)}\": better than the whole reference ensemble; \"< 1\": "
        "worse than one model.", "",
        "| method | mean NLL of the ensemble | independent models of equal NLL [interval] |",
        "|---|---|---|",
        *[f"| {r.method} | {r.nll_mean:.4f} | {r.dee_text} |" for _, r in d.iterrows()],
        "",
    ]


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
        "Differences are ensemble minus final, paired by seed and computed exactly (accuracy "
        "on counts of test rows); p from the two-sided Wilcoxon signed-rank test; W/T/L "
        "counts repeats where the ensemble is better / equal / worse.",
        "",
    ]
    for dataset, sdf in summary.groupby("dataset", sort=False):
        lines += [f"## {dataset}", ""]
        for name, m in METRICS.items():
            lines += _metric_section(sdf, paired_df, dataset, name, m)
        lines += [f"### {VOTE.label.capitalize()} of the full ensemble", "",
                  "| method | vote accuracy |", "|---|---|",
                  *[f"| {r.method} | {_cell(r, f'ensemble_{VOTE.name}', VOTE.digits)} |"
                    for _, r in sdf.iterrows()], ""]
        for model in EXTRA_MODELS:
            lines += _versus_section(sdf, paired_df, dataset, model)
        if dee is not None:
            lines += _dee_section(dee[dee.dataset == dataset], pct)
    return "\n".join(lines)


def headline_rst(summary: pd.DataFrame, paired_df: pd.DataFrame, confidence: float,
                 config_hash: str | None = None) -> str:
    """The headline answer as reStructuredText (the report's front page includes it):
    final model vs full ensemble on the headline metrics, per dataset and method."""
    pct = int(round(confidence * 100))
    shown = headline_metrics()
    out = [line.replace("`", "``") for line in provenance_line(config_hash)]
    for dataset, sdf in summary.groupby("dataset", sort=False):
        lead = "snapshot" if "snapshot" in set(sdf.method) else sdf.method.iloc[0]
        n = int(sdf.set_index("method").loc[lead, "repeats"])
        parts = []
        for i, (name, m) in enumerate(shown.items()):
            p = pair(paired_df, dataset, name, lead)
            parts.append(
                f"{p.mean_diff:+.4f} in {m.label} ({pct}% CI {p.ci_low:+.4f} to {p.ci_high:+.4f}, "
                f"Wilcoxon p = {fmt_p(p.p_value)}, better in {p.wins} of {n} repeats)" if i == 0 else
                f"{p.mean_diff:+.4f} in {m.label} (CI {p.ci_low:+.4f} to {p.ci_high:+.4f}, "
                f"p = {fmt_p(p.p_value)}, better in {p.wins} of {n})")
        out += [
            f"**{dataset}**, method ``{lead}``, {n} repeats: the ensemble of all snapshots "
            "minus the final model is " + " and ".join(parts) + ".",
            "",
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
                cells += [_cell(r, f"final_{name}", m.digits), _cell(r, f"ensemble_{name}", m.digits),
                          f"{p.mean_diff:+.4f} ({fmt_p(p.p_value)})"]
            out.append("   * - " + "\n     - ".join(cells))
        out.append("")
    return "\n".join(out) + "\n"
