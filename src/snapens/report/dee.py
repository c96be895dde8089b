"""The deep ensemble equivalent figure: how many independently trained
models of the reference each method's full ensemble is worth, with its
bootstrap interval, drawn from ``deep_ensemble_equivalent.csv``."""

from __future__ import annotations

import math
import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from snapens.core import sweeps
from snapens.report.style import METHOD_COLORS, panel_message, set_style


def reference_name(row, study: dict | None) -> str:
    """The DEE reference of a ``deep_ensemble_equivalent.csv`` row, with its
    rate: the one chosen (``reference_chosen``) or, when nothing was chosen,
    the one the study configures for it (``study``: ``study.json``'s
    contents); never "nan"."""
    reference = str(row["reference"])
    chosen, selection = row.get("reference_chosen"), row.get("selection")
    if isinstance(chosen, str) and chosen.strip():
        was_chosen = isinstance(selection, str) and selection.strip()
        how = " (chosen on the odd seeds and one test fold)" if was_chosen else ""
        return f"{reference} at {chosen}{how}"
    config = (study or {}).get("config", {})
    grid = config.get("sweeps", {}).get(reference, {})
    schedule = config.get("methods", {}).get(reference, {}).get("schedule", {})
    for key in ("lr_max", "lr"):
        values = grid.get(key, [schedule[key]] if key in schedule else [])
        if len(values) == 1:
            return f"{reference} at {key} {sweeps.value_label(values[0])}"
    return reference


def deep_ensemble_equivalent(dataset: str, dee: pd.DataFrame, study: dict | None = None):
    """Deep ensemble equivalent of each method's full ensemble with its
    bootstrap interval, where the reference's curve identifies one
    (``identified``; elsewhere "not identifiable"); a value beyond the
    reference curve is drawn at its end and labelled "> M" or "< 1", never
    as a number. The reference is named with its rate (``study``:
    ``study.json``'s contents, :func:`reference_name`)."""
    from snapens.analyse.contract import DEE_METRICS

    set_style()
    question = f"{dataset}: how many independently trained models is each ensemble worth?"
    rows = dee[dee["dataset"] == dataset]
    primary = next((metric for metric in DEE_METRICS if metric in set(rows["metric"])), None)
    rows = rows[rows["metric"] == primary].reset_index(drop=True)
    if not len(rows):
        return _message_figure(_no_reference(dataset, dee), question, height=2.2)
    top = int(rows["reference_members"].iloc[0])
    reference = reference_name(rows.iloc[0], study)
    identified = _identified(rows)
    why = _why_not_identified(rows, primary, top)
    if not identified.any():
        text = f"Not identifiable for any method on {dataset}. Reference: {reference}; {why}."
        return _message_figure(text, question, height=2.4)
    fig, ax = plt.subplots(figsize=(9.5, 0.4 * len(rows) + 2.2), layout="constrained")
    _draw_equivalents(ax, rows, identified, top)
    _equivalent_axes(ax, rows, primary, top)
    notes = [f"reference: {reference}"]
    if (~identified).any():
        notes.append(f"not identifiable: {why}")
    ax.set_title("\n".join([question, *(textwrap.fill(note, 100) for note in notes)]), fontsize="small")
    return fig


def _message_figure(text: str, question: str, height: float):
    """A figure of one panel saying why there is no value to draw, under the question."""
    fig, ax = plt.subplots(figsize=(9, height), layout="constrained")
    panel_message(ax, text)
    ax.set_title(question)
    return fig


def _no_reference(dataset: str, dee: pd.DataFrame) -> str:
    """Why ``dataset`` has no deep ensemble equivalent: no reference curve on
    it (naming the reference of the other datasets, if any)."""
    elsewhere = list(dict.fromkeys(dee["reference"].astype(str))) if len(dee) else []
    if not elsewhere:
        return (
            "No deep ensemble equivalent: no method of this study trains independent members, "
            "so there is no reference curve to count models on."
        )
    where = ", ".join(dict.fromkeys(dee["dataset"].astype(str)))
    return (
        f"No deep ensemble equivalent on {dataset}: none of its methods trains independent "
        f"members, so there is no reference curve. The reference elsewhere, "
        f"{' / '.join(elsewhere)} (on {where}), was not run on {dataset}."
    )


def _identified(rows: pd.DataFrame) -> pd.Series:
    """Per row: whether the reference's curve identifies its value (``identified``
    is "yes", every row when the table has no such column) and it has one."""
    identified = (
        rows["identified"].astype(str).eq("yes")
        if "identified" in rows
        else pd.Series(True, index=rows.index)
    )
    return identified & rows["dee"].notna()


def _why_not_identified(rows: pd.DataFrame, primary: str, top: int) -> str:
    """Why a value is not identifiable: the reference's gain from 1 to ``top``
    models in metric ``primary`` is within the noise, or it has no curve."""
    from snapens.analyse.grid import dee_label

    gain = rows["reference_gain"].iloc[0] if "reference_gain" in rows else math.nan
    if not np.isfinite(gain):
        return "the reference has too few repeats for a curve"
    return (
        f"the reference gains {gain:.4f} nats of {dee_label(primary)} from 1 to {top} "
        "models, within the uncertainty of placing a value on its curve"
    )


def _draw_equivalents(ax, rows: pd.DataFrame, identified: pd.Series, top: int) -> None:
    """A row per method: its value and interval, values beyond the curve of
    1 to ``top`` models at its ends (open circle, arrow), labelled as
    :func:`snapens.analyse.dee.fmt` writes them; "not identifiable" elsewhere."""
    from snapens.analyse.dee import ABOVE, BELOW, fmt

    lo_edge, hi_edge = 0.5, top + 0.8  # where "< 1" and "> M" are drawn
    color = METHOD_COLORS[0]

    def place(value):
        return hi_edge if value == ABOVE else lo_edge if value == BELOW else value

    for i, row in rows.iterrows():
        if not identified[i]:  # the curve's gain is within the noise of placing this value on it
            ax.text(
                (1 + top) / 2, i, "not identifiable", ha="center", va="center", fontsize="small", color="grey"
            )
            continue
        point, low, high = place(row.dee), place(row.dee_ci_low), place(row.dee_ci_high)
        ax.plot([low, high], [i, i], color=color, lw=2)
        for bound in {row.dee_ci_low, row.dee_ci_high} & {ABOVE, BELOW}:  # arrows past the curve's ends
            ax.plot(place(bound), i, marker=">" if bound == ABOVE else "<", color=color, ms=7)
        censored = row.dee in (ABOVE, BELOW)
        ax.plot(point, i, "o", ms=7, color=color, mfc="white" if censored else color)
        ax.annotate(
            fmt(row.dee, members=top),
            (point, i),
            textcoords="offset points",
            xytext=(0, 5),
            ha="center",
            va="bottom",
            fontsize="x-small",
        )


def _equivalent_axes(ax, rows: pd.DataFrame, primary: str, top: int) -> None:
    """The methods down, models across (1 and ``top`` marked), its label."""
    from snapens.analyse.grid import dee_label

    ax.axvline(top, color="grey", lw=1, ls="--")
    ax.axvline(1, color="grey", lw=1, ls=":")
    ax.set_xlim(0.2, top + 1.2)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=8, integer=True))
    ax.set_yticks(range(len(rows)), rows["method"])
    ax.tick_params(axis="y", labelsize="small" if len(rows) < 30 else "x-small")
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlabel(
        f"independently trained models of the reference of equal mean {dee_label(primary)} (1 to {top}; "
        "open circle and arrow: beyond the curve)",
        fontsize="small",
    )
