"""Figures, drawn from the study's tables (never from models).

Every function returns its Figure (``snapens.report.layout.problems`` checks
it, :func:`save` writes it). They share: one colour, line style and marker per
method (:func:`method_styles`, the same in every family), differences drawn
in the metric's unit (:func:`diff_label`), at most :data:`WIDTH` inches wide
(``layout.MAX_WIDTH`` is the limit), legends outside the data.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from snapens.core.runtime import not_importable  # noqa: E402

# seaborn imports SciPy, if it is there, only for kernel density estimates,
# which no figure draws: without it a figure job starts ~0.9 s sooner (SciPy's
# statistics take that to import) and draws the same bytes (tested).
with not_importable(("scipy",)):
    import seaborn as sns  # noqa: E402

from snapens.core import sweeps  # noqa: E402
from snapens.core.io import atomic_path  # noqa: E402
from snapens.core.paths import FIGURE_FORMATS  # noqa: E402
from snapens.core.settings import independent
from snapens.evaluate.metrics import METRICS  # noqa: E402
from snapens.train.schedules import Budget, learning_rates, snapshot_epochs  # noqa: E402

WIDTH = 15.0  # inches: every figure's width (layout.MAX_WIDTH, 16, is the limit the tests hold)
MINUS = "\u2212"


def _style() -> None:
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")
    # Reproducible SVG: no timestamp, fixed element ids.
    plt.rcParams["svg.hashsalt"] = "snapens"
    plt.rcParams["svg.fonttype"] = "none"


def save(fig, stem: str | Path, dpi: int = 150) -> list[Path]:
    """Write ``stem.png`` and ``stem.svg`` atomically, cropped to what is drawn
    (the tight box, laid out once for both formats: a figure of a hundred
    panels spends most of its time in that layout); close the figure."""
    fig.set_dpi(dpi)
    fig.draw_without_rendering()
    bbox = fig.get_tightbbox().padded(plt.rcParams["savefig.pad_inches"])
    paths = []
    for fmt in FIGURE_FORMATS:
        path = Path(f"{stem}.{fmt}")
        with atomic_path(path) as tmp:
            fig.savefig(
                tmp,
                format=fmt,
                dpi=dpi,
                bbox_inches=bbox,
                metadata={"Date": None} if fmt == "svg" else {"Software": None},
            )
        paths.append(path)
    plt.close(fig)
    return paths


# --- shared: colours per method, units, grid points, layout -------------------------

# One colour per method, in the order the tables list the methods (a sweep's
# grid points take their base method's): Okabe and Ito's colour-blind-safe
# qualitative palette without its yellow (too pale on white), then brown,
# grey and olive. Line style and marker cycle beside it, so that two methods
# with the same curve (snapshot and snapshot_step) both show.
METHOD_COLORS = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#000000",
    "#8C564B",
    "#7F7F7F",
    "#BCBD22",
)
LINESTYLES = ("-", "--", "-.", ":")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "*")


def _base(method: str) -> str:
    return str(method).split(sweeps.SEPARATOR, 1)[0]


def method_styles(methods) -> dict[str, dict[str, str]]:
    """``{method: {"color", "ls", "marker"}}``, by the position of its base
    method among ``methods`` (every method of a table, all datasets: so each
    method has the same style in every figure of the study)."""
    bases = list(dict.fromkeys(_base(m) for m in methods))
    styles = {}
    for m in dict.fromkeys(methods):
        i = bases.index(_base(m))
        styles[m] = {
            "color": METHOD_COLORS[i % len(METHOD_COLORS)],
            "ls": LINESTYLES[i % len(LINESTYLES)],
            "marker": MARKERS[i % len(MARKERS)],
        }
    return styles


def _methods(table: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(table["method"])) if "method" in table else []


def _unit(name: str, m) -> tuple[float, str]:
    """How a difference in metric ``name`` is drawn: the factor its values are
    multiplied by and its unit (the registry's :attr:`Metric.difference_unit`)."""
    return m.difference_unit


def _value_unit(name: str, m) -> str:
    """The unit of a value of metric ``name`` as the tables hold it."""
    return m.unit or "no unit"


def diff_label(name: str, m, baseline: str = "final") -> str:
    """An axis of differences: ``ensemble − final, accuracy (percentage points)``."""
    return f"ensemble {MINUS} {baseline}, {m.label} ({_unit(name, m)[1]})"


_POINT = re.compile(r"(?:^|_)([A-Za-z][A-Za-z0-9_]*?)-(-?[0-9][0-9.eE+-]*)(?=_[A-Za-z]|$)")


def _point(method: str) -> tuple[str, dict[str, str]]:
    """A method's base and, for a sweep's grid point (:func:`snapens.core.sweeps.point_name`),
    its values as written in its name: ``("snapshot", {"members": "5", "lr_max": "0.1"})``."""
    base, sep, rest = str(method).partition(sweeps.SEPARATOR)
    return base, (dict(_POINT.findall(rest)) if sep else {})


def _groups(methods) -> list[tuple[str, list[tuple[str, str]]]]:
    """Panels for many methods: ``[(title, [(method, line label), ...]), ...]``.
    A sweep's grid points are grouped by base method and the value across
    (:func:`snapens.core.sweeps.axes`), a line per value of the other keys;
    every other method is a group of its own."""
    groups: dict[tuple, tuple[str, list]] = {}
    for m in methods:
        base, point = _point(m)
        if not point:
            groups[(m,)] = (m, [(m, m)])
            continue
        across, others = sweeps.axes(list(point))
        if others:
            key, title = (base, across, point[across]), f"{base}, {across} {point[across]}"
            line = ", ".join(f"{k} {point[k]}" for k in others)
        else:
            key, title, line = (base,), base, f"{across} {point[across]}"
        groups.setdefault(key, (title, []))[1].append((m, line))
    return list(groups.values())


def _line_colors(labels) -> dict[str, tuple]:
    """A sequential colour per line label of a sweep (ordered by their values)."""

    def order(label):
        return tuple(float(v) for v in re.findall(r" (-?[0-9][0-9.eE+-]*)", label)), label

    labels = sorted(dict.fromkeys(labels), key=order)
    return dict(zip(labels, sns.color_palette("viridis", len(labels))))


def _two_lines(name: str) -> str:
    """A grid point's name on two lines (base, then its values): panels stay narrow."""
    return str(name).replace(sweeps.SEPARATOR, "\n", 1)


def _panels(n: int, columns: int, panel_width: float, panel_height: float, extra: float = 1.0, **kw):
    """``(fig, axes)``: ``n`` panels in rows of ``columns``, constrained
    layout, the places left over in the last row removed."""
    cols = max(1, min(n, columns))
    rows = max(1, math.ceil(n / cols))
    fig, axes = plt.subplots(
        rows,
        cols,
        figsize=(min(WIDTH, panel_width * cols), panel_height * rows + extra),
        squeeze=False,
        layout="constrained",
        **kw,
    )
    for ax in axes.flat[n:]:
        ax.remove()
    return fig, axes


def _legend_below(fig, handles, columns: int = 4, **kw) -> None:
    """The figure's legend under its panels (never over data, nor the title)."""
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncols=min(columns, len(handles)), **kw)


def _message(ax, text: str, width: int = 90) -> None:
    """A panel that says why there is nothing to draw (lines of at most ``width`` characters)."""
    import textwrap

    text = "\n".join(textwrap.fill(part, width) for part in text.split("\n"))
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()


# --- the study's figures ----------------------------------------------------------------


def tutorial(dataset: str, curves: pd.DataFrame, confidence: float = 0.95):
    """The tutorial's plot across repeats, one panel per method.

    x = k: the k-th snapshot counted from the end alone (points with CI bars)
    and the ensemble of the last k snapshots (line with CI band).
    """
    _style()
    df = curves[curves["dataset"] == dataset]
    methods = _methods(df)
    fig, axes = _panels(len(methods), 4, 3.75, 2.9, sharey=True)
    pct = int(round(confidence * 100))
    single_color, ensemble_color = "#555555", METHOD_COLORS[0]
    for ax, method in zip(axes.flat, methods):
        g = df[df["method"] == method].sort_values("k")
        k = g["k"].to_numpy()
        single = g["single_accuracy_mean"].to_numpy()
        ax.errorbar(
            k,
            single,
            yerr=[single - g["single_accuracy_ci_low"], g["single_accuracy_ci_high"] - single],
            fmt="o",
            ms=3.5,
            capsize=2,
            color=single_color,
        )
        ax.plot(k, g["ensemble_accuracy_mean"], marker=".", color=ensemble_color)
        ax.fill_between(
            k, g["ensemble_accuracy_ci_low"], g["ensemble_accuracy_ci_high"], alpha=0.25, color=ensemble_color
        )
        ax.set_title(_two_lines(method), fontsize="medium")
        ax.set_xlabel("k, counted from the last snapshot")
        ax.set_xlim(0.5, max(k.max(), 1) + 0.5)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    for ax in axes[:, 0]:
        ax.set_ylabel(f"test accuracy\n(share of rows; mean, {pct}% CI)")
    _legend_below(
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


def lr_schedules(dataset: str, schedules: dict[str, Any]):
    """Each method's learning rate at every iteration, snapshots marked.

    ``schedules`` holds ``epochs`` and, per method, its ``schedule``,
    ``members``, ``ensemble``, ``steps_per_epoch`` (from the rows it trains on)
    and ``epochs`` (each model's, when its members share the budget). A
    sweep's grid points share a panel per base method and value across, a
    line per value of the other keys.
    """
    _style()
    methods = schedules["methods"]
    groups = _groups(methods)
    styles = method_styles(methods)
    colors = _line_colors(label for _, lines in groups for _, label in lines if len(lines) > 1)
    fig, axes = _panels(len(groups), 3, 5.0, 2.7, sharey=True)
    for ax, (title, lines) in zip(axes.flat, groups):
        for name, label in lines:
            m = methods[name]
            epochs = m.get("epochs", schedules["epochs"])
            steps = m["steps_per_epoch"]
            budget = Budget(epochs, 1 if independent(m) else m["members"], steps)
            lr = learning_rates(m["schedule"], budget, per="step")
            color = colors.get(label, styles[name]["color"]) if len(lines) > 1 else styles[name]["color"]
            ax.plot(np.arange(len(lr)) / steps, lr, lw=1, color=color)
            marks = snapshot_epochs(m["schedule"]["name"], epochs, budget.members)
            last_step = [(e + 1) * steps - 1 for e in marks]
            ax.plot(
                np.asarray(marks) + 1 - 1 / steps,
                lr[last_step],
                "v",
                ms=5,
                color=color,
                mec="black",
                mew=0.5,
                clip_on=False,
            )
        first = methods[lines[0][0]]
        how = f"({first['schedule']['name']}, {first['steps_per_epoch']} steps/epoch)"
        runs = [f"{first['members']} independent runs"] if independent(first) else []
        # a method's name and schedule on one line; a grid point's group on two
        head = [title, how] if len(lines) > 1 else [f"{title} {how}"]
        ax.set_title("\n".join(head + runs), fontsize="medium")
        ax.set_xlabel("epoch")
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5))
    for ax in axes[:, 0]:
        ax.set_ylabel("learning rate")
    handles = [plt.Line2D([], [], marker="v", ls="", color="grey", mec="black", label="snapshot taken")]
    handles += [plt.Line2D([], [], color=c, lw=2, label=label) for label, c in colors.items()]
    _legend_below(fig, handles, columns=6)
    fig.suptitle(f"{dataset}: learning rate per iteration and where each snapshot is taken")
    return fig


def _log_axis(axis, values) -> None:
    """A log scale labelled in plain numbers, at 1, 2, 3 and 5 of each decade
    on a range of ``values`` within a decade, fewer on longer ranges (no
    minor labels: on a short range they run into each other)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    decades = math.log10(v.max() / v.min()) if v.size else 0.0
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
    _style()
    styles = method_styles(_methods(learning))
    df = learning[learning["dataset"] == dataset]
    groups = _groups(_methods(df))
    plain = [m for title, lines in groups if len(lines) == 1 and not _point(lines[0][0])[1] for m, _ in lines]
    rows = ([("", [(m, m) for m in plain])] if plain else []) + [
        (title, lines) for title, lines in groups if not (len(lines) == 1 and lines[0][0] in plain)
    ]
    rows = rows or [("", [])]
    colors = _line_colors(label for title, lines in rows if title for _, label in lines)
    fig, axes = plt.subplots(
        len(rows), 3, figsize=(WIDTH, 2.9 * len(rows) + 0.9), squeeze=False, layout="constrained"
    )
    for row, (title, lines) in zip(axes, rows):
        for i, (method, label) in enumerate(lines):
            g = df[df["method"] == method].sort_values("epoch")
            epochs = g["epoch"].to_numpy()
            every = max(1, len(epochs) // 8)
            if title:  # a sweep's row: one colour per value, solid lines
                style = {"color": colors[label], "ls": "-"}
            else:
                s = styles[method]
                # markers spaced along the curve, each method's shifted, so no two stack
                style = {**s, "markevery": (i * every // max(len(lines), 1), every), "ms": 4}
            for ax, (column, _) in zip(row, LEARNING_PANELS):
                ax.plot(epochs, g[column], lw=1.1, label=label, **style)
        for ax, (_, name) in zip(row, LEARNING_PANELS):
            ax.set_ylabel(name)
            ax.set_xlabel("epoch")
            if title:
                ax.set_title(title, fontsize="medium")
        _log_axis(row[1].yaxis, df[df["method"].isin([m for m, _ in lines])]["loss"])
        if lines:
            row[2].legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small", frameon=False)
    fig.suptitle(f"{dataset}: learning curves (mean over repeats; independent: over members too)")
    return fig


def paired_differences(dataset: str, runs: pd.DataFrame, confidence: float = 0.95):
    """Ensemble minus final model per repeat (points) with mean and CI, per metric.

    Points are spread vertically by a fixed, seeded jitter, so the figure is
    the same, byte for byte, whenever it is drawn from the same table.
    """
    from snapens.analyse.tables import compare

    _style()
    styles = method_styles(_methods(runs))
    df = runs[runs["dataset"] == dataset]
    methods = _methods(df)
    fig, axes = _panels(len(METRICS), 4, 3.75, 0.3 * len(methods) + 1.5, sharey=True)
    for ax, (name, m) in zip(axes.flat, METRICS.items()):
        scale = _unit(name, m)[0]
        for i, method in enumerate(methods):
            g = df[df["method"] == method].sort_values("seed")
            diff = (g[f"ensemble_{name}"] - g[f"final_{name}"]).to_numpy() * scale
            jitter = np.random.default_rng(i).uniform(-0.2, 0.2, len(diff))
            ax.scatter(diff, i + jitter, s=9, alpha=0.5, color=styles[method]["color"], linewidths=0)
            res = compare(name, g[f"ensemble_{name}"], g[f"final_{name}"], g["test_rows"], confidence)
            mean, low, high = (res[k] * scale for k in ("mean_diff", "ci_low", "ci_high"))
            ax.errorbar(mean, i, xerr=[[mean - low], [high - mean]], fmt="D", color="black", ms=5, capsize=3)
        ax.axvline(0, color="grey", lw=1, ls="--")
        better = "right" if m.higher_is_better else "left"
        ax.set_title(f"{m.label}\n({better} favours the ensemble)", fontsize="medium")
        ax.set_xlabel(diff_label(name, m).replace(", ", ",\n", 1), fontsize="small")
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
        ax.set_yticks(range(len(methods)), methods)
        ax.set_ylim(len(methods) - 0.5, -0.5)
    fig.suptitle(
        f"{dataset}: does the ensemble of all members beat the final model? Paired "
        f"differences per repeat, mean with {int(round(confidence * 100))}% CI"
    )
    return fig


DIVERSITY_PAIRS = 4  # methods side by side, each a pair of panels; more wrap below
# each statistic's colour map, the end of its scale that is fixed
# (disagreement starts at 0; a correlation is at most 1; the other end is the
# dataset's extreme, so every panel of a statistic shares one scale), the
# label of its colour bar and its panels' title
DIVERSITY_SCALES = {
    "disagreement_mean": (
        "viridis",
        0.0,
        None,
        "disagreement of members i and j (share of test rows)",
        "disagreement",
    ),
    "correlation_mean": (
        "magma",
        None,
        1.0,
        "correlation of members i and j (softmax outputs)",
        "correlation",
    ),
}


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


def diversity(dataset: str, diversity: pd.DataFrame):
    """Mean pairwise disagreement and softmax correlation per method, side by
    side under the method's name, every panel of a statistic on one colour
    scale (one colour bar per statistic, so methods compare by colour)."""
    _style()
    df = diversity[diversity["dataset"] == dataset]
    # a method of one member has no pair of members to compare
    single = [m for m, g in df.groupby("method", sort=False) if g["i"].max() <= 1]
    methods = [m for m in _methods(df) if m not in single]
    n = max(len(methods), 1)
    per_row = math.ceil(n / math.ceil(n / DIVERSITY_PAIRS))  # rows as full as they can be
    bands = math.ceil(n / per_row)
    # fixed places in inches (no layout engine: its cost grows with the square
    # of the panels, and a swept study has a hundred methods)
    panel, inner, between, left, right = 1.45, 0.12, 0.6, 0.65, 0.2
    head, name_room, foot, band_gap = 1.5, 0.45, 0.5, 0.45
    pair = 2 * panel + inner
    width = left + per_row * pair + (per_row - 1) * between + right
    band = name_room + panel + band_gap
    height = head + bands * band + foot
    fig = plt.figure(figsize=(width, height))
    scales = {
        stat: (cmap, *_shared_scale(df[stat], lo, hi))
        for stat, (cmap, lo, hi, _, _) in DIVERSITY_SCALES.items()
    }
    images = {}
    for index, method in enumerate(methods):
        b, c = divmod(index, per_row)
        x0 = left + c * (pair + between)
        y0 = height - head - b * band - name_room - panel
        g = df[df["method"] == method]
        fig.text(
            (x0 + pair / 2) / width,
            (y0 + panel + name_room - 0.08) / height,
            method,
            ha="center",
            va="top",
            fontsize="small",
            fontweight="bold",
        )
        for k, (stat, (cmap, vmin, vmax)) in enumerate(scales.items()):
            ax = fig.add_axes(
                ((x0 + k * (panel + inner)) / width, y0 / height, panel / width, panel / height)
            )
            mat = g.pivot(index="i", columns="j", values=stat)
            # imshow, not sns.heatmap: seaborn redraws the whole figure for every
            # heatmap it adds, which makes a grid of them quadratic in time
            images[stat] = ax.imshow(mat.to_numpy(), cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
            ticks = _member_ticks(len(mat))
            ax.set_xticks([list(mat.columns).index(t) for t in ticks if t in mat.columns], ticks)
            ax.set_yticks(
                [list(mat.index).index(t) for t in ticks if t in mat.index], ticks if k == 0 else []
            )
            ax.tick_params(labelsize="x-small", length=2, pad=1)
            ax.grid(False)
            ax.set_title(DIVERSITY_SCALES[stat][4], fontsize="x-small", pad=3)
            ax.set_xlabel("member j", fontsize="x-small", labelpad=1)
            if k == 0:
                ax.set_ylabel("member i", fontsize="x-small", labelpad=1)
    for k, (stat, image) in enumerate(images.items()):
        cax = fig.add_axes((0.06 + 0.5 * k, 1 - 1.0 / height, 0.38, 0.12 / height))
        bar = fig.colorbar(image, cax=cax, orientation="horizontal")
        bar.set_label(DIVERSITY_SCALES[stat][3], fontsize="small")
        bar.ax.tick_params(labelsize="x-small")
        bar.solids.set_rasterized(False)  # vector colour bars: no full-figure raster per bar in the SVG
    left_out = (
        f"; {len(single)} method{'s' if len(single) > 1 else ''} of one member left out" if single else ""
    )
    fig.suptitle(
        f"{dataset}: how different are the members?\n(mean over repeats; member 1 = the oldest snapshot"
        f"{left_out})",
        y=1 - 0.1 / height,
        va="top",
        fontsize="medium",
    )
    if not methods:
        _message(fig.add_axes((0.1, 0.1, 0.8, 0.5)), "no method with more than one member on this dataset")
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


def methods(dataset: str, summary: pd.DataFrame, confidence: float = 0.95):
    """Final model, full ensemble, weight average and weighted ensemble of every
    method: every metric with CIs, a panel per metric."""
    _style()
    df = summary[summary["dataset"] == dataset]
    names = list(df["method"])
    fig, axes = _panels(len(METRICS), 4, 3.75, 0.42 * len(names) + 1.3, sharey=True)
    palette = MODEL_COLORS
    offsets = dict(zip(MODELS, (-0.3, -0.15, 0.0, 0.15, 0.3)))
    drawn = {}
    for ax, (metric, m) in zip(axes.flat, METRICS.items()):
        for model in MODELS:
            if f"{model}_{metric}_mean" not in df:
                continue
            mean = df[f"{model}_{metric}_mean"].to_numpy(dtype=float)
            lo = df[f"{model}_{metric}_ci_low"].to_numpy(dtype=float)
            hi = df[f"{model}_{metric}_ci_high"].to_numpy(dtype=float)
            y = np.arange(len(names)) + offsets[model]
            ok = ~np.isnan(mean)
            if ok.any():
                drawn[model] = ax.errorbar(
                    mean[ok],
                    y[ok],
                    xerr=[(mean - lo)[ok], (hi - mean)[ok]],
                    fmt="o",
                    ms=4,
                    capsize=2,
                    color=palette[model],
                    label=MODELS[model],
                )
        ax.set_yticks(range(len(names)), names)
        ax.set_xlabel(f"test {m.label} ({_value_unit(metric, m)})\n{m.direction}", fontsize="small")
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
        ax.set_ylim(len(names) - 0.5, -0.5)
    _legend_below(fig, [drawn[k] for k in MODELS if k in drawn], columns=3)
    fig.suptitle(
        f"{dataset}: which method, and which way of using its members, predicts best? "
        f"(mean, {int(round(confidence * 100))}% CI)"
    )
    return fig


def _reference_name(row, study: dict | None) -> str:
    """The DEE reference of a ``deep_ensemble_equivalent.csv`` row, with its
    rate: the one chosen (``reference_chosen``) or, when nothing was chosen,
    the one the study configures for it (``study.json``); never "nan"."""
    ref = str(row["reference"])
    chosen, selection = row.get("reference_chosen"), row.get("selection")
    if isinstance(chosen, str) and chosen.strip():
        chose = isinstance(selection, str) and selection.strip()
        how = " (chosen on the odd seeds and one test fold)" if chose else ""
        return f"{ref} at {chosen}{how}"
    config = (study or {}).get("config", {})
    grid = config.get("sweeps", {}).get(ref, {})
    schedule = config.get("methods", {}).get(ref, {}).get("schedule", {})
    for key in ("lr_max", "lr"):
        values = grid.get(key, [schedule[key]] if key in schedule else [])
        if len(values) == 1:
            return f"{ref} at {key} {sweeps.value_label(values[0])}"
    return ref


def deep_ensemble_equivalent(dataset: str, dee: pd.DataFrame, study: dict | None = None):
    """Deep ensemble equivalent of each method's full ensemble with its
    bootstrap interval, where the reference's curve identifies one
    (``identified``; elsewhere "not identifiable"); a value beyond the
    reference curve is drawn at its end and labelled "> M" or "< 1", never
    as a number. The reference is named with its rate."""
    from snapens.analyse.dee import ABOVE, BELOW, fmt
    from snapens.analyse.grid import dee_label
    from snapens.analyse.tables import DEE_METRICS

    _style()
    question = f"{dataset}: how many independently trained models is each ensemble worth?"
    df = dee[dee["dataset"] == dataset]
    primary = next((m for m in DEE_METRICS if m in set(df["metric"])), None)
    df = df[df["metric"] == primary].reset_index(drop=True)
    if not len(df):
        fig, ax = plt.subplots(figsize=(9, 2.2), layout="constrained")
        elsewhere = list(dict.fromkeys(dee["reference"].astype(str))) if len(dee) else []
        if elsewhere:
            where = ", ".join(dict.fromkeys(dee["dataset"].astype(str)))
            text = (
                f"No deep ensemble equivalent on {dataset}: none of its methods trains independent "
                f"members, so there is no reference curve. The reference elsewhere, "
                f"{' / '.join(elsewhere)} (on {where}), was not run on {dataset}."
            )
        else:
            text = (
                "No deep ensemble equivalent: no method of this study trains independent members, "
                "so there is no reference curve to count models on."
            )
        _message(ax, text)
        ax.set_title(question)
        return fig
    top = int(df["reference_members"].iloc[0])
    reference = _reference_name(df.iloc[0], study)
    identified = (
        df["identified"].astype(str).eq("yes") if "identified" in df else pd.Series(True, index=df.index)
    )
    identified &= df["dee"].notna()
    gain = df["reference_gain"].iloc[0] if "reference_gain" in df else math.nan
    why = (
        f"the reference gains {gain:.4f} nats of {dee_label(primary)} from 1 to {top} "
        "models, within the uncertainty of placing a value on its curve"
        if np.isfinite(gain)
        else "the reference has too few repeats for a curve"
    )
    if not identified.any():
        fig, ax = plt.subplots(figsize=(9, 2.4), layout="constrained")
        _message(ax, f"Not identifiable for any method on {dataset}. Reference: {reference}; {why}.")
        ax.set_title(question)
        return fig
    fig, ax = plt.subplots(figsize=(9.5, 0.4 * len(df) + 2.2), layout="constrained")
    lo_edge, hi_edge = 0.5, top + 0.8  # where "< 1" and "> M" are drawn
    color = METHOD_COLORS[0]

    def place(v):
        return hi_edge if v == ABOVE else lo_edge if v == BELOW else v

    for i, r in df.iterrows():
        if not identified[i]:  # the curve's gain is within the noise of placing this value on it
            ax.text(
                (1 + top) / 2, i, "not identifiable", ha="center", va="center", fontsize="small", color="grey"
            )
            continue
        point, low, high = place(r.dee), place(r.dee_ci_low), place(r.dee_ci_high)
        ax.plot([low, high], [i, i], color=color, lw=2)
        for bound in {r.dee_ci_low, r.dee_ci_high} & {ABOVE, BELOW}:  # arrows past the curve's ends
            ax.plot(place(bound), i, marker=">" if bound == ABOVE else "<", color=color, ms=7)
        censored = r.dee in (ABOVE, BELOW)
        ax.plot(point, i, "o", ms=7, color=color, mfc="white" if censored else color)
        ax.annotate(
            fmt(r.dee, members=top),
            (point, i),
            textcoords="offset points",
            xytext=(0, 5),
            ha="center",
            va="bottom",
            fontsize="x-small",
        )
    ax.axvline(top, color="grey", lw=1, ls="--")
    ax.axvline(1, color="grey", lw=1, ls=":")
    ax.set_xlim(0.2, top + 1.2)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=8, integer=True))
    ax.set_yticks(range(len(df)), df["method"])
    ax.tick_params(axis="y", labelsize="small" if len(df) < 30 else "x-small")
    ax.set_ylim(len(df) - 0.5, -0.5)
    ax.set_xlabel(
        f"independently trained models of the reference of equal mean {dee_label(primary)} (1 to {top}; "
        "open circle and arrow: beyond the curve)",
        fontsize="small",
    )
    import textwrap

    notes = [f"reference: {reference}"]
    if (~identified).any():
        notes.append(f"not identifiable: {why}")
    ax.set_title("\n".join([question, *(textwrap.fill(n, 100) for n in notes)]), fontsize="small")
    return fig


def decision_regions(dataset: str, grid: dict[str, np.ndarray]):
    """Per method, over the plane: the final model's predicted class (shaded)
    and where the ensemble of all its members predicts another (dark), with
    the test points on top; a method of one member is left out (its ensemble
    is its final model). Drawn from a decision grid (see
    :mod:`snapens.evaluate.rule_decision_grid`), its first seed."""
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    _style()
    names, probs = [str(n) for n in grid["names"]], grid["probs"]
    gx, gy, X, y = grid["grid_x"], grid["grid_y"], grid["X_test"], grid["y_test"]
    n_classes = probs.shape[2]
    panels: dict[str, dict[str, Any]] = {}
    for name, p in zip(names, probs):
        method, _, what = name.rpartition(": ")
        panels.setdefault(method, {})["final" if what.startswith("final") else "ensemble"] = p
        if what.startswith("ensemble of "):
            panels[method]["members"] = what.removeprefix("ensemble of ")
    single = [m for m, p in panels.items() if p.get("members") == "1"]
    shown = [m for m, p in panels.items() if "final" in p and "ensemble" in p and m not in single]
    colors = sns.color_palette("colorblind", n_classes)
    cmap = ListedColormap(colors)
    fig, axes = _panels(max(len(shown), 1), 4, 3.7, 3.2, extra=1.3)
    for ax, method in zip(axes.flat, shown):
        final = panels[method]["final"].argmax(axis=1).reshape(gx.shape)
        ensemble = panels[method]["ensemble"].argmax(axis=1).reshape(gx.shape)
        differs = (final != ensemble).astype(float)
        ax.contourf(gx, gy, final, levels=np.arange(n_classes + 1) - 0.5, cmap=cmap, alpha=0.3)
        ax.scatter(X[:, 0], X[:, 1], c=[colors[c] for c in y], s=3, edgecolors="none", alpha=0.7)
        if differs.any():
            ax.contourf(gx, gy, differs, levels=[0.5, 1.5], colors=["#222222"], alpha=0.8)
        ax.set_title(
            f"{_two_lines(method)}\nthe ensemble of {panels[method]['members']} differs on "
            f"{differs.mean():.1%} of the plane",
            fontsize="small",
        )
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlim(gx.min(), gx.max())
        ax.set_ylim(gy.min(), gy.max())
    if not shown:
        _message(axes.flat[0], "no method with more than one member: every ensemble is its final model")
    handles = [
        Patch(color=colors[c], alpha=0.45, label=f"class {c}: final model's region") for c in range(n_classes)
    ]
    handles += [
        Patch(color="#222222", alpha=0.8, label="the ensemble predicts another class"),
        plt.Line2D([], [], marker="o", ls="", color="grey", ms=4, label="test point (colour: its class)"),
    ]
    _legend_below(fig, handles, columns=3, fontsize="small")
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


# --- sweeps: drawn from sweep.csv -------------------------------------------------


def _sweep_parts(sweep: pd.DataFrame, dataset: str):
    """Per swept method of ``dataset``: (base, rows, x axis, other axes), laid
    out by :func:`snapens.sweeps.axes`."""
    from snapens.analyse.grid import judged

    df = judged(sweep[sweep["dataset"] == dataset])
    for base, g in df.groupby("base", sort=False):
        yield base, g, *sweeps.axes(g["swept"].iloc[0])


def _sweep_figure(sweep: pd.DataFrame, dataset: str, width: float, height: float, by_comparison=False):
    """``(fig, axes, parts, shown)``: a row of panels per swept method (and
    comparison, :func:`snapens.analyse.grid.comparisons_of`, with
    ``by_comparison``: parts are then ``(base, g, x, others, comparison)``),
    a column per headline metric; an empty sweep, one panel saying so."""
    from snapens.analyse.grid import comparisons_of, headline_metrics

    _style()
    shown = headline_metrics()
    parts = list(_sweep_parts(sweep, dataset))
    if by_comparison:
        parts = [(*part, c) for part in parts for c in comparisons_of(part[1])]
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
        _message(axes[0][0], f"no sweep on {dataset}")
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


def sweep_heatmap(dataset: str, sweep: pd.DataFrame, confidence: float = 0.95):
    """Ensemble minus each baseline over the grid (:data:`snapens.analyse.tables.COMPARISONS`:
    the best single model and the independent ensemble at equal cost, its own
    final model), one heatmap per swept method, comparison and headline
    metric; coloured so that blue favours the ensemble whatever the metric's
    direction; cells without a Holm-adjusted verdict hatched, their values
    in parentheses; grid points not compared left blank."""
    from matplotlib.patches import Patch

    from snapens.analyse.grid import verdict
    from snapens.analyse.tables import SHORT, column
    from snapens.train.schedules import ANNEALED

    fig, axes, parts, shown = _sweep_figure(sweep, dataset, 5.0, 3.9, by_comparison=True)
    for row, (base, g, x, others, comparison) in enumerate(parts):
        xs = sorted(dict.fromkeys(g[x]))
        keys = (
            sorted(dict.fromkeys(map(tuple, g[others].itertuples(index=False, name=None))))
            if others
            else [()]
        )
        for ax, (name, m) in zip(axes[row], shown.items()):
            scale, unit = _unit(name, m)
            digits = max(m.digits - round(math.log10(scale)), 1)
            diff = np.full((len(keys), len(xs)), np.nan)
            marks, unannealed = {}, []
            for _, r in g.iterrows():
                i = keys.index(tuple(r[o] for o in others)) if others else 0
                j = xs.index(r[x])
                if r.get("annealed") == "no":
                    unannealed.append((i, j))
                marks[i, j] = verdict(r, name, comparison)
                if marks[i, j] == "not tested":
                    del marks[i, j]
                    continue
                diff[i, j] = r[column(comparison, name, "mean")] * scale
            limit = np.nan_to_num(np.nanmax(np.abs(diff))) if np.isfinite(diff).any() else 0.0
            limit = limit or 1.0  # 1 when no cell has a value
            cmap = "RdBu" if m.higher_is_better else "RdBu_r"
            image = ax.imshow(diff, cmap=cmap, vmin=-limit, vmax=limit, aspect="auto", origin="lower")
            bar = fig.colorbar(image, ax=ax, shrink=0.85)
            bar.set_label(f"ensemble {MINUS} baseline,\n{m.label} ({unit})", fontsize="small")
            bar.ax.tick_params(labelsize="x-small")
            for (i, j), v in marks.items():
                text = f"{diff[i, j]:+.{digits}f}"
                if v not in ("better", "worse"):  # unclear, or too few repeats for any verdict
                    ax.add_patch(
                        plt.Rectangle(
                            (j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///", edgecolor="grey", lw=0
                        )
                    )
                    text = f"({text})"
                dark = abs(diff[i, j]) > 0.6 * limit
                ax.text(
                    j,
                    i,
                    text,
                    ha="center",
                    va="center",
                    fontsize="xx-small" if len(xs) > 4 else "x-small",
                    color="white" if dark else "black",
                )
            for i, j in unannealed:  # a corner mark: the last snapshot was not annealed
                ax.plot(j - 0.38, i + 0.3, marker="v", ms=4, color="black", mec="white", mew=0.5)
            ax.set_xticks(range(len(xs)), [sweeps.value_label(v) for v in xs])
            ax.set_yticks(range(len(keys)), [sweeps.label(others, k) for k in keys])
            ax.tick_params(labelsize="small")
            ax.set_xlabel(_axis_name(x), fontsize="small")
            ax.grid(False)
            ax.set_title(f"{base} vs {SHORT[comparison]}:\n{m.label} ({m.direction})", fontsize="medium")
    _legend_below(
        fig,
        [
            Patch(facecolor=plt.get_cmap("RdBu")(0.85), label="favours the ensemble"),
            Patch(facecolor=plt.get_cmap("RdBu")(0.15), label="favours the baseline"),
            Patch(
                facecolor="white",
                edgecolor="grey",
                hatch="///",
                label=f"(value): no verdict after Holm's adjustment over the grid "
                f"({int(round(confidence * 100))}% family-wise)",
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
        ],
        columns=2,
        fontsize="small",
    )
    fig.suptitle(
        f"{dataset}: where does the snapshot ensemble beat each baseline? "
        "(ensemble minus baseline, mean over repeats)"
    )
    return fig


def sweep_gain(dataset: str, sweep: pd.DataFrame, confidence: float = 0.95):
    """Ensemble minus final model against the number of cycles, with CI bands,
    one line per value of the sweep's other keys."""
    fig, axes, parts, shown = _sweep_figure(sweep, dataset, 5.0, 3.4)
    handles = {}
    for row, (base, g, x, others) in enumerate(parts):
        groups = list(g.groupby(others, sort=True)) if others else [((), g)]
        labels = [sweeps.label(others, key) if others else base for key, _ in groups]
        colors = dict(zip(labels, sns.color_palette("viridis", len(groups))))
        for ax, (name, m) in zip(axes[row], shown.items()):
            scale = _unit(name, m)[0]
            for label, (_, h) in zip(labels, groups):
                h = h.sort_values(x)
                (line,) = ax.plot(
                    h[x], h[f"diff_{name}_mean"] * scale, marker="o", ms=4, color=colors[label], label=label
                )
                handles.setdefault(label, line)
                ax.fill_between(
                    h[x],
                    h[f"diff_{name}_ci_low"] * scale,
                    h[f"diff_{name}_ci_high"] * scale,
                    color=colors[label],
                    alpha=0.15,
                    lw=0,
                )
            ax.axhline(0, color="grey", lw=1, ls="--")
            _value_axis(ax, g[x])
            ax.set_xlabel(_axis_name(x), fontsize="small")
            better = "up" if m.higher_is_better else "down"
            ax.set_ylabel(diff_label(name, m).replace(", ", ",\n", 1), fontsize="small")
            ax.set_title(f"{base}: {m.label}\n({better} favours the ensemble)", fontsize="medium")
    _legend_below(fig, list(handles.values()), columns=6)
    fig.suptitle(
        f"{dataset}: how does the ensemble's gain depend on the number of cycles? "
        f"(mean over repeats, {int(round(confidence * 100))}% CI band)"
    )
    return fig


def sweep_accuracy(dataset: str, sweep: pd.DataFrame, confidence: float = 0.95):
    """Final-model and ensemble accuracy against the sweep's first key after
    the one across (the peak learning rate in ``config/sweep.yaml``), one
    panel per value of every other key."""
    _style()
    panels = []
    for base, g, x, others in _sweep_parts(sweep, dataset):
        if not others:
            continue
        line, fixed = others[0], [x, *others[1:]]
        panels += [(base, line, fixed, key, h) for key, h in g.groupby(fixed, sort=True)]
    fig, axes = _panels(max(len(panels), 1), 4, 3.75, 2.9, sharey=True)
    palette = (METHOD_COLORS[6], METHOD_COLORS[1])
    for ax, (base, line, fixed, key, h) in zip(axes.flat, panels):
        h = h.sort_values(line)
        for color, model in zip(palette, ("final", "ensemble")):
            ax.plot(h[line], h[f"{model}_accuracy_mean"], marker="o", ms=4, color=color)
            ax.fill_between(
                h[line],
                h[f"{model}_accuracy_ci_low"],
                h[f"{model}_accuracy_ci_high"],
                color=color,
                alpha=0.2,
                lw=0,
            )
        _value_axis(ax, h[line])
        ax.set_xlabel(line)
        ax.set_title(f"{base}, {sweeps.label(fixed, key)}", fontsize="medium")
    if not panels:
        _message(axes.flat[0], f"no sweep of two keys on {dataset}")
    for ax in axes[:, 0]:
        if ax.axison:
            ax.set_ylabel(f"test accuracy\n(share of rows; mean, {int(round(confidence * 100))}% CI)")
    _legend_below(
        fig,
        [
            plt.Line2D([], [], color=c, marker="o", label=label)
            for c, label in zip(palette, ("final model", "ensemble of all snapshots"))
        ],
    )
    lines = sorted({p[1] for p in panels}) or ["the swept parameter"]
    fig.suptitle(f"{dataset}: how does {' / '.join(lines)} move the final model and the ensemble?")
    return fig


# --- the budget question: drawn from sweep.csv, curves.csv and limits.csv -----------

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

    _style()
    names = [m for m in FRONTIER_METRICS if m in METRICS]
    fig, axes = plt.subplots(
        1, len(names), figsize=(min(WIDTH, 6.5 * len(names)), 5.6), squeeze=False, layout="constrained"
    )
    df = sweep[sweep["dataset"] == dataset]
    roles = df.get("role", pd.Series("", index=df.index)).fillna("")
    bases = judged(df)["base"].unique()
    question = f"{dataset}: at a given training cost, which way of spending it predicts best?"
    if not len(df) or not len(bases):
        for ax in axes.flat[1:]:
            ax.remove()
        _message(axes.flat[0], f"no sweep with baselines on {dataset}")
        fig.suptitle(question)
        return fig
    _, others = sweeps.axes(df[df.base == bases[0]]["swept"].iloc[0])
    keys = sorted(
        dict.fromkeys(map(tuple, df[df.base == bases[0]][others].itertuples(index=False, name=None)))
    )
    colors = dict(zip(keys, sns.color_palette("viridis", len(keys))))
    limit = limits[limits["dataset"] == dataset] if limits is not None and len(limits) else limits
    full = list(df[roles == "full_cost"]["method"])
    mine = curves[(curves["dataset"] == dataset) & curves["method"].isin(full)] if len(curves) else curves
    top = int(mine["k"].max()) if len(mine) else 1
    for ax, name in zip(axes.flat, names):
        m = METRICS[name]
        for role, marker_key in (("judged", None), ("equal_cost", "equal_cost")):
            part = df[roles == role]
            for _, r in part.iterrows():
                key = tuple(r[o] for o in others)
                kind = marker_key or ("judged_single" if r["members"] == 1 else "judged")
                marker, offset = COST_MARKERS[kind]
                ax.plot(
                    offset,
                    r[f"ensemble_{name}_mean"],
                    marker=marker,
                    ms=11 if marker == "*" else 5,
                    ls="",
                    color=colors.get(key, "grey"),
                    alpha=0.9,
                    mec="black" if marker == "*" else "none",
                )
        for method in full:
            point = df[df["method"] == method].iloc[0]
            c = mine[mine["method"] == method].sort_values("k")
            ax.plot(
                c["k"], c[f"ensemble_{name}_mean"], lw=1.2, color=colors.get(tuple(point[o] for o in others))
            )
        if limit is not None and len(limit):
            ax.axhline(float(limit[name].iloc[0]), color="black", ls="--", lw=1)
        ax.set_xscale("log")
        ticks = sorted({t for t in COST_TICKS if t <= top} | {top})
        ax.set_xticks(ticks, [str(t) for t in ticks])
        ax.minorticks_off()
        ax.set_xlim(0.75, top * 1.15)
        ax.set_xlabel("total training cost (in one model's epoch budgets)")
        ax.set_ylabel(f"{m.label} ({_value_unit(name, m)}; {m.direction})")
        ax.set_title(m.label, fontsize="medium")
    handles = [
        plt.Line2D([], [], marker="*", ls="", color="grey", mec="black", ms=11, label="single model (M = 1)"),
        plt.Line2D([], [], marker="o", ls="", color="grey", label="snapshot ensemble (M > 1), cost 1"),
        plt.Line2D([], [], marker="s", ls="", color="grey", label="independent ensemble sharing the budget"),
        plt.Line2D([], [], color="grey", label="independent models, full budget each (k = 1..M)"),
        *(
            [plt.Line2D([], [], color="black", ls="--", label="Bayes-optimal classifier (the limit)")]
            if limit is not None and len(limit)
            else []
        ),
        *[plt.Line2D([], [], color=colors[k], lw=4, label=sweeps.label(others, k)) for k in keys],
    ]
    _legend_below(fig, handles, columns=3, fontsize="small")
    fig.suptitle(question + " (means over repeats, all test rows)")
    return fig
