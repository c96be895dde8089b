"""``summary.md``: the answer in words and the terms, how the numbers are
made, then per dataset final model against full ensemble on every metric,
the majority vote, the temperature fits at a bound, the diverged runs, the
weight averages and weighting, the deep ensemble equivalent
(:mod:`snapens.analyse.dee_text`) and the sweeps
(:mod:`snapens.analyse.sweep_text`); then the redrawn data
(:mod:`snapens.analyse.draws`). Every section follows
:data:`snapens.evaluate.metrics.METRICS`.
"""

from __future__ import annotations

import pandas as pd

from snapens.analyse import answer
from snapens.analyse.contract import BOUNDARY, DIVERGED_MEMBERS, DIVERGED_RUNS, EXTRA_MODELS, pair
from snapens.analyse.dee_text import dee_section
from snapens.analyse.draws import draw_section
from snapens.analyse.glossary import glossary
from snapens.analyse.grid import headline_metrics
from snapens.analyse.sweep_text import sweep_section
from snapens.analyse.wording import (
    cell,
    fmt_ci,
    multiplicity_sentence,
    p_text,
    procedure_text,
    provenance_line,
    row_digits,
)
from snapens.evaluate.metrics import METRICS, T_MAX, T_MIN, VOTE
from snapens.evaluate.scores import NONFINITE

EXTRA_TITLES = {
    "swa": ("All-snapshot weight average vs final model", "all-snapshot average", None),
    "swa_tail": (
        "Tail weight average vs all-snapshot weight average",
        "tail average",
        "The tail average takes the weights of the last half of the snapshots (rounded up), as SWA "
        "(Izmailov et al. 2018) averages late in training; the all-snapshot average includes the "
        "first, undertrained ones.",
    ),
    "weighted": (
        "Member weights fitted on a validation split vs equal weights",
        "weighted",
        "Weights minimise the log-loss on rows held out of the training data "
        "(never test data); these runs train on fewer rows, which the "
        "method-vs-method rows of paired_tests.csv price against the full-data methods.",
    ),
}


def _metric_section(dataset_summary, paired_df, dataset, name, m) -> list[str]:
    """Metric ``name`` (``m``): final model against full ensemble, per method."""
    lines = [
        f"### {m.label[0].upper() + m.label[1:]} ({m.direction})",
        "",
        "| method | repeats | final | ensemble | difference | p | p (Holm) | verdict | W/T/L |",
        "|---|---:|---|---|---|---:|---:|---|---|",
    ]
    rows = [r for _, r in dataset_summary.iterrows()]
    pairs = [pair(paired_df, dataset, name, r.method) for r in rows]
    digits = row_digits(rows, (f"final_{name}", f"ensemble_{name}"), pairs)
    for r, p in zip(rows, pairs, strict=True):
        diff = fmt_ci(p.mean_diff, p.ci_low, p.ci_high, digits, signed=True)
        lines.append(
            f"| {r.method} | {r.repeats} | {cell(r, f'final_{name}', digits)} "
            f"| {cell(r, f'ensemble_{name}', digits)} | {diff} | {p_text(p)} "
            f"| {p_text(p, holm=True)} | {p.verdict} | {p.wins}/{p.ties}/{p.losses} |"
        )
    return [*lines, ""]


def _versus_section(dataset_summary, paired_df, dataset, model) -> list[str]:
    """Rows comparing ``model`` with what it is measured against, for the methods that have it."""
    against = EXTRA_MODELS[model]
    title, label, note = EXTRA_TITLES[model]
    rows = [r for _, r in dataset_summary.iterrows() if not pd.isna(r[f"{model}_{next(iter(METRICS))}_mean"])]
    if not rows:
        return []
    shown = headline_metrics()
    header = " | ".join(f"{label} {m.label} | difference | p (Holm)" for m in shown.values())
    lines = [
        f"### {title}",
        "",
        *([note, ""] if note else []),
        f"| method | {header} |",
        "|---|" + "---|---|---:|" * len(shown),
    ]
    digits = {
        name: row_digits(
            rows,
            (f"{model}_{name}",),
            [pair(paired_df, dataset, name, r.method, model, against) for r in rows],
        )
        for name in shown
    }
    for r in rows:
        cells = []
        for name in shown:
            p = pair(paired_df, dataset, name, r.method, model, against)
            cells += [
                cell(r, f"{model}_{name}", digits[name]),
                fmt_ci(p.mean_diff, p.ci_low, p.ci_high, digits[name], True),
                p_text(p, holm=True),
            ]
        lines.append(f"| {r.method} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def summary_markdown(
    summary: pd.DataFrame,
    paired_df: pd.DataFrame,
    confidence: float,
    title: str,
    dee: pd.DataFrame | None = None,
    config_hash: str | None = None,
    sweep: pd.DataFrame | None = None,
    limits: pd.DataFrame | None = None,
    draws: dict[str, str] | None = None,
    study: dict | None = None,
) -> str:
    """``summary.md``, titled ``title``, from the study's tables
    (``summary.csv``, ``paired_tests.csv``, ``deep_ensemble_equivalent.csv``,
    ``sweep.csv``, ``limits.csv``): the answer in words
    (:mod:`snapens.analyse.answer`) and the terms, how the numbers are made
    (with ``config_hash``), then per dataset final model vs full ensemble and
    the other sections; ``draws`` maps a redrawn dataset to its fixed twin
    (:func:`snapens.data.kinds.redrawn_pairs`); ``study`` (the resolved
    config) names the methods."""
    pct = int(round(confidence * 100))
    lines = [
        f"# {title}",
        "",
        *answer.answer_text(answer.answer_claims(summary, paired_df, sweep, draws, confidence)),
        *glossary((study or {}).get("methods"), (study or {}).get("sweeps")),
        "## How the numbers are made",
        "",
        *provenance_line(config_hash),
        f"Means over repeats with {pct}% confidence intervals (Student t). "
        "*Final* is the last snapshot of each run (k = 1), *ensemble* the average of "
        "the probabilities of all M snapshots (declared in advance, not chosen on test data). "
        + procedure_text(pct)
        + " W/T/L counts repeats where the ensemble is better / equal / worse.",
        "",
        multiplicity_sentence(paired_df, confidence),
        "",
    ]
    for dataset, dataset_summary in summary.groupby("dataset", sort=False):
        lines += _dataset_markdown(dataset, dataset_summary, paired_df, pct, dee, sweep, limits)
    lines += draw_section(summary, paired_df, draws or {}, pct)
    return "\n".join(lines)


def _dataset_markdown(dataset, dataset_summary, paired_df, pct, dee, sweep, limits) -> list[str]:
    """One dataset's sections of ``summary.md``."""
    lines = [f"## {dataset}", ""]
    for name, m in METRICS.items():
        lines += _metric_section(dataset_summary, paired_df, dataset, name, m)
    lines += _vote_section(dataset_summary)
    lines += boundary_sentences(dataset_summary) + nonfinite_sentences(dataset_summary)
    for model in EXTRA_MODELS:
        lines += _versus_section(dataset_summary, paired_df, dataset, model)
    if dee is not None:
        lines += dee_section(dee[dee.dataset == dataset], pct)
    if sweep is not None and len(sweep):
        lines += sweep_section(sweep, dataset, pct, limits)
    return lines


def _vote_section(dataset_summary: pd.DataFrame) -> list[str]:
    """The majority vote's accuracy of each method's full ensemble."""
    return [
        f"### {VOTE.label.capitalize()} of the full ensemble",
        "",
        "| method | vote accuracy |",
        "|---|---|",
        *[
            f"| {r.method} | {cell(r, f'ensemble_{VOTE.name}', VOTE.digits)} |"
            for _, r in dataset_summary.iterrows()
        ],
        "",
    ]


def nonfinite_sentences(dataset_summary: pd.DataFrame) -> list[str]:
    """Which methods of ``dataset_summary`` (its rows of ``summary.csv``) had
    runs that diverged (a model with non-finite outputs,
    predicted uniformly on those rows, or a test row's loss beyond 744 nats),
    counted per method; the runs stay in every comparison."""
    out = []
    if DIVERGED_RUNS in dataset_summary:
        hit = dataset_summary[dataset_summary[DIVERGED_RUNS].fillna(0) > 0]
        if len(hit):
            listed = "; ".join(
                f"{r['method']}: {int(r[DIVERGED_RUNS])} of {int(r['repeats'])} runs "
                f"({int(r[DIVERGED_MEMBERS])} models)"
                for _, r in hit.iterrows()
            )
            out += [
                "Runs whose training diverged (a model with a non-finite output or a test row's loss beyond "
                f"744 nats, a probability below float64's smallest): {listed}. They stay in every "
                "comparison, scored as they predict; a capped NLL counts each of their rows at most 13.8 nats.",
                "",
            ]
    if NONFINITE in dataset_summary:
        hit = dataset_summary[dataset_summary[NONFINITE].fillna(0) > 0]
        if len(hit):
            listed = "; ".join(f"{r['method']}: {int(r[NONFINITE])} rows" for _, r in hit.iterrows())
            out += [
                "Non-finite outputs are predicted uniformly, costing log C each; rows so predicted, over all "
                f"repeats and models: {listed}.",
                "",
            ]
    return out


def boundary_sentences(dataset_summary: pd.DataFrame) -> list[str]:
    """Where temperature fits of ``dataset_summary``'s methods ended at a bound of the search (summary table's
    ``{model}_boundary_fits``; two fits per model and run), or that none did."""
    bounds = f"[{T_MIN:g}, {T_MAX:g}]"
    found = []
    for _, r in dataset_summary.iterrows():
        for model in ("member", "final", "ensemble", *EXTRA_MODELS):
            n = r.get(f"{model}_{BOUNDARY}")
            if pd.notna(n) and n > 0:
                fits = 2 * int(r["repeats"]) * (int(r["members"]) if model == "member" else 1)
                found.append(f"{r['method']} {model}: {int(n)} of {fits}")
    if not found:
        return [f"Every temperature fit (calibrated metrics) found its optimum inside {bounds}.", ""]
    return [
        f"Temperature fits that ended at a bound of {bounds} (the optimum lies beyond it, so the "
        f"calibrated metrics of these models are what the bound allows): {'; '.join(found)}.",
        "",
    ]
