"""Figures of each method's training and runs: the learning-rate schedules,
the learning curves, the tutorial's plot across repeats, the paired
differences of ensemble and final model, and every way of using a method's
members side by side."""

from __future__ import annotations

import math
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from snapens.evaluate.metrics import METRICS
from snapens.report.style import (
    METHOD_COLORS,
    WIDTH,
    diff_label,
    grid_point,
    legend_below,
    line_colors,
    method_styles,
    methods_of,
    panel_grid,
    panel_groups,
    percent,
    set_style,
    two_lines,
    value_unit,
)
from snapens.train.budget import MethodBudget
from snapens.train.schedules import learning_rates

# --- training: schedules and learning curves ----------------------------------------


def lr_schedules(dataset: str, schedules: dict[str, Any]):
    """Each method's learning rate at every iteration, snapshots marked.

    ``schedules["methods"]`` holds each method's budget as
    :meth:`snapens.train.budget.MethodBudget.record` gives it (its
    ``schedule``, ``members``, ``ensemble``, ``epochs`` of each trained model
    and ``steps_per_epoch``, from the rows it trains on). A sweep's grid
    points share a panel per base method and value across, a line per value
    of the other keys.
    """
    set_style()
    records = schedules["methods"]
    groups = panel_groups(records)
    styles = method_styles(records)
    colors = line_colors(label for _, lines in groups for _, label in lines if len(lines) > 1)
    fig, axes = panel_grid(len(groups), 3, 5.0, 2.7, sharey=True)
    for ax, (title, lines) in zip(axes.flat, groups):
        for method, label in lines:
            own = styles[method]["color"]
            color = colors.get(label, own) if len(lines) > 1 else own
            _draw_schedule(ax, MethodBudget.from_record(records[method]), color)
        first = MethodBudget.from_record(records[lines[0][0]])
        ax.set_title(_schedule_title(title, first, grouped=len(lines) > 1), fontsize="medium")
        ax.set_xlabel("epoch")
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5))
    for ax in axes[:, 0]:
        ax.set_ylabel("learning rate")
    handles = [plt.Line2D([], [], marker="v", ls="", color="grey", mec="black", label="snapshot taken")]
    handles += [plt.Line2D([], [], color=color, lw=2, label=label) for label, color in colors.items()]
    legend_below(fig, handles, columns=6)
    fig.suptitle(f"{dataset}: learning rate per iteration and where each snapshot is taken")
    return fig


def _draw_schedule(ax, budget: MethodBudget, color) -> None:
    """One trained model's rate per iteration (x in epochs), its snapshots
    marked at the last iteration of their epochs (independent members each
    at its model's last epoch: one mark)."""
    steps = budget.steps_per_epoch
    rates = learning_rates(budget.schedule, budget.schedule_budget, per="step")
    ax.plot(np.arange(len(rates)) / steps, rates, lw=1, color=color)
    marks = sorted(set(budget.snapshot_epochs))
    last_steps = [(epoch + 1) * steps - 1 for epoch in marks]
    ax.plot(
        np.asarray(marks) + 1 - 1 / steps,
        rates[last_steps],
        "v",
        ms=5,
        color=color,
        mec="black",
        mew=0.5,
        clip_on=False,
    )


def _schedule_title(title: str, budget: MethodBudget, grouped: bool) -> str:
    """A schedule panel's title: a method's name and schedule on one line, a
    grid point's group (``grouped``) on two; the runs of independent members."""
    how = f"({budget.schedule['name']}, {budget.steps_per_epoch} steps/epoch)"
    runs = [f"{budget.members} independent runs"] if budget.independent else []
    head = [title, how] if grouped else [f"{title} {how}"]
    return "\n".join(head + runs)


def _log_axis(axis, values) -> None:
    """A log scale labelled in plain numbers, at 1, 2, 3 and 5 of each decade
    on a range of ``values`` within a decade, fewer on longer ranges (no
    minor labels: on a short range they run into each other)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    positive = np.asarray(values, dtype=float)
    positive = positive[np.isfinite(positive) & (positive > 0)]
    decades = math.log10(positive.max() / positive.min()) if positive.size else 0.0
    subs = (1.0, 2.0, 3.0, 5.0) if decades < 1.2 else (1.0, 2.0, 5.0) if decades < 3 else (1.0,)
    axis.axes.set_yscale("log") if axis.axis_name == "y" else axis.axes.set_xscale("log")
    axis.set_major_locator(LogLocator(subs=subs))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


LEARNING_PANELS = (
    ("lr", "learning rate"),
    ("loss", "training loss (log scale)"),
    ("accuracy", "training accuracy"),
)


def learning_curves(dataset: str, learning: pd.DataFrame):
    """Learning rate, training loss and accuracy per epoch, mean over
    repeats: one row with every method (each its colour, line style and
    markers, so equal curves both show); a sweep's grid points a row per
    base method and value across, a line per value of the other keys."""
    set_style()
    styles = method_styles(methods_of(learning))
    table = learning[learning["dataset"] == dataset]
    rows = _curve_rows(methods_of(table))
    colors = line_colors(label for title, lines in rows if title for _, label in lines)
    fig, axes = plt.subplots(
        len(rows), 3, figsize=(WIDTH, 2.9 * len(rows) + 0.9), squeeze=False, layout="constrained"
    )
    for row, (title, lines) in zip(axes, rows):
        for position, (method, label) in enumerate(lines):
            curve = table[table["method"] == method].sort_values("epoch")
            epochs = curve["epoch"].to_numpy()
            every = max(1, len(epochs) // 8)
            if title:  # a sweep's row: one colour per value, solid lines
                style = {"color": colors[label], "ls": "-"}
            else:
                # markers spaced along the curve, each method's shifted, so no two stack
                style = {
                    **styles[method],
                    "markevery": (position * every // max(len(lines), 1), every),
                    "ms": 4,
                }
            for ax, (column, _) in zip(row, LEARNING_PANELS):
                ax.plot(epochs, curve[column], lw=1.1, label=label, **style)
        for ax, (_, name) in zip(row, LEARNING_PANELS):
            ax.set_ylabel(name)
            ax.set_xlabel("epoch")
            if title:
                ax.set_title(title, fontsize="medium")
        _log_axis(row[1].yaxis, table[table["method"].isin([method for method, _ in lines])]["loss"])
        if lines:
            row[2].legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small", frameon=False)
    fig.suptitle(f"{dataset}: learning curves (mean over repeats; independent: over members too)")
    return fig


def _curve_rows(methods: list[str]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The learning curves' rows, ``[(title, [(method, line label), ...]), ...]``:
    first every method that is no grid point (untitled), then a row per group
    of grid points (:func:`~snapens.report.style.panel_groups`); one empty row
    when there is no method."""
    groups = panel_groups(methods)
    plain = [
        method
        for _, lines in groups
        if len(lines) == 1 and not grid_point(lines[0][0])[1]
        for method, _ in lines
    ]
    rows = ([("", [(method, method) for method in plain])] if plain else []) + [
        (title, lines) for title, lines in groups if not (len(lines) == 1 and lines[0][0] in plain)
    ]
    return rows or [("", [])]


# --- repeats: the tutorial's plot, paired differences, the models of each method ----


def tutorial(dataset: str, curves: pd.DataFrame, confidence: float = 0.95):
    """The tutorial's plot across repeats, one panel per method.

    x = k: the k-th snapshot counted from the end alone (points with CI bars)
    and the ensemble of the last k snapshots (line with CI band).
    """
    set_style()
    table = curves[curves["dataset"] == dataset]
    methods = methods_of(table)
    fig, axes = panel_grid(len(methods), 4, 3.75, 2.9, sharey=True)
    single_color, ensemble_color = "#555555", METHOD_COLORS[0]
    for ax, method in zip(axes.flat, methods):
        curve = table[table["method"] == method].sort_values("k")
        k = curve["k"].to_numpy()
        single = curve["single_accuracy_mean"].to_numpy()
        ax.errorbar(
            k,
            single,
            yerr=[single - curve["single_accuracy_ci_low"], curve["single_accuracy_ci_high"] - single],
            fmt="o",
            ms=3.5,
            capsize=2,
            color=single_color,
        )
        ax.plot(k, curve["ensemble_accuracy_mean"], marker=".", color=ensemble_color)
        ax.fill_between(
            k,
            curve["ensemble_accuracy_ci_low"],
            curve["ensemble_accuracy_ci_high"],
            alpha=0.25,
            color=ensemble_color,
        )
        ax.set_title(two_lines(method), fontsize="medium")
        ax.set_xlabel("k, counted from the last snapshot")
        ax.set_xlim(0.5, max(k.max(), 1) + 0.5)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    for ax in axes[:, 0]:
        ax.set_ylabel(f"test accuracy\n(share of rows; mean, {percent(confidence)}% CI)")
    legend_below(
        fig,
        [
            plt.Line2D([], [], color=single_color, marker="o", ls="", label="the k-th snapshot alone"),
            plt.Line2D([], [], color=ensemble_color, marker=".", label="ensemble of the last k snapshots"),
        ],
    )
    fig.suptitle(
        f"{dataset}: does averaging the last k snapshots beat each snapshot alone? (mean over repeats)"
    )
    return fig


def paired_differences(dataset: str, runs: pd.DataFrame, confidence: float = 0.95):
    """Ensemble minus final model per repeat (points) with mean and CI, per metric.

    Points are spread vertically by a fixed, seeded jitter, so the figure is
    the same, byte for byte, whenever it is drawn from the same table.
    """
    from snapens.analyse.comparisons import compare

    set_style()
    styles = method_styles(methods_of(runs))
    table = runs[runs["dataset"] == dataset]
    methods = methods_of(table)
    fig, axes = panel_grid(len(METRICS), 4, 3.75, 0.3 * len(methods) + 1.5, sharey=True)
    for ax, (name, metric) in zip(axes.flat, METRICS.items()):
        scale = metric.difference_unit[0]
        for position, method in enumerate(methods):
            repeats = table[table["method"] == method].sort_values("seed")
            ensemble, final = repeats[f"ensemble_{name}"], repeats[f"final_{name}"]
            diff = (ensemble - final).to_numpy() * scale
            jitter = np.random.default_rng(position).uniform(-0.2, 0.2, len(diff))
            ax.scatter(diff, position + jitter, s=9, alpha=0.5, color=styles[method]["color"], linewidths=0)
            compared = compare(name, ensemble, final, repeats["test_rows"], confidence)
            mean, low, high = (compared[key] * scale for key in ("mean_diff", "ci_low", "ci_high"))
            ax.errorbar(
                mean, position, xerr=[[mean - low], [high - mean]], fmt="D", color="black", ms=5, capsize=3
            )
        ax.axvline(0, color="grey", lw=1, ls="--")
        better = "right" if metric.higher_is_better else "left"
        ax.set_title(f"{metric.label}\n({better} favours the ensemble)", fontsize="medium")
        ax.set_xlabel(diff_label(metric).replace(", ", ",\n", 1), fontsize="small")
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
        ax.set_yticks(range(len(methods)), methods)
        ax.set_ylim(len(methods) - 0.5, -0.5)
    fig.suptitle(
        f"{dataset}: does the ensemble of all members beat the final model? Paired "
        f"differences per repeat, mean with {percent(confidence)}% CI"
    )
    return fig


MODEL_COLORS = {
    "final": "#000000",
    "ensemble": "#0072B2",
    "swa": "#009E73",
    "swa_tail": "#E69F00",
    "weighted": "#CC79A7",
}
MODELS = {
    "final": "final model",
    "ensemble": "ensemble of all members",
    "swa": "weight average of every snapshot",
    "swa_tail": "weight average of the last half",
    "weighted": "ensemble with validation-fitted weights",
}
MODEL_OFFSETS = dict(zip(MODELS, (-0.3, -0.15, 0.0, 0.15, 0.3)))  # each model's row, shifted


def methods(dataset: str, summary: pd.DataFrame, confidence: float = 0.95):
    """Final model, full ensemble, weight average and weighted ensemble of every
    method: every metric with CIs, a panel per metric."""
    set_style()
    table = summary[summary["dataset"] == dataset]
    names = list(table["method"])
    fig, axes = panel_grid(len(METRICS), 4, 3.75, 0.42 * len(names) + 1.3, sharey=True)
    drawn = {}
    for ax, (name, metric) in zip(axes.flat, METRICS.items()):
        for model in MODELS:
            if f"{model}_{name}_mean" in table:
                drawn |= _draw_model(ax, table, model, name)
        ax.set_yticks(range(len(names)), names)
        ax.set_xlabel(f"test {metric.label} ({value_unit(metric)})\n{metric.direction}", fontsize="small")
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
        ax.set_ylim(len(names) - 0.5, -0.5)
    legend_below(fig, [drawn[model] for model in MODELS if model in drawn], columns=3)
    fig.suptitle(
        f"{dataset}: which method, and which way of using its members, predicts best? "
        f"(mean, {percent(confidence)}% CI)"
    )
    return fig


def _draw_model(ax, table: pd.DataFrame, model: str, name: str) -> dict[str, Any]:
    """``model``'s mean and CI of metric ``name`` for every method (a row
    each) of ``table``; returns ``{model: its legend handle}``, or nothing
    when no method has a value."""
    mean = table[f"{model}_{name}_mean"].to_numpy(dtype=float)
    low = table[f"{model}_{name}_ci_low"].to_numpy(dtype=float)
    high = table[f"{model}_{name}_ci_high"].to_numpy(dtype=float)
    y = np.arange(len(table)) + MODEL_OFFSETS[model]
    valued = ~np.isnan(mean)
    if not valued.any():
        return {}
    handle = ax.errorbar(
        mean[valued],
        y[valued],
        xerr=[(mean - low)[valued], (high - mean)[valued]],
        fmt="o",
        ms=4,
        capsize=2,
        color=MODEL_COLORS[model],
        label=MODELS[model],
    )
    return {model: handle}
