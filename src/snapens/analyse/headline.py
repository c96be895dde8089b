"""The report's front page, ``headline.rst``: the answer in words and the
terms, then per dataset the lead method's ensemble against its final model,
its deep ensemble equivalent, the sweeps' sentences and the budget
question's table (:func:`budget_table`), and final model against ensemble
for every other method."""

from __future__ import annotations

import pandas as pd

from snapens.analyse import answer
from snapens.analyse.contract import COMPARISONS, column, pair
from snapens.analyse.dee_text import dee_sentence
from snapens.analyse.draws import draw_sentences
from snapens.analyse.glossary import glossary
from snapens.analyse.grid import comparisons_of, headline_metrics, judged, verdict
from snapens.analyse.limit_text import limit_sentences
from snapens.analyse.sweep_text import grid_digits, sweep_sentences
from snapens.analyse.wording import (
    cell,
    fmt_ci,
    interval_width,
    multiplicity_sentence,
    p_text,
    paragraphs,
    provenance_line,
    row_digits,
)
from snapens.core import numbers
from snapens.core.sweeps import label
from snapens.evaluate.metrics import METRICS


def _lead_method(dataset_summary: pd.DataFrame) -> str:
    """The method the front page leads with: ``snapshot``, else the first."""
    return "snapshot" if "snapshot" in set(dataset_summary.method) else dataset_summary.method.iloc[0]


def _lead_sentence(dataset_summary, paired_df, dataset, pct, shown, swept: bool) -> list[str]:
    """Final model vs ensemble of the lead method (:func:`_lead_method`), on
    the ``shown`` metrics; none where a sweep speaks for the dataset and it
    has no ``snapshot``."""
    if swept and "snapshot" not in set(dataset_summary.method):
        return []
    lead = _lead_method(dataset_summary)
    n = int(dataset_summary.set_index("method").loc[lead, "repeats"])
    parts = []
    for i, (name, m) in enumerate(shown.items()):
        p = pair(paired_df, dataset, name, lead)
        digits = numbers.decimals(interval_width(p.ci_low, p.ci_high))
        mean, low, high = (numbers.fmt(x, digits, True) for x in (p.mean_diff, p.ci_low, p.ci_high))
        parts.append(
            f"{mean} in {m.label} ({pct}% CI {low} to {high}, Holm-adjusted p = {p_text(p, True)}: "
            f"{p.verdict}, better in {p.wins} of {n} repeats)"
            if i == 0
            else f"{mean} in {m.label} (CI {low} to {high}, adjusted p = {p_text(p, True)}: {p.verdict}, "
            f"better in {p.wins} of {n})"
        )
    return [
        f"**{dataset}**, method ``{lead}``, {n} repeats: the ensemble of all snapshots "
        "minus the final model is " + " and ".join(parts) + ".",
        "",
    ]


BUDGET_METRICS = ("nll_calibrated_capped", "accuracy")  # the front page's table of the budget question


def _interval_cell(row, comparison: str, name: str, digits: int) -> str:
    """A budget table's cell: the point's mean difference against
    ``comparison`` with its simultaneous interval, marked by its verdict."""
    if verdict(row, name, comparison) == "not tested":
        return ""
    mark = {"better": " +", "worse": " -"}.get(verdict(row, name, comparison), "")
    mean, low, high = (row[column(comparison, name, stat)] for stat in ("mean", "sim_ci_low", "sim_ci_high"))
    return fmt_ci(mean, low, high, digits, signed=True) + mark


def budget_table(sweep: pd.DataFrame, dataset: str, pct: int) -> list[str]:
    """The front page's answer to the budget question, per judged swept method
    of ``dataset`` (``sweep``: ``sweep.csv``) with equal-cost baselines: for
    every grid point with more than one member, its ensemble minus the best
    single model and minus the equal-cost ensemble, with simultaneous
    intervals over the grid (at ``pct`` %) and the Holm-adjusted verdict."""
    out = []
    for base, grid_rows in judged(sweep[sweep.dataset == dataset]).groupby("base", sort=False):
        grid_rows = grid_rows[grid_rows.members > 1]
        comparisons = [c for c in ("single", "equal") if c in comparisons_of(grid_rows)]
        names = [n for n in BUDGET_METRICS if n in METRICS]
        if not len(grid_rows) or not comparisons:
            continue
        keys = grid_rows["swept"].iloc[0].split()
        out += [
            f".. list-table:: {dataset}, ``{base}`` at equal training cost: ensemble minus baseline, mean "
            f"[{pct}% simultaneous interval over the grid]; + / -: better / worse after Holm's adjustment",
            "   :header-rows: 1",
            "",
            "   * - grid point",
        ]
        out += [
            f"     - vs {COMPARISONS[c].replace(' at equal cost', '')}: {METRICS[n].label}"
            for c in comparisons
            for n in names
        ]
        for _, r in grid_rows.iterrows():
            cells = [label(keys, tuple(r[k] for k in keys))]
            cells += [
                _interval_cell(r, c, n, grid_digits(grid_rows, c, n)) for c in comparisons for n in names
            ]
            out.append("   * - " + "\n     - ".join(cells))
        out.append("")
    return out


def headline_rst(
    summary: pd.DataFrame,
    paired_df: pd.DataFrame,
    confidence: float,
    config_hash: str | None = None,
    sweep: pd.DataFrame | None = None,
    limits: pd.DataFrame | None = None,
    draws: dict[str, str] | None = None,
    dee: pd.DataFrame | None = None,
    study: dict | None = None,
) -> str:
    """The headline answer as reStructuredText (the report's front page includes it),
    from the study's tables (``summary.csv``, ``paired_tests.csv``, ``sweep.csv``,
    ``limits.csv``, ``deep_ensemble_equivalent.csv``) and ``study`` (the resolved
    config, whose hash is ``config_hash``): the answer in words and the terms,
    then whether the verdicts survive a new draw of the data (``draws``:
    :func:`snapens.data.kinds.redrawn_pairs`), then per dataset final model
    vs full ensemble on the headline metrics and the sweeps."""
    claims = answer.answer_claims(summary, paired_df, sweep, draws, confidence)
    out = answer.answer_text(claims, rst=True)
    out += glossary((study or {}).get("methods"), (study or {}).get("sweeps"), rst=True)
    out += [line.replace("`", "``") for line in provenance_line(config_hash)]
    out += [multiplicity_sentence(paired_df, confidence), ""]
    out += paragraphs(draw_sentences(summary, paired_df, draws or {}))
    for dataset, dataset_summary in summary.groupby("dataset", sort=False):
        out += _dataset_rst(dataset, dataset_summary, paired_df, confidence, sweep, limits, dee)
    return "\n".join(out) + "\n"


def _dataset_rst(dataset, dataset_summary, paired_df, confidence, sweep, limits, dee) -> list[str]:
    """One dataset: the lead method's sentence and deep ensemble equivalent,
    the sweeps' sentences and budget table, the limit, then the table of
    every method that is not a grid point."""
    pct = int(round(confidence * 100))
    swept = [] if sweep is None or not len(sweep) else sweep_sentences(sweep, dataset, confidence)
    lead = _lead_sentence(dataset_summary, paired_df, dataset, pct, headline_metrics(), bool(swept))
    out = [*lead, *(dee_sentence(dee, dataset, _lead_method(dataset_summary)) if lead else [])]
    out += paragraphs(swept) + paragraphs(limit_sentences(sweep, limits, dataset))
    if swept:
        out += budget_table(sweep, dataset, pct)
        # the grid points are the sweep's sentences and tables; here the other methods
        dataset_summary = dataset_summary[~dataset_summary.method.isin(set(sweep.method))]
    return out + _methods_table(dataset_summary, paired_df, dataset, pct)


def _methods_table(dataset_summary, paired_df, dataset: str, pct: int) -> list[str]:
    """Per method: final model, ensemble and their difference on each headline metric."""
    if not len(dataset_summary):
        return []
    shown = headline_metrics()
    out = [
        f".. list-table:: {dataset}: final model vs ensemble of all members (mean [{pct}% CI])",
        "   :header-rows: 1",
        "",
        "   * - method",
    ]
    for m in shown.values():
        out += [f"     - final {m.label}", f"     - ensemble {m.label}", "     - difference (Holm p)"]
    rows = [r for _, r in dataset_summary.iterrows()]
    pairs = {name: [pair(paired_df, dataset, name, r.method) for r in rows] for name in shown}
    digits = {name: row_digits(rows, (f"final_{name}", f"ensemble_{name}"), pairs[name]) for name in shown}
    for i, r in enumerate(rows):
        cells = [f"``{r.method}``"]
        for name in shown:
            p, d = pairs[name][i], digits[name]
            cells += [
                cell(r, f"final_{name}", d),
                cell(r, f"ensemble_{name}", d),
                f"{numbers.fmt(p.mean_diff, d, True)} ({p_text(p, holm=True)})",
            ]
        out.append("   * - " + "\n     - ".join(cells))
    return [*out, ""]
