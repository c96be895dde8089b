"""Figures, drawn from the study's tables (never from models)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from snapens.core.runtime import not_importable  # noqa: E402

# seaborn imports SciPy, if it is there, only for kernel density estimates,
# which no figure draws: without it a figure job starts ~0.9 s sooner (SciPy's
# statistics take that to import) and draws the same bytes (tested).
with not_importable(("scipy",)):
    import seaborn as sns  # noqa: E402

from snapens.core import sweeps  # noqa: E402
from snapens.core.io import atomic_path  # noqa: E402
from snapens.core.paths import FIGURE_FORMATS  # noqa: E402
from snapens.evaluate.metrics import METRICS  # noqa: E402
from snapens.train.schedules import Budget, learning_rates, snapshot_epochs  # noqa: E402


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


def _grid(n: int, width: float = 4.2, height: float = 3.4):
    cols = min(n, 4)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False, sharey=True)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes.flat


def tutorial(dataset: str, curves: pd.DataFrame, confidence: float = 0.95):
    """The tutorial's plot across repeats, one panel per method.

    x = k: the k-th snapshot counted from the end alone (points with CI bars)
    and the ensemble of the last k snapshots (line with CI band).
    """
    _style()
    df = curves[curves["dataset"] == dataset]
    methods = list(dict.fromkeys(df["method"]))
    fig, axes = _grid(len(methods))
    pct = int(round(confidence * 100))
    for ax, method in zip(axes, methods):
        g = df[df["method"] == method].sort_values("k")
        k = g["k"].to_numpy()
        single = g["single_accuracy_mean"].to_numpy()
        ax.errorbar(
            k,
            single,
            yerr=[single - g["single_accuracy_ci_low"], g["single_accuracy_ci_high"] - single],
            fmt="o",
            ms=4,
            capsize=2,
            label="single snapshot",
        )
        ax.plot(k, g["ensemble_accuracy_mean"], marker=".", label="ensemble of last k")
        ax.fill_between(k, g["ensemble_accuracy_ci_low"], g["ensemble_accuracy_ci_high"], alpha=0.25)
        ax.set_title(method)
        ax.set_xlabel("k (snapshots counted from the end)")
        ax.set_xticks(k)
    axes[0].set_ylabel(f"test accuracy (mean, {pct}% CI)")
    axes[0].legend(loc="lower left", fontsize="small")
    fig.suptitle(
        f"{dataset}: does averaging the last k snapshots beat each snapshot alone? (mean over repeats)"
    )
    fig.tight_layout()
    return fig


def lr_schedules(dataset: str, schedules: dict[str, Any]):
    """Each method's learning rate at every iteration, snapshots marked.

    ``schedules`` holds ``epochs`` and, per method, its ``schedule``,
    ``members``, ``ensemble``, ``steps_per_epoch`` (from the rows it trains on)
    and ``epochs`` (each model's, when its members share the budget).
    """
    _style()
    methods = schedules["methods"]
    fig, axes = _grid(len(methods), height=2.8)
    for ax, (name, m) in zip(axes, methods.items()):
        epochs = m.get("epochs", schedules["epochs"])
        independent = m.get("ensemble") == "independent"
        steps = m["steps_per_epoch"]
        budget = Budget(epochs, 1 if independent else m["members"], steps)
        lr = learning_rates(m["schedule"], budget, per="step")
        x = np.arange(len(lr)) / steps
        ax.plot(x, lr, lw=1)
        marks = snapshot_epochs(m["schedule"]["name"], epochs, budget.members)
        last_step = [(e + 1) * steps - 1 for e in marks]
        ax.plot(np.asarray(marks) + 1 - 1 / steps, lr[last_step], "v", ms=5, label="snapshot")
        runs = f", x{m['members']} runs" if independent else ""
        ax.set_title(f"{name} ({m['schedule']['name']}{runs}, {steps} steps/epoch)", fontsize="medium")
        ax.set_xlabel("epoch")
    axes[0].set_ylabel("learning rate")
    axes[0].legend(loc="upper right", fontsize="small")
    fig.suptitle(f"{dataset}: learning rate per iteration and where each snapshot is taken")
    fig.tight_layout()
    return fig


def learning_curves(dataset: str, learning: pd.DataFrame):
    """Training loss and accuracy per epoch, mean over repeats, one line per method."""
    _style()
    df = learning[learning["dataset"] == dataset]
    fig, axes = plt.subplots(1, 3, figsize=(15, 3.6))
    for col, ax, label in (
        ("lr", axes[0], "learning rate"),
        ("loss", axes[1], "training loss"),
        ("accuracy", axes[2], "training accuracy"),
    ):
        sns.lineplot(df, x="epoch", y=col, hue="method", ax=ax, lw=1, legend=ax is axes[2])
        ax.set_ylabel(label)
    axes[1].set_yscale("log")
    sns.move_legend(axes[2], "lower right", fontsize="small", title=None)
    fig.suptitle(f"{dataset}: learning curves (mean over repeats; independent: over members too)")
    fig.tight_layout()
    return fig


def paired_differences(dataset: str, runs: pd.DataFrame, confidence: float = 0.95):
    """Ensemble minus final model per repeat (points) with mean and CI, per metric.

    Points are spread vertically by a fixed, seeded jitter, so the figure is
    the same, byte for byte, whenever it is drawn from the same table.
    """
    from snapens.analyse.tables import compare
    from snapens.evaluate.metrics import METRICS

    _style()
    df = runs[runs["dataset"] == dataset]
    methods = list(dict.fromkeys(df["method"]))
    fig, axes = plt.subplots(
        1, len(METRICS), figsize=(4.2 * len(METRICS), 0.45 * len(methods) + 1.8), squeeze=False
    )
    colors = sns.color_palette("colorblind", len(methods))
    for ax, (name, m) in zip(axes[0], METRICS.items()):
        for i, method in enumerate(methods):
            g = df[df["method"] == method].sort_values("seed")
            diff = (g[f"ensemble_{name}"] - g[f"final_{name}"]).to_numpy()
            jitter = np.random.default_rng(i).uniform(-0.2, 0.2, len(diff))
            ax.scatter(diff, i + jitter, s=9, alpha=0.5, color=colors[i], linewidths=0)
            res = compare(name, g[f"ensemble_{name}"], g[f"final_{name}"], g["test_rows"], confidence)
            ax.errorbar(
                res["mean_diff"],
                i,
                xerr=[[res["mean_diff"] - res["ci_low"]], [res["ci_high"] - res["mean_diff"]]],
                fmt="D",
                color="black",
                ms=5,
                capsize=3,
            )
        ax.axvline(0, color="grey", lw=1, ls="--")
        better = "right" if m.higher_is_better else "left"
        ax.set_title(f"{m.label}: ensemble - final ({better} is better)")
        ax.set_xlabel("difference")
        ax.set_yticks(range(len(methods)), methods if ax is axes[0][0] else [])
        ax.set_ylim(len(methods) - 0.5, -0.5)
    fig.suptitle(
        f"{dataset}: does the ensemble of all members beat the final model? Paired "
        f"differences per repeat, mean with {int(round(confidence * 100))}% CI"
    )
    fig.tight_layout()
    return fig


DIVERSITY_COLUMNS = 6  # methods per band of the diversity figure
# each statistic's colour map, the end of its scale that is fixed
# (disagreement starts at 0; a correlation is at most 1; the other end is the
# dataset's extreme, so every panel of a statistic shares one scale) and the
# label of its colour bar
DIVERSITY_SCALES = {
    "disagreement_mean": ("viridis", 0.0, None, "disagreement of members i and j\n(share of test rows)"),
    "correlation_mean": ("magma", None, 1.0, "correlation of members i and j\n(softmax outputs)"),
}


def _shared_scale(values: pd.Series, low: float | None, high: float | None) -> tuple[float, float]:
    """A colour scale's ends: the fixed end and the data's other extreme."""
    finite = values.to_numpy(dtype=float)
    finite = finite[np.isfinite(finite)]
    lo = low if low is not None else (float(finite.min()) if finite.size else 0.0)
    hi = high if high is not None else (float(finite.max()) if finite.size else 1.0)
    return (lo, hi) if hi > lo else (lo, lo + 1.0)


def diversity(dataset: str, diversity: pd.DataFrame):
    """Mean pairwise disagreement (top) and softmax correlation (bottom) per
    method, every panel of a statistic on one colour scale (one colour bar per
    statistic, so methods compare by colour)."""
    _style()
    df = diversity[diversity["dataset"] == dataset]
    methods = list(dict.fromkeys(df["method"]))
    per_row = max(1, min(len(methods), DIVERSITY_COLUMNS))  # methods side by side; more wrap below
    bands = max(1, math.ceil(len(methods) / per_row))
    # fixed margins in inches (no tight_layout: its cost grows with the square
    # of the panels, and a swept study has a hundred methods); the colour bars
    # sit under the title
    top, bottom, width = 2.2, 0.6, 3.2 * per_row
    height = 6.2 * bands + top + bottom
    fig, axes = plt.subplots(2 * bands, per_row, figsize=(width, height), squeeze=False)
    fig.subplots_adjust(
        left=0.9 / width,
        right=1 - 0.2 / width,
        top=1 - top / height,
        bottom=bottom / height,
        hspace=0.7,
        wspace=0.45,
    )
    for i in range(len(methods), bands * per_row):  # empty places of the last band
        axes[2 * (bands - 1), i % per_row].set_visible(False)
        axes[2 * (bands - 1) + 1, i % per_row].set_visible(False)
    scales = {
        stat: (cmap, *_shared_scale(df[stat], lo, hi)) for stat, (cmap, lo, hi, _) in DIVERSITY_SCALES.items()
    }
    images = {}
    for index, method in enumerate(methods):
        band, col = divmod(index, per_row)
        g = df[df["method"] == method]
        name = method.replace("/", "\n")  # a grid point's values on their own line: panels stay narrow
        for row, (stat, (cmap, vmin, vmax)) in enumerate(scales.items(), start=2 * band):
            mat = g.pivot(index="i", columns="j", values=stat)
            ax = axes[row, col]
            # imshow, not sns.heatmap: seaborn redraws the whole figure for every
            # heatmap it adds, which makes a grid of them quadratic in time
            images[stat] = ax.imshow(mat.to_numpy(), cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
            ticks = np.arange(0, len(mat), max(1, len(mat) // 10))
            ax.set_xticks(ticks, mat.columns[ticks])
            ax.set_yticks(ticks, mat.index[ticks])
            ax.grid(False)
            ax.set_title(
                f"{name}\n{stat.removesuffix('_mean')}" if row % 2 == 0 else stat.removesuffix("_mean"),
                fontsize="small",
            )
            ax.set_xlabel("member j")
            ax.set_ylabel("member i")
    for k, (stat, image) in enumerate(images.items()):
        cax = fig.add_axes((0.08 + 0.46 * k, 1 - 0.85 / height, 0.38, 0.12 / height))
        bar = fig.colorbar(image, cax=cax, orientation="horizontal")
        bar.set_label(DIVERSITY_SCALES[stat][3], fontsize="small")
        bar.solids.set_rasterized(False)  # vector colour bars: no full-figure raster per bar in the SVG
    fig.suptitle(
        f"{dataset}: how different are the members? (mean over repeats; member 1 = oldest)",
        y=1 - 0.15 / height,
        va="top",
    )
    return fig


def methods(dataset: str, summary: pd.DataFrame, confidence: float = 0.95):
    """Final model, full ensemble, weight average and weighted ensemble of every
    method: every metric with CIs."""
    from snapens.evaluate.metrics import METRICS

    _style()
    df = summary[summary["dataset"] == dataset]
    names = list(df["method"])
    models = ("final", "ensemble", "swa", "swa_tail", "weighted")
    fig, axes = plt.subplots(
        1, len(METRICS), figsize=(4.6 * len(METRICS), 0.5 * len(names) + 1.8), sharey=True, squeeze=False
    )
    palette = dict(zip(models, sns.color_palette("colorblind", len(models))))
    offsets = dict(zip(models, (-0.3, -0.15, 0.0, 0.15, 0.3)))
    for ax, (metric, m) in zip(axes[0], METRICS.items()):
        for model in models:
            mean = df[f"{model}_{metric}_mean"].to_numpy(dtype=float)
            lo = df[f"{model}_{metric}_ci_low"].to_numpy(dtype=float)
            hi = df[f"{model}_{metric}_ci_high"].to_numpy(dtype=float)
            y = np.arange(len(names)) + offsets[model]
            ok = ~np.isnan(mean)
            if ok.any():
                ax.errorbar(
                    mean[ok],
                    y[ok],
                    xerr=[(mean - lo)[ok], (hi - mean)[ok]],
                    fmt="o",
                    ms=4,
                    capsize=2,
                    color=palette[model],
                    label=model,
                )
        ax.set_yticks(range(len(names)), names)
        ax.set_xlabel(f"test {m.label} ({m.direction})")
        ax.set_ylim(len(names) - 0.5, -0.5)
    axes[0][0].legend(fontsize="small", loc="best")
    fig.suptitle(
        f"{dataset}: which method and which way of using its members predicts best? "
        f"(mean, {int(round(confidence * 100))}% CI)"
    )
    fig.tight_layout()
    return fig


def deep_ensemble_equivalent(dataset: str, dee: pd.DataFrame):
    """Deep ensemble equivalent of each method's full ensemble with its
    bootstrap interval; a value beyond the reference curve is drawn as an
    arrow past its end and labelled "> M", never as a number."""
    from snapens.analyse.dee import ABOVE, BELOW, fmt
    from snapens.analyse.summary import dee_label, reference_text
    from snapens.analyse.tables import DEE_METRICS

    _style()
    df = dee[dee["dataset"] == dataset]
    primary = next((m for m in DEE_METRICS if m in set(df["metric"])), None)
    df = df[df["metric"] == primary].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 0.5 * max(len(df), 1) + 1.8))
    if not len(df):
        ax.text(
            0.5, 0.5, "no method with independent members in this study", ha="center", transform=ax.transAxes
        )
        ax.set_title(f"{dataset}: deep ensemble equivalent")
        fig.tight_layout()
        return fig
    top = int(df["reference_members"].iloc[0])
    if "identified" in df and not (df["identified"] == "yes").any():
        ax.text(
            0.5,
            0.5,
            f"the reference's curve identifies no deep ensemble equivalent:\n{df['dee_text'].iloc[0]}",
            ha="center",
            va="center",
            transform=ax.transAxes,
        )
        ax.set_axis_off()
        ax.set_title(f"{dataset}: how many independently trained models is each ensemble worth?")
        fig.tight_layout()
        return fig
    lo_edge, hi_edge = 0.5, top + 0.8  # where "< 1" and "> M" are drawn
    color = sns.color_palette("colorblind", 1)[0]

    def place(v):
        return hi_edge if v == ABOVE else lo_edge if v == BELOW else v

    for i, r in df.iterrows():
        if pd.isna(r.dee):  # the curve's gain is within the noise of placing this value on it
            ax.annotate(
                "not identifiable" if r.get("identified") == "no" else "n/a",
                ((1 + top) / 2, i),
                ha="center",
                va="center",
                fontsize="small",
                color="grey",
            )
            continue
        point, low, high = place(r.dee), place(r.dee_ci_low), place(r.dee_ci_high)
        ax.plot([low, high], [i, i], color=color, lw=2)
        for bound in {r.dee_ci_low, r.dee_ci_high} & {ABOVE, BELOW}:  # arrows past the curve's ends
            ax.plot(place(bound), i, marker=">" if bound == ABOVE else "<", color=color, ms=7)
        censored = r.dee in (ABOVE, BELOW)
        ax.plot(point, i, "o", ms=8, color=color, mfc="white" if censored else color)
        ax.annotate(
            fmt(r.dee, members=top),
            (point, i),
            textcoords="offset points",
            xytext=(0, 7),
            ha="center",
            fontsize="small",
        )
    ax.axvline(top, color="grey", lw=1, ls="--")
    ax.axvline(1, color="grey", lw=1, ls=":")
    ax.set_xlim(0.2, top + 1.2)
    ax.set_yticks(range(len(df)), df["method"])
    ax.set_ylim(len(df) - 0.5, -0.7)
    unread = df[df["dee"].isna()]
    why = (
        f"\nnot identifiable: the reference gains {unread['reference_gain'].iloc[0]:.4f} from 1 to {top} models, "
        "within the uncertainty of placing the value on its curve"
        if len(unread) and "reference_gain" in unread
        else ""
    )
    ax.set_xlabel(
        f"independently trained models of equal mean {dee_label(primary)} (1..{top}; open circle and "
        f"arrow: beyond the curve)\nreference: {reference_text(df.iloc[0]).replace('`', '')}{why}",
        fontsize="small",
    )
    ax.set_title(f"{dataset}: how many independently trained models is each ensemble worth?")
    fig.tight_layout()
    return fig


def decision_regions(dataset: str, grid: dict[str, np.ndarray]):
    """Predicted class over the plane for each panel of a decision grid (see
    :mod:`snapens.stages.decision_grid`), the test points on top."""
    from matplotlib.colors import ListedColormap

    _style()
    names, probs = [str(n) for n in grid["names"]], grid["probs"]
    gx, gy, X, y = grid["grid_x"], grid["grid_y"], grid["X_test"], grid["y_test"]
    cols = 2 if len(names) <= 8 else 6  # a method's two panels side by side
    rows = math.ceil(len(names) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 4 * rows), squeeze=False)
    for ax in axes.flat[len(names) :]:
        ax.set_visible(False)
    n_classes = probs.shape[2]
    colors = sns.color_palette("colorblind", n_classes)
    cmap = ListedColormap(colors)
    for ax, name, p in zip(axes.flat, names, probs):
        label = p.argmax(axis=1).reshape(gx.shape)
        conf = p.max(axis=1).reshape(gx.shape)
        ax.contourf(gx, gy, label, levels=np.arange(n_classes + 1) - 0.5, cmap=cmap, alpha=0.35)
        ax.contour(gx, gy, conf, levels=[0.5, 0.7, 0.9], colors="k", linewidths=0.4, alpha=0.5)
        ax.scatter(X[:, 0], X[:, 1], c=[colors[c] for c in y], s=4, edgecolors="none")
        ax.set_title(name, fontsize="medium")
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(
        f"{dataset}: where does the ensemble decide differently from the final model? "
        f"(seed {int(grid['seed'])})"
    )
    fig.tight_layout(rect=(0, 0, 1, 0.985))
    return fig


# --- sweeps: drawn from sweep.csv -------------------------------------------------


def _sweep_parts(sweep: pd.DataFrame, dataset: str):
    """Per swept method of ``dataset``: (base, rows, x axis, other axes), laid
    out by :func:`snapens.sweeps.axes`."""
    from snapens.analyse.summary import judged

    df = judged(sweep[sweep["dataset"] == dataset])
    for base, g in df.groupby("base", sort=False):
        yield base, g, *sweeps.axes(g["swept"].iloc[0])


def _sweep_figure(sweep: pd.DataFrame, dataset: str, width: float, height: float, by_comparison=False):
    """``(fig, axes, parts, shown)``: a row of panels per swept method (and
    comparison, :func:`snapens.analyse.summary.comparisons_of`, with
    ``by_comparison``: parts are then ``(base, g, x, others, comparison)``),
    a column per headline metric."""
    from snapens.analyse.summary import comparisons_of, headline_metrics

    _style()
    shown = headline_metrics()
    parts = list(_sweep_parts(sweep, dataset))
    if by_comparison:
        parts = [(*part, c) for part in parts for c in comparisons_of(part[1])]
    rows = max(len(parts), 1)
    fig, axes = plt.subplots(rows, len(shown), figsize=(width * len(shown), height * rows), squeeze=False)
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
    from snapens.analyse.summary import verdict
    from snapens.analyse.tables import SHORT, column
    from snapens.train.schedules import ANNEALED

    fig, axes, parts, shown = _sweep_figure(sweep, dataset, 5.2, 4.4, by_comparison=True)
    for row, (base, g, x, others, comparison) in enumerate(parts):
        xs = sorted(dict.fromkeys(g[x]))
        keys = (
            sorted(dict.fromkeys(map(tuple, g[others].itertuples(index=False, name=None))))
            if others
            else [()]
        )
        for ax, (name, m) in zip(axes[row], shown.items()):
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
                diff[i, j] = r[column(comparison, name, "mean")]
            limit = np.nan_to_num(np.nanmax(np.abs(diff))) or 1.0  # 1 when no cell has a value
            cmap = "RdBu" if m.higher_is_better else "RdBu_r"
            image = ax.imshow(diff, cmap=cmap, vmin=-limit, vmax=limit, aspect="auto", origin="lower")
            fig.colorbar(image, ax=ax, shrink=0.8, label=f"ensemble - baseline {m.label}")
            for (i, j), v in marks.items():
                text = f"{diff[i, j]:+.{m.digits}f}"
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
                    fontsize="x-small",
                    color="white" if dark else "black",
                )
            for i, j in unannealed:  # a corner mark: the last snapshot was not annealed
                ax.plot(j - 0.38, i + 0.3, marker="v", ms=4, color="black", mec="white", mew=0.5)
            ax.set_xticks(range(len(xs)), [sweeps.value_label(v) for v in xs])
            ax.set_yticks(range(len(keys)), [sweeps.label(others, k) for k in keys])
            ax.set_xlabel(_axis_name(x))
            ax.grid(False)
            ax.set_title(f"{base} vs {SHORT[comparison]}:\n{m.label} ({m.direction})", fontsize="medium")
    fig.suptitle(
        f"{dataset}: where does the snapshot ensemble beat each baseline? Ensemble minus baseline, "
        f"mean over repeats;\nhatched: no verdict after Holm's adjustment over the grid "
        f"({int(round(confidence * 100))}% family-wise); blue favours the ensemble;\na corner "
        f"triangle: the last snapshot was taken above {ANNEALED:.0%} of the peak rate (not annealed)"
    )
    fig.tight_layout()
    return fig


def sweep_gain(dataset: str, sweep: pd.DataFrame, confidence: float = 0.95):
    """Ensemble minus final model against the number of cycles, with CI bands,
    one line per value of the sweep's other keys."""
    fig, axes, parts, shown = _sweep_figure(sweep, dataset, 5, 3.8)
    for row, (base, g, x, others) in enumerate(parts):
        groups = list(g.groupby(others, sort=True)) if others else [((), g)]
        colors = sns.color_palette("viridis", len(groups))
        for ax, (name, m) in zip(axes[row], shown.items()):
            for color, (key, h) in zip(colors, groups):
                h = h.sort_values(x)
                ax.plot(
                    h[x],
                    h[f"diff_{name}_mean"],
                    marker="o",
                    ms=4,
                    color=color,
                    label=sweeps.label(others, key) if others else base,
                )
                ax.fill_between(
                    h[x],
                    h[f"diff_{name}_ci_low"],
                    h[f"diff_{name}_ci_high"],
                    color=color,
                    alpha=0.15,
                    lw=0,
                )
            ax.axhline(0, color="grey", lw=1, ls="--")
            _value_axis(ax, g[x])
            ax.set_xlabel(_axis_name(x))
            better = "up" if m.higher_is_better else "down"
            ax.set_ylabel(f"ensemble - final {m.label}")
            ax.set_title(f"{base}: {m.label} ({better} favours the ensemble)", fontsize="medium")
        axes[row][-1].legend(fontsize="x-small", loc="best")
    fig.suptitle(
        f"{dataset}: how does the ensemble's gain depend on the number of cycles? "
        f"(mean over repeats, {int(round(confidence * 100))}% CI band)"
    )
    fig.tight_layout()
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
    fig, axes = _grid(max(len(panels), 1), width=4, height=3.4)
    palette = sns.color_palette("colorblind", 2)
    for ax, (base, line, fixed, key, h) in zip(axes, panels):
        h = h.sort_values(line)
        for color, model in zip(palette, ("final", "ensemble")):
            ax.plot(h[line], h[f"{model}_accuracy_mean"], marker="o", ms=4, color=color, label=model)
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
    axes[0].set_ylabel(f"test accuracy (mean, {int(round(confidence * 100))}% CI)")
    axes[0].legend(fontsize="small", loc="best")
    lines = sorted({p[1] for p in panels}) or ["the swept parameter"]
    fig.suptitle(f"{dataset}: how does {' / '.join(lines)} move the final model and the ensemble?")
    fig.tight_layout()
    return fig


# --- the budget question: drawn from sweep.csv, curves.csv and limits.csv -----------

FRONTIER_METRICS = ("nll_calibrated_capped", "accuracy")  # calibrated NLL first: comparable across models
COST_MARKERS = {"judged_single": ("*", 1.0), "judged": ("o", 0.92), "equal_cost": ("s", 1.08)}


def frontier(dataset: str, sweep: pd.DataFrame, curves: pd.DataFrame, limits: pd.DataFrame):
    """Each method's value against its total training cost, in units of one
    model's epoch budget: at cost 1 the single models, the snapshot ensembles
    and the equal-cost independent ensembles of every grid point (a point
    each); the full-cost independent ensembles of k = 1..M models at cost k,
    a line per rate; the Bayes-optimal limit where the data's densities are
    known. Means over repeats on all test rows; nothing is chosen, so every
    candidate is drawn."""
    from snapens.analyse.summary import judged

    _style()
    names = [m for m in FRONTIER_METRICS if m in METRICS]
    fig, axes = plt.subplots(1, len(names), figsize=(6.2 * len(names), 4.6), squeeze=False)
    df = sweep[sweep["dataset"] == dataset]
    roles = df.get("role", pd.Series("", index=df.index)).fillna("")
    bases = judged(df)["base"].unique()
    if not len(df) or not len(bases):
        for ax in axes.flat:
            ax.text(0.5, 0.5, "no sweep with baselines for this dataset", ha="center", transform=ax.transAxes)
        fig.suptitle(f"{dataset}: the budget frontier")
        fig.tight_layout()
        return fig
    _, others = sweeps.axes(df[df.base == bases[0]]["swept"].iloc[0])
    keys = sorted(
        dict.fromkeys(map(tuple, df[df.base == bases[0]][others].itertuples(index=False, name=None)))
    )
    colors = dict(zip(keys, sns.color_palette("viridis", len(keys))))
    limit = limits[limits["dataset"] == dataset] if limits is not None and len(limits) else limits
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
        for method in df[roles == "full_cost"]["method"]:
            point = df[df["method"] == method].iloc[0]
            c = curves[(curves["dataset"] == dataset) & (curves["method"] == method)].sort_values("k")
            ax.plot(
                c["k"], c[f"ensemble_{name}_mean"], lw=1.2, color=colors.get(tuple(point[o] for o in others))
            )
        if limit is not None and len(limit):
            ax.axhline(float(limit[name].iloc[0]), color="black", ls="--", lw=1)
        ax.set_xscale("log")
        costs = sorted(
            {1, *(int(k) for k in curves[curves["dataset"] == dataset]["k"])} if len(curves) else {1}
        )
        ax.set_xticks(costs, [str(c) for c in costs])
        ax.minorticks_off()
        ax.set_xlabel("total training cost (in one model's epoch budgets)")
        ax.set_ylabel(f"{m.label} ({m.direction})")
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
    axes.flat[-1].legend(handles=handles, fontsize="x-small", loc="best")
    fig.suptitle(
        f"{dataset}: at a given training cost, which way of spending it predicts best? "
        "(means over repeats, all test rows)"
    )
    fig.tight_layout()
    return fig
