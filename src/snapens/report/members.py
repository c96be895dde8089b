"""Figures of how an ensemble's members differ: their pairwise disagreement
and correlation (``diversity``), and where, on a plane of two features, the
ensemble of all members decides otherwise than the final model
(``decision_regions``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from snapens.report.style import (
    legend_below,
    methods_of,
    palette,
    panel_grid,
    panel_message,
    set_style,
    two_lines,
)

# --- diversity -------------------------------------------------------------------------


class Statistic(NamedTuple):
    """How a pairwise statistic is drawn: its colour map, the end of its scale
    that is fixed (disagreement starts at 0; a correlation is at most 1; the
    other end is the dataset's extreme, so every panel of a statistic shares
    one scale), the label of its colour bar and its panels' title."""

    cmap: str
    low: float | None
    high: float | None
    bar_label: str
    title: str


DIVERSITY_SCALES = {
    "disagreement_mean": Statistic(
        "viridis", 0.0, None, "disagreement of members i and j (share of test rows)", "disagreement"
    ),
    "correlation_mean": Statistic(
        "magma", None, 1.0, "correlation of members i and j (softmax outputs)", "correlation"
    ),
}
DIVERSITY_PAIRS = 4  # methods side by side, each a pair of panels; more wrap below

# Fixed places in inches (no layout engine: its cost grows with the square of
# the panels, and a swept study has a hundred methods): a panel, the gap
# between a pair's panels, between pairs, the margins; the room above the
# bands (title, colour bars), for a method's name, below, between bands.
PANEL, INNER, BETWEEN, LEFT, RIGHT = 1.45, 0.12, 0.6, 0.65, 0.2
HEAD, NAME_ROOM, FOOT, BAND_GAP = 1.5, 0.45, 0.5, 0.45
PAIR = 2 * PANEL + INNER
BAND = NAME_ROOM + PANEL + BAND_GAP


@dataclass(frozen=True)
class PairPlaces:
    """Bands of ``per_row`` pairs of panels, one pair per method."""

    per_row: int
    bands: int

    @classmethod
    def for_methods(cls, n: int) -> PairPlaces:
        """The places of ``n`` methods' pairs: rows as full as they can be."""
        n = max(n, 1)
        per_row = math.ceil(n / math.ceil(n / DIVERSITY_PAIRS))
        return cls(per_row, math.ceil(n / per_row))

    @property
    def width(self) -> float:
        return LEFT + self.per_row * PAIR + (self.per_row - 1) * BETWEEN + RIGHT

    @property
    def height(self) -> float:
        return HEAD + self.bands * BAND + FOOT

    def corner(self, index: int) -> tuple[float, float]:
        """The lower left corner, in inches, of the ``index``-th method's pair."""
        band, column = divmod(index, self.per_row)
        return LEFT + column * (PAIR + BETWEEN), self.height - HEAD - band * BAND - NAME_ROOM - PANEL

    def box(self, x: float, y: float, width: float, height: float) -> tuple[float, float, float, float]:
        """A box given in inches, in fractions of the figure."""
        return x / self.width, y / self.height, width / self.width, height / self.height


def diversity(dataset: str, diversity: pd.DataFrame):
    """Mean pairwise disagreement and softmax correlation per method, side by
    side under the method's name, every panel of a statistic on one colour
    scale (one colour bar per statistic, so methods compare by colour)."""
    set_style()
    table = diversity[diversity["dataset"] == dataset]
    # a method of one member has no pair of members to compare
    single = [method for method, rows in table.groupby("method", sort=False) if rows["i"].max() <= 1]
    methods = [method for method in methods_of(table) if method not in single]
    places = PairPlaces.for_methods(len(methods))
    fig = plt.figure(figsize=(places.width, places.height))
    scales = {
        name: (statistic.cmap, *_shared_scale(table[name], statistic.low, statistic.high))
        for name, statistic in DIVERSITY_SCALES.items()
    }
    images = {}
    for index, method in enumerate(methods):
        images |= _method_pair(fig, places, index, method, table[table["method"] == method], scales)
    _colour_bars(fig, images, places.height)
    left_out = (
        f"; {len(single)} method{'s' if len(single) > 1 else ''} of one member left out" if single else ""
    )
    fig.suptitle(
        f"{dataset}: how different are the members?\n(mean over repeats; member 1 = the oldest snapshot"
        f"{left_out})",
        y=1 - 0.1 / places.height,
        va="top",
        fontsize="medium",
    )
    if not methods:
        panel_message(
            fig.add_axes((0.1, 0.1, 0.8, 0.5)), "no method with more than one member on this dataset"
        )
    return fig


def _shared_scale(values: pd.Series, low: float | None, high: float | None) -> tuple[float, float]:
    """A colour scale's ends: the fixed end and the data's other extreme."""
    finite = values.to_numpy(dtype=float)
    finite = finite[np.isfinite(finite)]
    lo = low if low is not None else (float(finite.min()) if finite.size else 0.0)
    hi = high if high is not None else (float(finite.max()) if finite.size else 1.0)
    return (lo, hi) if hi > lo else (lo, lo + 1.0)


def _member_ticks(n: int) -> list[int]:
    """Members to label on an axis of ``n``: every one up to 6, else 1 and multiples of 5 (10)."""
    step = 1 if n <= 6 else 5 if n <= 30 else 10
    return sorted({1, *range(step, n + 1, step)})


def _method_pair(
    fig, places: PairPlaces, index: int, method: str, rows: pd.DataFrame, scales
) -> dict[str, Any]:
    """The ``index``-th method's pair of panels (a statistic each, its
    ``rows`` of ``diversity.csv``) under its name; returns ``{statistic: its image}``."""
    x0, y0 = places.corner(index)
    fig.text(
        (x0 + PAIR / 2) / places.width,
        (y0 + PANEL + NAME_ROOM - 0.08) / places.height,
        method,
        ha="center",
        va="top",
        fontsize="small",
        fontweight="bold",
    )
    images = {}
    for position, (name, (cmap, vmin, vmax)) in enumerate(scales.items()):
        ax = fig.add_axes(places.box(x0 + position * (PANEL + INNER), y0, PANEL, PANEL))
        matrix = rows.pivot(index="i", columns="j", values=name)
        # imshow, not sns.heatmap: seaborn redraws the whole figure for every
        # heatmap it adds, which makes a grid of them quadratic in time
        images[name] = ax.imshow(matrix.to_numpy(), cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
        _member_axes(ax, matrix, DIVERSITY_SCALES[name].title, first=position == 0)
    return images


def _member_axes(ax, matrix: pd.DataFrame, title: str, first: bool) -> None:
    """A panel's member ticks and labels (member i on the ``first`` panel of a pair only)."""
    ticks = _member_ticks(len(matrix))
    ax.set_xticks([list(matrix.columns).index(t) for t in ticks if t in matrix.columns], ticks)
    ax.set_yticks([list(matrix.index).index(t) for t in ticks if t in matrix.index], ticks if first else [])
    ax.tick_params(labelsize="x-small", length=2, pad=1)
    ax.grid(False)
    ax.set_title(title, fontsize="x-small", pad=3)
    ax.set_xlabel("member j", fontsize="x-small", labelpad=1)
    if first:
        ax.set_ylabel("member i", fontsize="x-small", labelpad=1)


def _colour_bars(fig, images: dict[str, Any], height: float) -> None:
    """One horizontal colour bar per statistic, side by side above the panels
    (``height``: the figure's, in inches)."""
    for position, (name, image) in enumerate(images.items()):
        cax = fig.add_axes((0.06 + 0.5 * position, 1 - 1.0 / height, 0.38, 0.12 / height))
        bar = fig.colorbar(image, cax=cax, orientation="horizontal")
        bar.set_label(DIVERSITY_SCALES[name].bar_label, fontsize="small")
        bar.ax.tick_params(labelsize="x-small")
        bar.solids.set_rasterized(False)  # vector colour bars: no full-figure raster per bar in the SVG


# --- decision regions ------------------------------------------------------------------


def decision_regions(dataset: str, grid: dict[str, np.ndarray]):
    """Per method, over the plane: the final model's predicted class (shaded)
    and where the ensemble of all its members predicts another (dark), with
    the test points on top; a method of one member is left out (its ensemble
    is its final model). Drawn from a decision grid (see
    :mod:`snapens.evaluate.rule_decision_grid`), its first seed."""
    from matplotlib.colors import ListedColormap

    set_style()
    predictions = _predictions(grid)
    single = [method for method, found in predictions.items() if found.get("members") == "1"]
    shown = [
        method
        for method, found in predictions.items()
        if "final" in found and "ensemble" in found and method not in single
    ]
    n_classes = grid["probs"].shape[2]
    colors = palette("colorblind", n_classes)
    fig, axes = panel_grid(max(len(shown), 1), 4, 3.7, 3.2, extra=1.3)
    cmap = ListedColormap(colors)
    for ax, method in zip(axes.flat, shown):
        _region_panel(ax, grid, method, predictions[method], colors, cmap)
    if not shown:
        panel_message(axes.flat[0], "no method with more than one member: every ensemble is its final model")
    legend_below(fig, _regions_legend(colors), columns=3, fontsize="small")
    left_out = (
        f"; left out: {len(single)} method{'s' if len(single) > 1 else ''} of one member, "
        "whose ensemble is its final model"
        if single
        else ""
    )
    fig.suptitle(
        f"{dataset}: where does the ensemble decide differently from the final model? "
        f"(seed {int(grid['seed'])}{left_out})",
        wrap=True,
    )
    return fig


def _predictions(grid: dict[str, np.ndarray]) -> dict[str, dict[str, Any]]:
    """Per method of a decision grid: the probabilities over the grid of its
    ``final`` model and of its ``ensemble``, and that ensemble's ``members``
    (as written in its name, ``"<method>: ensemble of <members>"``)."""
    found: dict[str, dict[str, Any]] = {}
    for name, probs in zip((str(n) for n in grid["names"]), grid["probs"]):
        method, _, what = name.rpartition(": ")
        found.setdefault(method, {})["final" if what.startswith("final") else "ensemble"] = probs
        if what.startswith("ensemble of "):
            found[method]["members"] = what.removeprefix("ensemble of ")
    return found


def _region_panel(ax, grid: dict[str, np.ndarray], method: str, found: dict[str, Any], colors, cmap) -> None:
    """A method's panel: the final model's regions (``found``: its
    :func:`_predictions`), the test points, where the ensemble differs."""
    grid_x, grid_y, X, y = grid["grid_x"], grid["grid_y"], grid["X_test"], grid["y_test"]
    n_classes = len(colors)
    final = found["final"].argmax(axis=1).reshape(grid_x.shape)
    ensemble = found["ensemble"].argmax(axis=1).reshape(grid_x.shape)
    differs = (final != ensemble).astype(float)
    ax.contourf(grid_x, grid_y, final, levels=np.arange(n_classes + 1) - 0.5, cmap=cmap, alpha=0.3)
    ax.scatter(X[:, 0], X[:, 1], c=[colors[c] for c in y], s=3, edgecolors="none", alpha=0.7)
    if differs.any():
        ax.contourf(grid_x, grid_y, differs, levels=[0.5, 1.5], colors=["#222222"], alpha=0.8)
    ax.set_title(
        f"{two_lines(method)}\nthe ensemble of {found['members']} differs on {differs.mean():.1%} of the plane",
        fontsize="small",
    )
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlim(grid_x.min(), grid_x.max())
    ax.set_ylim(grid_y.min(), grid_y.max())


def _regions_legend(colors) -> list:
    """A patch per class (its colour), the ensemble's other class, a test point."""
    from matplotlib.patches import Patch

    handles = [
        Patch(color=color, alpha=0.45, label=f"class {c}: final model's region")
        for c, color in enumerate(colors)
    ]
    handles += [
        Patch(color="#222222", alpha=0.8, label="the ensemble predicts another class"),
        plt.Line2D([], [], marker="o", ls="", color="grey", ms=4, label="test point (colour: its class)"),
    ]
    return handles
