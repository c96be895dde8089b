"""What every figure shares: its style and :func:`save`; one colour, line
style and marker per method (:func:`method_styles`, the same in every
family); the units values and differences are drawn in; panels, the legend
below them and the message of a panel with nothing to draw.

Every drawing function (one module per subject: :mod:`~snapens.report.runs`,
:mod:`~snapens.report.members`, :mod:`~snapens.report.dee`,
:mod:`~snapens.report.sweeps`, :mod:`~snapens.report.frontier`) returns its
Figure (``snapens.report.layout.problems`` checks it, :func:`save` writes
it): differences drawn in the metric's unit (:func:`diff_label`), at most
:data:`WIDTH` inches wide (``layout.MAX_WIDTH`` is the limit), legends outside
the data.
"""

from __future__ import annotations

import math
import re
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from snapens.core.runtime import not_importable  # noqa: E402

# seaborn imports SciPy, if it is there, only for kernel density estimates,
# which no figure draws: without it a figure job starts ~0.9 s sooner (SciPy's
# statistics take that to import) and draws the same bytes (tested). The
# drawing modules reach seaborn through this module only (:func:`palette`).
with not_importable(("scipy",)):
    import seaborn as sns  # noqa: E402

from snapens.core import sweeps  # noqa: E402
from snapens.core.io import atomic_path  # noqa: E402
from snapens.core.paths import FIGURE_FORMATS  # noqa: E402

WIDTH = 15.0  # inches: every figure's width (layout.MAX_WIDTH, 16, is the limit the tests hold)
MINUS = "\u2212"


def set_style() -> None:
    """The study's theme; SVG written reproducibly (no timestamp, fixed element ids)."""
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")
    plt.rcParams["svg.hashsalt"] = "snapens"
    plt.rcParams["svg.fonttype"] = "none"


def save(fig, stem: str | Path, dpi: int = 150) -> list[Path]:
    """Write ``stem.png`` and ``stem.svg`` atomically, cropped to what is drawn
    (the tight box, laid out once for both formats: a figure of a hundred
    panels spends most of its time in that layout); close the figure.
    Returns the two paths."""
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


def palette(name: str, n: int) -> list[tuple[float, float, float]]:
    """``n`` colours of seaborn's palette ``name`` (``"viridis"``, ``"colorblind"``)."""
    return sns.color_palette(name, n)


def percent(confidence: float) -> int:
    """A confidence level in whole percent (0.95 -> 95)."""
    return int(round(confidence * 100))


# --- one style per method ------------------------------------------------------------

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


def base_method(method: str) -> str:
    """The method a sweep's grid point expands (a method's own name otherwise)."""
    return str(method).split(sweeps.SEPARATOR, 1)[0]


def method_styles(methods) -> dict[str, dict[str, str]]:
    """``{method: {"color", "ls", "marker"}}``, by the position of its base
    method among ``methods`` (every method of a table, all datasets: so each
    method has the same style in every figure of the study)."""
    bases = list(dict.fromkeys(base_method(method) for method in methods))
    styles = {}
    for method in dict.fromkeys(methods):
        position = bases.index(base_method(method))
        styles[method] = {
            "color": METHOD_COLORS[position % len(METHOD_COLORS)],
            "ls": LINESTYLES[position % len(LINESTYLES)],
            "marker": MARKERS[position % len(MARKERS)],
        }
    return styles


def methods_of(table: pd.DataFrame) -> list[str]:
    """The methods of a table, in its order (none without a ``method`` column)."""
    return list(dict.fromkeys(table["method"])) if "method" in table else []


# --- units ---------------------------------------------------------------------------


def value_unit(metric) -> str:
    """The unit of a value of ``metric`` (a :class:`snapens.evaluate.metrics.Metric`) as the tables hold it."""
    return metric.unit or "no unit"


def diff_label(metric, baseline: str = "final") -> str:
    """An axis of differences of ``metric`` (a :class:`snapens.evaluate.metrics.Metric`),
    in the unit of :attr:`Metric.difference_unit`:
    ``ensemble − final, accuracy (percentage points)``."""
    return f"ensemble {MINUS} {baseline}, {metric.label} ({metric.difference_unit[1]})"


# --- a sweep's grid points in panels and lines --------------------------------------

_GRID_VALUE = re.compile(r"(?:^|_)([A-Za-z][A-Za-z0-9_]*?)-(-?[0-9][0-9.eE+-]*)(?=_[A-Za-z]|$)")


def grid_point(method: str) -> tuple[str, dict[str, str]]:
    """A method's base and, for a sweep's grid point (:func:`snapens.core.sweeps.point_name`),
    its values as written in its name: ``("snapshot", {"members": "5", "lr_max": "0.1"})``."""
    base, separator, values = str(method).partition(sweeps.SEPARATOR)
    return base, (dict(_GRID_VALUE.findall(values)) if separator else {})


def panel_groups(methods) -> list[tuple[str, list[tuple[str, str]]]]:
    """Panels for many methods: ``[(title, [(method, line label), ...]), ...]``.
    A sweep's grid points are grouped by base method and the value across
    (:func:`snapens.core.sweeps.axes`), a line per value of the other keys;
    every other method is a group of its own."""
    groups: dict[tuple, tuple[str, list]] = {}
    for method in methods:
        base, values = grid_point(method)
        if not values:
            groups[(method,)] = (method, [(method, method)])
            continue
        across, others = sweeps.axes(list(values))
        if others:
            key, title = (base, across, values[across]), f"{base}, {across} {values[across]}"
            line = ", ".join(f"{other} {values[other]}" for other in others)
        else:
            key, title, line = (base,), base, f"{across} {values[across]}"
        groups.setdefault(key, (title, []))[1].append((method, line))
    return list(groups.values())


def line_colors(labels) -> dict[str, tuple]:
    """A sequential colour per line label of a sweep (ordered by their values)."""

    def order(label):
        return tuple(float(v) for v in re.findall(r" (-?[0-9][0-9.eE+-]*)", label)), label

    labels = sorted(dict.fromkeys(labels), key=order)
    return dict(zip(labels, palette("viridis", len(labels))))


def two_lines(name: str) -> str:
    """A grid point's name on two lines (base, then its values): panels stay narrow."""
    return str(name).replace(sweeps.SEPARATOR, "\n", 1)


# --- panels, legends, messages -------------------------------------------------------


def panel_grid(n: int, columns: int, panel_width: float, panel_height: float, extra: float = 1.0, **kw):
    """``(fig, axes)``: ``n`` panels of ``panel_width`` x ``panel_height``
    inches in rows of ``columns`` (at most :data:`WIDTH` wide, ``extra`` inches
    more high for titles and legend), constrained layout, the places left
    over in the last row removed; ``kw`` go to ``plt.subplots``."""
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


def legend_below(fig, handles, columns: int = 4, **kw) -> None:
    """The figure's legend of ``handles`` under its panels, in at most
    ``columns`` columns (never over data, nor the title)."""
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncols=min(columns, len(handles)), **kw)


def panel_message(ax, text: str, width: int = 90) -> None:
    """A panel that says why there is nothing to draw (lines of at most ``width`` characters)."""
    text = "\n".join(textwrap.fill(part, width) for part in text.split("\n"))
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()
