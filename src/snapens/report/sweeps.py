"""Figures of a sweep's grid, drawn from ``sweep.csv``: the ensemble minus
each baseline over the grid (``sweep_heatmap``), the ensemble's gain against
the number of cycles (``sweep_gain``), and the final model's and the
ensemble's accuracy across the grid (``sweep_accuracy``)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from snapens.core import sweeps
from snapens.report.style import (
    METHOD_COLORS,
    MINUS,
    WIDTH,
    diff_label,
    legend_below,
    palette,
    panel_grid,
    panel_message,
    percent,
    set_style,
)


def _sweep_parts(sweep: pd.DataFrame, dataset: str):
    """Per swept method of ``dataset``: (base, its judged rows, x axis, other
    axes), laid out by :func:`snapens.core.sweeps.axes`."""
    from snapens.analyse.grid import judged

    rows = judged(sweep[sweep["dataset"] == dataset])
    for base, base_rows in rows.groupby("base", sort=False):
        yield base, base_rows, *sweeps.axes(base_rows["swept"].iloc[0])


def _sweep_figure(sweep: pd.DataFrame, dataset: str, width: float, height: float, by_comparison=False):
    """``(fig, axes, parts, shown)``: a row of panels per swept method (and
    comparison, :func:`snapens.analyse.grid.comparisons_of`, with
    ``by_comparison``: parts are then ``(base, rows, x, others, comparison)``),
    a column per headline metric (``shown``: name -> metric); an empty
    sweep, one panel saying so."""
    from snapens.analyse.grid import comparisons_of, headline_metrics

    set_style()
    shown = headline_metrics()
    parts = list(_sweep_parts(sweep, dataset))
    if by_comparison:
        parts = [(*part, comparison) for part in parts for comparison in comparisons_of(part[1])]
    rows = max(len(parts), 1)
    fig, axes = plt.subplots(
        rows,
        len(shown),
        figsize=(min(WIDTH, width * len(shown)), height * rows + 1.0),
        squeeze=False,
        layout="constrained",
    )
    if not parts:
        for ax in axes.flat[1:]:
            ax.remove()
        panel_message(axes[0][0], f"no sweep on {dataset}")
    return fig, axes, parts, shown


def _axis_name(x: str) -> str:
    return f"{x} (cycles in the epoch budget)" if x == "members" else x


def _value_axis(ax, values) -> None:
    """Grid values along x: log-spaced when all positive, ticks at the values."""
    values = sorted(dict.fromkeys(values))
    if min(values) > 0:
        ax.set_xscale("log")
    ax.set_xticks(values, [sweeps.value_label(v) for v in values])
    ax.minorticks_off()


# --- the heatmap: ensemble minus each baseline over the grid ------------------------------


@dataclass
class HeatmapCells:
    """One heatmap's cells: grid values ``xs`` across, ``keys`` (values of
    the other axes) down; ``diff`` the mean difference in the metric's
    drawn unit (NaN where not compared); ``verdicts`` of the compared cells
    by ``(row, column)``; ``unannealed``: cells whose last snapshot was not annealed."""

    xs: list
    keys: list[tuple]
    diff: np.ndarray
    verdicts: dict[tuple[int, int], str]
    unannealed: list[tuple[int, int]]

    @property
    def limit(self) -> float:
        """The colour scale's half range: the largest difference (1 when no cell has a value)."""
        limit = np.nan_to_num(np.nanmax(np.abs(self.diff))) if np.isfinite(self.diff).any() else 0.0
        return limit or 1.0


def sweep_heatmap(dataset: str, sweep: pd.DataFrame, confidence: float = 0.95):
    """Ensemble minus each baseline over the grid (:data:`snapens.analyse.contract.COMPARISONS`:
    the best single model and the independent ensemble at equal cost, its own
    final model), one heatmap per swept method, comparison and headline
    metric; coloured so that blue favours the ensemble whatever the metric's
    direction; cells without a Holm-adjusted verdict hatched, their values
    in parentheses; grid points not compared left blank."""
    from snapens.analyse.contract import SHORT

    fig, axes, parts, shown = _sweep_figure(sweep, dataset, 5.0, 3.9, by_comparison=True)
    for row, (base, rows, x, others, comparison) in enumerate(parts):
        for ax, (name, metric) in zip(axes[row], shown.items()):
            cells = _heatmap_cells(rows, x, others, name, metric.difference_unit[0], comparison)
            _draw_heatmap(fig, ax, cells, metric)
            ax.set_xticks(range(len(cells.xs)), [sweeps.value_label(v) for v in cells.xs])
            ax.set_yticks(range(len(cells.keys)), [sweeps.label(others, key) for key in cells.keys])
            ax.tick_params(labelsize="small")
            ax.set_xlabel(_axis_name(x), fontsize="small")
            ax.grid(False)
            ax.set_title(
                f"{base} vs {SHORT[comparison]}:\n{metric.label} ({metric.direction})", fontsize="medium"
            )
    legend_below(fig, _heatmap_legend(confidence), columns=2, fontsize="small")
    fig.suptitle(
        f"{dataset}: where does the snapshot ensemble beat each baseline? "
        "(ensemble minus baseline, mean over repeats)"
    )
    return fig


def _heatmap_cells(
    rows: pd.DataFrame, x: str, others: list[str], name: str, scale: float, comparison: str
) -> HeatmapCells:
    """The cells of metric ``name`` against ``comparison`` over a swept
    method's grid (its ``rows``; ``x`` across, ``others`` down), differences
    multiplied by ``scale``; a grid point not tested left out."""
    from snapens.analyse.contract import column
    from snapens.analyse.grid import verdict

    xs = sorted(dict.fromkeys(rows[x]))
    keys = (
        sorted(dict.fromkeys(map(tuple, rows[others].itertuples(index=False, name=None)))) if others else [()]
    )
    cells = HeatmapCells(xs, keys, np.full((len(keys), len(xs)), np.nan), {}, [])
    for _, point in rows.iterrows():
        i = keys.index(tuple(point[other] for other in others)) if others else 0
        j = xs.index(point[x])
        if point.get("annealed") == "no":
            cells.unannealed.append((i, j))
        found = verdict(point, name, comparison)
        if found == "not tested":
            continue
        cells.verdicts[i, j] = found
        cells.diff[i, j] = point[column(comparison, name, "mean")] * scale
    return cells


def _draw_heatmap(fig, ax, cells: HeatmapCells, metric) -> None:
    """The cells coloured (blue favours the ensemble), their colour bar, each
    compared cell's value (hatched and in parentheses without a verdict), a
    corner mark on the cells not annealed."""
    digits = max(metric.digits - round(math.log10(metric.difference_unit[0])), 1)
    limit = cells.limit
    cmap = "RdBu" if metric.higher_is_better else "RdBu_r"
    image = ax.imshow(cells.diff, cmap=cmap, vmin=-limit, vmax=limit, aspect="auto", origin="lower")
    bar = fig.colorbar(image, ax=ax, shrink=0.85)
    bar.set_label(
        f"ensemble {MINUS} baseline,\n{metric.label} ({metric.difference_unit[1]})", fontsize="small"
    )
    bar.ax.tick_params(labelsize="x-small")
    for (i, j), found in cells.verdicts.items():
        text = f"{cells.diff[i, j]:+.{digits}f}"
        if found not in ("better", "worse"):  # unclear, or too few repeats for any verdict
            ax.add_patch(
                plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///", edgecolor="grey", lw=0)
            )
            text = f"({text})"
        dark = abs(cells.diff[i, j]) > 0.6 * limit
        ax.text(
            j,
            i,
            text,
            ha="center",
            va="center",
            fontsize="xx-small" if len(cells.xs) > 4 else "x-small",
            color="white" if dark else "black",
        )
    for i, j in cells.unannealed:  # a corner mark: the last snapshot was not annealed
        ax.plot(j - 0.38, i + 0.3, marker="v", ms=4, color="black", mec="white", mew=0.5)


def _heatmap_legend(confidence: float) -> list:
    """Which colour favours whom, the hatching, the mark of a cell not annealed."""
    from matplotlib.patches import Patch

    from snapens.train.schedules import ANNEALED

    return [
        Patch(facecolor=plt.get_cmap("RdBu")(0.85), label="favours the ensemble"),
        Patch(facecolor=plt.get_cmap("RdBu")(0.15), label="favours the baseline"),
        Patch(
            facecolor="white",
            edgecolor="grey",
            hatch="///",
            label=f"(value): no verdict after Holm's adjustment over the grid "
            f"({percent(confidence)}% family-wise)",
        ),
        plt.Line2D(
            [],
            [],
            marker="v",
            ls="",
            color="black",
            mec="white",
            label=f"last snapshot above {ANNEALED:.0%} of the peak rate (not annealed)",
        ),
    ]


# --- gain and accuracy along the grid -------------------------------------------------


def sweep_gain(dataset: str, sweep: pd.DataFrame, confidence: float = 0.95):
    """Ensemble minus final model against the number of cycles, with CI bands,
    one line per value of the sweep's other keys."""
    fig, axes, parts, shown = _sweep_figure(sweep, dataset, 5.0, 3.4)
    handles = {}
    for row, (base, rows, x, others) in enumerate(parts):
        lines = list(rows.groupby(others, sort=True)) if others else [((), rows)]
        labels = [sweeps.label(others, key) if others else base for key, _ in lines]
        colors = dict(zip(labels, palette("viridis", len(lines))))
        for ax, (name, metric) in zip(axes[row], shown.items()):
            scale = metric.difference_unit[0]
            for label, (_, line_rows) in zip(labels, lines):
                line_rows = line_rows.sort_values(x)
                (line,) = ax.plot(
                    line_rows[x],
                    line_rows[f"diff_{name}_mean"] * scale,
                    marker="o",
                    ms=4,
                    color=colors[label],
                    label=label,
                )
                handles.setdefault(label, line)
                ax.fill_between(
                    line_rows[x],
                    line_rows[f"diff_{name}_ci_low"] * scale,
                    line_rows[f"diff_{name}_ci_high"] * scale,
                    color=colors[label],
                    alpha=0.15,
                    lw=0,
                )
            ax.axhline(0, color="grey", lw=1, ls="--")
            _value_axis(ax, rows[x])
            ax.set_xlabel(_axis_name(x), fontsize="small")
            better = "up" if metric.higher_is_better else "down"
            ax.set_ylabel(diff_label(metric).replace(", ", ",\n", 1), fontsize="small")
            ax.set_title(f"{base}: {metric.label}\n({better} favours the ensemble)", fontsize="medium")
    legend_below(fig, list(handles.values()), columns=6)
    fig.suptitle(
        f"{dataset}: how does the ensemble's gain depend on the number of cycles? "
        f"(mean over repeats, {percent(confidence)}% CI band)"
    )
    return fig


def sweep_accuracy(dataset: str, sweep: pd.DataFrame, confidence: float = 0.95):
    """Final-model and ensemble accuracy against the sweep's first key after
    the one across (the peak learning rate in ``config/sweep.yaml``), one
    panel per value of every other key."""
    set_style()
    panels = []
    for base, rows, x, others in _sweep_parts(sweep, dataset):
        if not others:
            continue
        along, fixed = others[0], [x, *others[1:]]
        panels += [
            (base, along, fixed, key, panel_rows) for key, panel_rows in rows.groupby(fixed, sort=True)
        ]
    fig, axes = panel_grid(max(len(panels), 1), 4, 3.75, 2.9, sharey=True)
    models = {"final": METHOD_COLORS[6], "ensemble": METHOD_COLORS[1]}
    for ax, (base, along, fixed, key, panel_rows) in zip(axes.flat, panels):
        panel_rows = panel_rows.sort_values(along)
        for model, color in models.items():
            ax.plot(panel_rows[along], panel_rows[f"{model}_accuracy_mean"], marker="o", ms=4, color=color)
            ax.fill_between(
                panel_rows[along],
                panel_rows[f"{model}_accuracy_ci_low"],
                panel_rows[f"{model}_accuracy_ci_high"],
                color=color,
                alpha=0.2,
                lw=0,
            )
        _value_axis(ax, panel_rows[along])
        ax.set_xlabel(along)
        ax.set_title(f"{base}, {sweeps.label(fixed, key)}", fontsize="medium")
    if not panels:
        panel_message(axes.flat[0], f"no sweep of two keys on {dataset}")
    for ax in axes[:, 0]:
        if ax.axison:
            ax.set_ylabel(f"test accuracy\n(share of rows; mean, {percent(confidence)}% CI)")
    legend_below(
        fig,
        [
            plt.Line2D([], [], color=color, marker="o", label=label)
            for color, label in zip(models.values(), ("final model", "ensemble of all snapshots"))
        ],
    )
    alongs = sorted({panel[1] for panel in panels}) or ["the swept parameter"]
    fig.suptitle(f"{dataset}: how does {' / '.join(alongs)} move the final model and the ensemble?")
    return fig
