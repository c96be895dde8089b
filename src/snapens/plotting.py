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
import seaborn as sns  # noqa: E402

from snapens.io import atomic_path  # noqa: E402
from snapens.schedules import Budget, learning_rates, snapshot_epochs  # noqa: E402

FORMATS = ("png", "svg")


def _style() -> None:
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")
    # Reproducible SVG: no timestamp, fixed element ids.
    plt.rcParams["svg.hashsalt"] = "snapens"
    plt.rcParams["svg.fonttype"] = "none"


def save(fig, stem: str | Path) -> list[Path]:
    """Write ``stem.png`` and ``stem.svg`` atomically; close the figure."""
    paths = []
    for fmt in FORMATS:
        path = Path(f"{stem}.{fmt}")
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=fmt, dpi=150, bbox_inches="tight", metadata={"Date": None}
                        if fmt == "svg" else {"Software": None})
        paths.append(path)
    plt.close(fig)
    return paths


def _grid(n: int, width: float = 4.2, height: float = 3.4):
    cols = min(n, 4)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False,
                             sharey=True)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes.flat


def seed_plot(curves: pd.DataFrame, dataset: str, confidence: float = 0.95):
    """The seed tutorial's plot across repeats, one panel per method.

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
        ax.errorbar(k, single, yerr=[single - g["single_accuracy_ci_low"], g["single_accuracy_ci_high"] - single],
                    fmt="o", ms=4, capsize=2, label="single snapshot")
        ax.plot(k, g["ensemble_accuracy_mean"], marker=".", label="ensemble of last k")
        ax.fill_between(k, g["ensemble_accuracy_ci_low"], g["ensemble_accuracy_ci_high"], alpha=0.25)
        ax.set_title(method)
        ax.set_xlabel("k (snapshots counted from the end)")
        ax.set_xticks(k)
    axes[0].set_ylabel(f"test accuracy (mean, {pct}% CI)")
    axes[0].legend(loc="lower left", fontsize="small")
    fig.suptitle(f"{dataset}: single snapshots vs last-k ensembles across repeats")
    fig.tight_layout()
    return fig


def lr_schedules(methods: dict[str, Any], epochs: int, steps_per_epoch: int):
    """Each method's learning rate at every iteration, snapshots marked."""
    _style()
    fig, axes = _grid(len(methods), height=2.8)
    for ax, (name, m) in zip(axes, methods.items()):
        independent = m.get("ensemble") == "independent"
        budget = Budget(epochs, 1 if independent else m["members"], steps_per_epoch)
        lr = learning_rates(m["schedule"], budget, per="step")
        x = np.arange(len(lr)) / steps_per_epoch
        ax.plot(x, lr, lw=1)
        marks = snapshot_epochs(m["schedule"]["name"], epochs, budget.members)
        last_step = [(e + 1) * steps_per_epoch - 1 for e in marks]
        ax.plot(np.asarray(marks) + 1 - 1 / steps_per_epoch, lr[last_step], "v", ms=5,
                label="snapshot")
        runs = f", x{m['members']} runs" if independent else ""
        ax.set_title(f"{name} ({m['schedule']['name']}{runs})")
        ax.set_xlabel("epoch")
    axes[0].set_ylabel("learning rate")
    axes[0].legend(loc="upper right", fontsize="small")
    fig.tight_layout()
    return fig


def learning_curves(curves: pd.DataFrame, dataset: str):
    """Training loss and accuracy per epoch, mean over repeats, one line per method."""
    _style()
    df = curves[curves["dataset"] == dataset]
    fig, axes = plt.subplots(1, 3, figsize=(15, 3.6))
    for col, ax, label in (("lr", axes[0], "learning rate"), ("loss", axes[1], "training loss"),
                           ("accuracy", axes[2], "training accuracy")):
        sns.lineplot(df, x="epoch", y=col, hue="method", ax=ax, lw=1, legend=ax is axes[2])
        ax.set_ylabel(label)
    axes[1].set_yscale("log")
    sns.move_legend(axes[2], "lower right", fontsize="small", title=None)
    fig.suptitle(f"{dataset}: learning curves (mean over repeats; independent: over members too)")
    fig.tight_layout()
    return fig


def paired_differences(runs: pd.DataFrame, dataset: str, confidence: float = 0.95):
    """Ensemble minus final model per repeat (points) with mean and CI, per metric."""
    from snapens.metrics import METRICS
    from snapens.statistics import mean_ci

    _style()
    df = runs[runs["dataset"] == dataset]
    methods = list(dict.fromkeys(df["method"]))
    fig, axes = plt.subplots(1, len(METRICS), figsize=(4.2 * len(METRICS), 0.45 * len(methods) + 1.8))
    for ax, m in zip(axes, METRICS):
        diff = df[f"ensemble_{m}"] - df[f"final_{m}"]
        sns.stripplot(x=diff, y=df["method"], order=methods, ax=ax, size=3, alpha=0.5, jitter=0.2)
        for i, method in enumerate(methods):
            ci = mean_ci(diff[df["method"] == method], confidence)
            ax.errorbar(ci["mean"], i, xerr=[[ci["mean"] - ci["ci_low"]], [ci["ci_high"] - ci["mean"]]],
                        fmt="D", color="black", ms=5, capsize=3)
        ax.axvline(0, color="grey", lw=1, ls="--")
        better = "right" if m == "accuracy" else "left"
        ax.set_title(f"{m}: ensemble - final ({better} is better)")
        ax.set_xlabel("difference")
        ax.set_ylabel("")
    fig.suptitle(f"{dataset}: paired differences per repeat, mean with {int(round(confidence * 100))}% CI")
    fig.tight_layout()
    return fig


def diversity_heatmaps(diversity: pd.DataFrame, dataset: str):
    """Mean pairwise disagreement (top) and softmax correlation (bottom) per method."""
    _style()
    df = diversity[diversity["dataset"] == dataset]
    methods = list(dict.fromkeys(df["method"]))
    fig, axes = plt.subplots(2, len(methods), figsize=(3.2 * len(methods), 6.2), squeeze=False)
    for col, method in enumerate(methods):
        g = df[df["method"] == method]
        for row, (stat, cmap) in enumerate((("disagreement_mean", "viridis"), ("correlation_mean", "magma"))):
            mat = g.pivot(index="i", columns="j", values=stat)
            # imshow, not sns.heatmap: seaborn redraws the whole figure for every
            # heatmap it adds, which makes a grid of them quadratic in time
            ax = axes[row, col]
            image = ax.imshow(mat.to_numpy(), cmap=cmap, interpolation="nearest")
            fig.colorbar(image, ax=ax, shrink=0.7)
            ticks = np.arange(0, len(mat), max(1, len(mat) // 10))
            ax.set_xticks(ticks, mat.columns[ticks])
            ax.set_yticks(ticks, mat.index[ticks])
            ax.grid(False)
            axes[row, col].set_title(f"{method}\n{stat.removesuffix('_mean')}" if row == 0 else
                                     stat.removesuffix("_mean"))
            axes[row, col].set_xlabel("member j")
            axes[row, col].set_ylabel("member i")
    fig.suptitle(f"{dataset}: diversity of members (mean over repeats; member 1 = oldest)")
    fig.tight_layout()
    return fig


def methods_side_by_side(summary: pd.DataFrame, dataset: str, confidence: float = 0.95):
    """Final model, full ensemble and weight average of every method: accuracy and NLL with CIs."""
    _style()
    df = summary[summary["dataset"] == dataset]
    methods = list(df["method"])
    fig, axes = plt.subplots(1, 2, figsize=(11, 0.5 * len(methods) + 1.8), sharey=True)
    palette = dict(zip(("final", "ensemble", "swa"), sns.color_palette("colorblind", 3)))
    for ax, metric in zip(axes, ("accuracy", "nll")):
        for offset, model in zip((-0.2, 0.0, 0.2), ("final", "ensemble", "swa")):
            mean = df[f"{model}_{metric}_mean"].to_numpy()
            lo, hi = df[f"{model}_{metric}_ci_low"].to_numpy(), df[f"{model}_{metric}_ci_high"].to_numpy()
            y = np.arange(len(methods)) + offset
            ok = ~np.isnan(mean)
            ax.errorbar(mean[ok], y[ok], xerr=[(mean - lo)[ok], (hi - mean)[ok]], fmt="o", ms=4,
                        capsize=2, color=palette[model], label=model)
        ax.set_yticks(range(len(methods)), methods)
        ax.set_xlabel(f"test {metric} (mean, {int(round(confidence * 100))}% CI)")
        ax.invert_yaxis()
    axes[0].legend(fontsize="small", loc="best")
    fig.suptitle(f"{dataset}: methods side by side")
    fig.tight_layout()
    return fig


def dee_bars(dee: pd.DataFrame, dataset: str):
    """Deep ensemble equivalent of each method's full ensemble, mean with CI."""
    _style()
    df = dee[dee["dataset"] == dataset]
    fig, ax = plt.subplots(figsize=(7, 0.45 * max(len(df), 1) + 1.6))
    if len(df):
        y = np.arange(len(df))
        ax.barh(y, df["dee_mean"], xerr=[df["dee_mean"] - df["dee_ci_low"], df["dee_ci_high"] - df["dee_mean"]],
                color=sns.color_palette("colorblind", 1)[0], capsize=3)
        ax.set_yticks(y, df["method"])
        ax.invert_yaxis()
        ax.set_xlabel(f"independently trained models of equal NLL (reference: {df['reference'].iloc[0]})")
    else:
        ax.text(0.5, 0.5, "no method with independent members in this study", ha="center",
                transform=ax.transAxes)
    ax.set_title(f"{dataset}: deep ensemble equivalent of the full ensemble")
    fig.tight_layout()
    return fig


def decision_regions(X, y, grid_x, grid_y, panels: dict[str, np.ndarray], title: str):
    """Predicted class over a 2-D grid for each named panel (``(grid, classes)`` probabilities),
    the test points on top."""
    _style()
    names = list(panels)
    cols = 2
    rows = math.ceil(len(names) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 4 * rows), squeeze=False)
    for ax in axes.flat[len(names):]:
        ax.set_visible(False)
    n_classes = next(iter(panels.values())).shape[1]
    colors = sns.color_palette("colorblind", n_classes)
    from matplotlib.colors import ListedColormap

    cmap = ListedColormap(colors)
    for ax, name in zip(axes.flat, names):
        probs = panels[name]
        label = probs.argmax(axis=1).reshape(grid_x.shape)
        conf = probs.max(axis=1).reshape(grid_x.shape)
        ax.contourf(grid_x, grid_y, label, levels=np.arange(n_classes + 1) - 0.5, cmap=cmap, alpha=0.35)
        ax.contour(grid_x, grid_y, conf, levels=[0.5, 0.7, 0.9], colors="k", linewidths=0.4, alpha=0.5)
        ax.scatter(X[:, 0], X[:, 1], c=[colors[c] for c in y], s=4, edgecolors="none")
        ax.set_title(name, fontsize="medium")
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0, 1, 0.985))
    return fig
