"""What makes a figure unreadable, found on the Figure itself after a draw.

:func:`problems` lists, in words, every

* pair of text elements that overlap: titles, suptitles, axis labels, tick
  labels (those of one axis among themselves too), offset texts ("1e-3"),
  annotations and texts, and legends (each legend one box: the texts inside a
  legend are laid out by matplotlib and not compared with each other), in the
  figure and its subfigures; empty and invisible texts do not count;
* axes that are visible and show nothing (no line, point, patch, image or
  text with a finite value) without having been turned off;
* legend inside an axes over that axes' data points (the vertices of its
  lines, the midpoints between them, its scatter points);
* figure wider than :data:`MAX_WIDTH` inches as saved (what
  :func:`snapens.report.style.save` keeps: the drawn box), i.e.
  ``MAX_WIDTH * DPI`` = 2400 pixels in the PNG.

Every ``plot_{family}`` job runs it on the figure it draws
(:func:`check`, from :mod:`snapens.report.rule_plot`): the problems are
logged, and fail the job when the environment sets
``SNAPENS_FIGURE_CHECK=strict`` (the workflow tests do, so every figure of
their tiny studies is checked).

Limits: boxes are the texts' window extents (rectangles: a rotated label
counts as its bounding box, a text's box includes its line spacing); texts
are not checked against lines, points or images (a label over data is not
found), only legends are; a figure with much blank space, or too tall to
read, passes; the ticks drawn are those whose location lies in the axis's
view (as matplotlib draws them).
"""

from __future__ import annotations

import os

import numpy as np

# inches: 2400 px at the 150 dpi figures are saved with; shown whole on a
# 1920-pixel screen, 10-point text stays 17 pixels high
MAX_WIDTH = 16.0
DPI = 150
CHECK_VARIABLE = "SNAPENS_FIGURE_CHECK"  # "strict": a problem fails the job that draws the figure


def _shown(text) -> bool:
    return bool(text.get_visible() and text.get_text().strip())


def _tick_labels(ax, axis, which: str):
    """The tick labels an axis draws (after a draw): those of the ticks
    inside its view, major and minor."""
    low, high = sorted(axis.get_view_interval())
    slack = 1e-10 * max(abs(low), abs(high), 1.0)
    labels = []
    for locs, texts in (
        (axis.get_majorticklocs(), axis.get_majorticklabels()),
        (axis.get_minorticklocs(), axis.get_minorticklabels()),
    ):
        for loc, label in zip(locs, texts, strict=False):
            if low - slack <= loc <= high + slack and _shown(label):
                labels.append((f"{which} tick label {label.get_text()!r}", label))
    return labels


def _name(ax, index: int) -> str:
    title = next((t.get_text() for t in (ax.title, ax._left_title, ax._right_title) if _shown(t)), "")
    title = title.replace("\n", " ")
    return f"axes {index + 1}" + (f" ({title[:40]!r})" if title else "")


def _parts(fig):
    """``fig`` and its subfigures, at any depth."""
    yield fig
    for sub in fig.subfigs:
        yield from _parts(sub)


def _axes(fig) -> list:
    """Every axes of ``fig`` and of its subfigures, once each."""
    return list(dict.fromkeys(ax for part in _parts(fig) for ax in part.axes))


def _texts(fig):
    """(description, window extent) of every shown text element of ``fig``."""
    renderer = fig.canvas.get_renderer()
    items = []
    for part in _parts(fig):
        # the suptitle and the super labels are among the texts too
        for text in dict.fromkeys((part._suptitle, part._supxlabel, part._supylabel, *part.texts)):
            if text is not None and _shown(text):
                items.append((f"figure text {text.get_text()[:50]!r}", text))
        for legend in part.legends:
            if legend.get_visible():
                items.append(("figure legend", legend))
    for index, ax in enumerate(_axes(fig)):
        if not ax.get_visible():
            continue
        where = _name(ax, index)
        for title in (ax.title, ax._left_title, ax._right_title):
            if _shown(title):
                items.append((f"{where}: title", title))
        if ax.axison:
            for letter, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
                if not axis.get_visible():
                    continue
                if _shown(axis.label):
                    items.append((f"{where}: {letter} label {axis.label.get_text()[:40]!r}", axis.label))
                if _shown(axis.offsetText):
                    items.append((f"{where}: {letter} offset text", axis.offsetText))
                items += [(f"{where}: {d}", t) for d, t in _tick_labels(ax, axis, letter)]
        for text in ax.texts:
            if _shown(text):
                items.append((f"{where}: text {text.get_text()[:40]!r}", text))
        legend = ax.get_legend()
        if legend is not None and legend.get_visible():
            items.append((f"{where}: legend", legend))
    return [(d, artist.get_window_extent(renderer)) for d, artist in items]


def _overlaps(boxes, tolerance: float) -> list[tuple[int, int]]:
    """Pairs (i < j) of boxes whose intersection is wider and taller than ``tolerance`` pixels."""
    if len(boxes) < 2:
        return []
    b = np.array([[x.x0, x.y0, x.x1, x.y1] for x in boxes], dtype=float)
    pairs = []
    for start in range(0, len(b), 512):  # in blocks: a figure of a hundred panels has thousands
        block = b[start : start + 512, None, :]
        w = np.minimum(block[..., 2], b[None, :, 2]) - np.maximum(block[..., 0], b[None, :, 0])
        h = np.minimum(block[..., 3], b[None, :, 3]) - np.maximum(block[..., 1], b[None, :, 1])
        hit = (w > tolerance) & (h > tolerance)
        for i, j in zip(*np.nonzero(hit)):
            if start + i < j:
                pairs.append((int(start + i), int(j)))
    return pairs


def _finite_xy(xy) -> bool:
    xy = np.ma.filled(np.ma.asarray(xy, dtype=float), np.nan)
    return bool(xy.size and np.isfinite(xy.reshape(len(xy), -1)).all(axis=-1).any())


def _shows_something(ax) -> bool:
    """``ax`` draws a line or point with a finite value, a patch, an image
    with a finite value or a non-empty text."""
    if any(line.get_visible() and _finite_xy(line.get_xydata()) for line in ax.lines):
        return True
    for collection in ax.collections:
        if collection.get_visible() and (
            _finite_xy(collection.get_offsets()) or any(len(p.vertices) for p in collection.get_paths())
        ):
            return True
    if any(patch.get_visible() for patch in ax.patches):
        return True
    for image in ax.images:
        if (
            image.get_visible()
            and np.ma.masked_invalid(np.ma.asarray(image.get_array(), dtype=float)).count()
        ):
            return True
    return any(_shown(text) for text in ax.texts)


def _legend_covers_data(ax, renderer) -> bool:
    """A legend inside ``ax`` over one of its drawn data points (the vertices
    of its lines, its scatter points and error bars)."""
    from matplotlib.collections import PathCollection
    from matplotlib.lines import Line2D

    legend = ax.get_legend()
    if legend is None or not legend.get_visible():
        return False
    box = legend.get_window_extent(renderer)
    frame = ax.get_window_extent(renderer)
    if not (frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1):
        return False  # outside the axes: it covers nothing of them
    points = []
    for artist in ax.get_children():
        if not artist.get_visible():
            continue
        if isinstance(artist, Line2D) and artist.get_label() != "_nolegend_" and len(artist.get_xydata()):
            xy = artist.get_xydata()
            if artist.get_linestyle() in ("None", "", " ") or len(xy) <= 2:
                points.append(artist.get_transform().transform(xy))
            else:  # a curve: its vertices and the midpoints between them
                mid = (xy[1:] + xy[:-1]) / 2
                points.append(artist.get_transform().transform(np.vstack([xy, mid])))
        elif isinstance(artist, PathCollection) and len(artist.get_offsets()):
            points.append(artist.get_offset_transform().transform(artist.get_offsets()))
    if not points:
        return False
    p = np.vstack(points)
    p = p[np.isfinite(p).all(axis=1)]
    inside = (p[:, 0] > box.x0) & (p[:, 0] < box.x1) & (p[:, 1] > box.y0) & (p[:, 1] < box.y1)
    return bool(inside.any())


def problems(fig, max_width: float = MAX_WIDTH, tolerance: float = 0.5) -> list[str]:
    """What makes ``fig`` unreadable, one sentence each (empty: nothing found).

    ``tolerance``: pixels (at the figure's dpi) two text boxes may share
    before they count as overlapping."""
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    found = []
    texts = _texts(fig)
    for i, j in _overlaps([box for _, box in texts], tolerance):
        found.append(f"overlapping text: {texts[i][0]} and {texts[j][0]}")
    for index, ax in enumerate(_axes(fig)):
        if ax.get_visible() and ax.axison and not _shows_something(ax):
            found.append(f"empty axes: {_name(ax, index)} shows nothing and is not turned off")
        if ax.get_visible() and _legend_covers_data(ax, renderer):
            found.append(f"legend over data: {_name(ax, index)}")
    width = fig.get_tightbbox(renderer).width  # inches, as saved (before the padding)
    if width > max_width:
        found.append(
            f"too wide: {width:.1f} inches ({width * DPI:.0f} px at {DPI} dpi), "
            f"more than the {max_width:g} inches allowed"
        )
    return found


def check(fig, name: str) -> list[str]:
    """:func:`problems` of ``fig`` at the resolution it is saved with, each
    logged as a warning naming the figure ``name``; with
    ``SNAPENS_FIGURE_CHECK=strict`` in the environment, any problem is an
    error (the job fails, naming them)."""
    from snapens.core.logs import log

    fig.set_dpi(DPI)
    found = problems(fig)
    for problem in found:
        log.warning("%s: %s", name, problem)
    if found and os.environ.get(CHECK_VARIABLE, "") == "strict":
        raise ValueError(
            f"{name}: {len(found)} layout problem(s) ({CHECK_VARIABLE}=strict):\n" + "\n".join(found)
        )
    return found
