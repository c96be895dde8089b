"""The budget question's figure, drawn from ``sweep.csv``, ``curves.csv`` and
``limits.csv``: each way of spending a training budget (a single model, a
snapshot ensemble, independent models sharing or each taking the budget)
against its total training cost."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from snapens.core import sweeps
from snapens.evaluate.metrics import METRICS
from snapens.report.style import WIDTH, legend_below, palette, panel_message, set_style, value_unit

FRONTIER_METRICS = ("nll_calibrated_capped", "accuracy")  # calibrated NLL first: comparable across models
COST_MARKERS = {"judged_single": ("*", 1.0), "judged": ("o", 0.89), "equal_cost": ("s", 1.12)}
COST_TICKS = (1, 2, 3, 5, 10, 20, 30, 50, 100, 200, 500, 1000)


def frontier(dataset: str, sweep: pd.DataFrame, curves: pd.DataFrame, limits: pd.DataFrame):
    """Each method's value against its total training cost, in units of one
    model's epoch budget: at cost 1 the single models, the snapshot ensembles
    and the equal-cost independent ensembles of every grid point (a point
    each); the full-cost independent ensembles of k = 1..M models at cost k,
    a line per rate; the Bayes-optimal limit where the data's densities are
    known. Means over repeats on all test rows; nothing is chosen, so every
    candidate is drawn."""
    from snapens.analyse.grid import judged

    set_style()
    names = [name for name in FRONTIER_METRICS if name in METRICS]
    fig, axes = plt.subplots(
        1, len(names), figsize=(min(WIDTH, 6.5 * len(names)), 5.6), squeeze=False, layout="constrained"
    )
    rows = sweep[sweep["dataset"] == dataset]
    roles = rows.get("role", pd.Series("", index=rows.index)).fillna("")
    bases = judged(rows)["base"].unique()
    question = f"{dataset}: at a given training cost, which way of spending it predicts best?"
    if not len(rows) or not len(bases):
        for ax in axes.flat[1:]:
            ax.remove()
        panel_message(axes.flat[0], f"no sweep with baselines on {dataset}")
        fig.suptitle(question)
        return fig
    others, colors = _rate_colors(rows[rows.base == bases[0]])
    limit = limits[limits["dataset"] == dataset] if limits is not None and len(limits) else limits
    has_limit = limit is not None and len(limit)
    full = list(rows[roles == "full_cost"]["method"])
    full_curves = (
        curves[(curves["dataset"] == dataset) & curves["method"].isin(full)] if len(curves) else curves
    )
    top = int(full_curves["k"].max()) if len(full_curves) else 1
    for ax, name in zip(axes.flat, names):
        _draw_cost_one(ax, rows, roles, others, colors, name)
        for method in full:
            point = rows[rows["method"] == method].iloc[0]
            curve = full_curves[full_curves["method"] == method].sort_values("k")
            color = colors.get(tuple(point[other] for other in others))
            ax.plot(curve["k"], curve[f"ensemble_{name}_mean"], lw=1.2, color=color)
        if has_limit:
            ax.axhline(float(limit[name].iloc[0]), color="black", ls="--", lw=1)
        _cost_axes(ax, METRICS[name], top)
    legend_below(fig, _frontier_legend(colors, others, has_limit), columns=3, fontsize="small")
    fig.suptitle(question + " (means over repeats, all test rows)")
    return fig


def _rate_colors(base_rows: pd.DataFrame) -> tuple[list[str], dict[tuple, tuple]]:
    """``(others, colors)``: the keys of the first judged sweep other than the
    one across, and a sequential colour per combination of their values."""
    _, others = sweeps.axes(base_rows["swept"].iloc[0])
    keys = sorted(dict.fromkeys(map(tuple, base_rows[others].itertuples(index=False, name=None))))
    return others, dict(zip(keys, palette("viridis", len(keys))))


def _draw_cost_one(ax, rows: pd.DataFrame, roles: pd.Series, others, colors, name: str) -> None:
    """At cost 1, a point per grid point of the judged sweep (a star for a
    single model) and of the equal-cost ensembles, each a little apart
    (:data:`COST_MARKERS`), coloured by its values of ``others``."""
    for role, marker_key in (("judged", None), ("equal_cost", "equal_cost")):
        for _, point in rows[roles == role].iterrows():
            kind = marker_key or ("judged_single" if point["members"] == 1 else "judged")
            marker, offset = COST_MARKERS[kind]
            ax.plot(
                offset,
                point[f"ensemble_{name}_mean"],
                marker=marker,
                ms=11 if marker == "*" else 5,
                ls="",
                color=colors.get(tuple(point[other] for other in others), "grey"),
                alpha=0.9,
                mec="black" if marker == "*" else "none",
            )


def _cost_axes(ax, metric, top: int) -> None:
    """Cost across on a log scale from 1 to ``top`` (ticked at the costs of
    :data:`COST_TICKS` drawn), ``metric`` (a :class:`snapens.evaluate.metrics.Metric`) up."""
    ax.set_xscale("log")
    ticks = sorted({tick for tick in COST_TICKS if tick <= top} | {top})
    ax.set_xticks(ticks, [str(tick) for tick in ticks])
    ax.minorticks_off()
    ax.set_xlim(0.75, top * 1.15)
    ax.set_xlabel("total training cost (in one model's epoch budgets)")
    ax.set_ylabel(f"{metric.label} ({value_unit(metric)}; {metric.direction})")
    ax.set_title(metric.label, fontsize="medium")


def _frontier_legend(colors: dict[tuple, tuple], others: list[str], has_limit: bool) -> list:
    """What each marker and line is, the limit if drawn, a colour per rate."""
    handles = [
        plt.Line2D([], [], marker="*", ls="", color="grey", mec="black", ms=11, label="single model (M = 1)"),
        plt.Line2D([], [], marker="o", ls="", color="grey", label="snapshot ensemble (M > 1), cost 1"),
        plt.Line2D([], [], marker="s", ls="", color="grey", label="independent ensemble sharing the budget"),
        plt.Line2D([], [], color="grey", label="independent models, full budget each (k = 1..M)"),
    ]
    if has_limit:
        handles.append(
            plt.Line2D([], [], color="black", ls="--", label="Bayes-optimal classifier (the limit)")
        )
    return handles + [
        plt.Line2D([], [], color=color, lw=4, label=sweeps.label(others, key))
        for key, color in colors.items()
    ]
