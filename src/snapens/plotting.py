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
        budget = Budget(epochs, m["members"], steps_per_epoch)
        lr = learning_rates(m["schedule"], budget, per="step")
        x = np.arange(len(lr)) / steps_per_epoch
        ax.plot(x, lr, lw=1)
        marks = snapshot_epochs(m["schedule"]["name"], epochs, m["members"])
        last_step = [(e + 1) * steps_per_epoch - 1 for e in marks]
        ax.plot(np.asarray(marks) + 1 - 1 / steps_per_epoch, lr[last_step], "v", ms=5,
                label="snapshot")
        ax.set_title(f"{name} ({m['schedule']['name']})")
        ax.set_xlabel("epoch")
    axes[0].set_ylabel("learning rate")
    axes[0].legend(loc="upper right", fontsize="small")
    fig.tight_layout()
    return fig
