"""What the study draws: the datasets each figure family is drawn for, and
every figure file (the ``all`` rule's targets besides the tables)."""

from __future__ import annotations

from typing import Any

from snapens.core.paths import FIGURE_FORMATS, Layout
from snapens.data import kinds
from snapens.data.kinds import redrawn_pairs
from snapens.report.figures import FAMILIES, Family


def two_d_datasets(config: dict[str, Any]) -> list[str]:
    """Datasets known to have two features (:mod:`snapens.data.kinds`), where
    decision regions can be drawn."""
    return [name for name, ds in config["datasets"].items() if kinds.features(ds) == 2]


def family_datasets(family: Family, config: dict[str, Any]) -> list[str]:
    """The datasets of ``config`` that ``family`` is drawn for: those of its
    selector, without the redrawn twins of fixed datasets where the family
    would repeat the twin's figure (``Family.redrawn_twin``)."""
    chosen = _selected(family, config)
    if family.redrawn_twin:
        return chosen
    twins = redrawn_pairs(config["datasets"])
    return [d for d in chosen if twins.get(d) not in chosen]


def _selected(family: Family, config: dict[str, Any]) -> list[str]:
    if family.datasets == "two_d":
        return two_d_datasets(config)
    if family.datasets == "swept":
        return list(config["datasets"]) if config.get("sweeps") else []
    if family.datasets == "baselines":
        return list(config["datasets"]) if config.get("baselines") else []
    return list(config["datasets"])


def figure_files(config: dict[str, Any], layout: Layout | None = None) -> list[str]:
    """Every figure file the study of ``config`` draws (under ``layout``,
    default: the config's ``results``)."""
    layout = layout or Layout(config.get("results", "results"))
    return [
        layout.figure.format(family=name, dataset=d, ext=ext)
        for name, family in FAMILIES.items()
        for d in family_datasets(family, config)
        for ext in FIGURE_FORMATS
    ]
