"""The registry of figure families: one entry per family, from which the
workflow makes a rule (``plot_{name}``), its targets and its report entry, and
the tests their expectations.

A family is drawn once per dataset into ``results/figures/{name}_{dataset}.png``
and ``.svg`` by the function ``function`` (default ``snapens.plotting.{name}``),
called as ``function(dataset, **tables, **params)`` where ``tables`` are its
``inputs`` read back (``.csv`` as a DataFrame, ``.npz`` as a dict of arrays)
and ``params`` the named figure parameters of the config (see
``figure_params`` in ``workflow/rules/common.smk``). Its caption is
``workflow/report/{name}.rst`` and starts with the question it answers.

Adding a family: its drawing function, an entry here, its caption.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

from snapens.paths import DECISION_GRID, FIGURE, FIGURE_FORMATS, TABLES

# which datasets a family is drawn for: all, those with two features, or all
# when the study has sweeps (none otherwise)
DATASET_SELECTORS = ("all", "two_d", "swept")


@dataclass(frozen=True)
class Family:
    name: str
    title: str  # shown in the report's figure list
    inputs: dict[str, str] = field(default_factory=dict)  # argument -> path pattern ({dataset})
    params: tuple[str, ...] = ()  # figure parameters taken from the config
    datasets: str = "all"
    function: str = ""  # "module:function"; default snapens.plotting:{name}
    category: str = "Figures"  # the report's section

    def draw_function(self) -> Callable[..., Any]:
        module, _, name = (self.function or f"snapens.plotting:{self.name}").partition(":")
        return getattr(importlib.import_module(module), name)


FAMILIES: dict[str, Family] = {}


def two_d_datasets(config: dict[str, Any]) -> list[str]:
    """Generated datasets with two features, where decision regions can be drawn."""
    return [
        name
        for name, ds in config["datasets"].items()
        if ds["kind"] in ("moons", "circles") or (ds["kind"] == "blobs" and ds["n_features"] == 2)
    ]


def family_datasets(family: Family, config: dict[str, Any]) -> list[str]:
    """The datasets of ``config`` that ``family`` is drawn for."""
    if family.datasets == "two_d":
        return two_d_datasets(config)
    if family.datasets == "swept":
        return list(config["datasets"]) if config.get("sweeps") else []
    return list(config["datasets"])


def figure_files(config: dict[str, Any]) -> list[str]:
    """Every figure file the study of ``config`` draws."""
    return [
        FIGURE.format(family=name, dataset=d, ext=ext)
        for name, family in FAMILIES.items()
        for d in family_datasets(family, config)
        for ext in FIGURE_FORMATS
    ]


def register(family: Family) -> Family:
    if family.name in FAMILIES:
        raise ValueError(f"figure family {family.name!r} is already registered")
    if family.datasets not in DATASET_SELECTORS:
        raise ValueError(f"{family.name}: datasets must be one of {DATASET_SELECTORS}")
    FAMILIES[family.name] = family
    return family


register(Family("lr_schedules", "Learning-rate schedules", params=("schedules",)))
register(Family("learning_curves", "Learning curves", {"learning": TABLES["learning"]}))
register(Family("tutorial", "The tutorial's plot across repeats", {"curves": TABLES["curves"]},
                ("confidence",)))
register(Family("paired_differences", "Ensemble minus final model, per repeat",
                {"runs": TABLES["runs"]}, ("confidence",)))
register(Family("diversity", "Diversity of the members", {"diversity": TABLES["diversity"]}))
register(Family("methods", "Methods side by side", {"summary": TABLES["summary"]}, ("confidence",)))
register(Family("deep_ensemble_equivalent", "Deep ensemble equivalent", {"dee": TABLES["dee"]}))
register(Family("decision_regions", "Decision regions", {"grid": DECISION_GRID}, datasets="two_d"))
register(Family("sweep_heatmap", "Ensemble minus final over the sweep's grid", {"sweep": TABLES["sweep"]},
                ("confidence",), datasets="swept", category="Sweeps"))
register(Family("sweep_gain", "Ensemble gain against the number of cycles", {"sweep": TABLES["sweep"]},
                ("confidence",), datasets="swept", category="Sweeps"))
register(Family("sweep_accuracy", "Final-model and ensemble accuracy across the grid", {"sweep": TABLES["sweep"]},
                ("confidence",), datasets="swept", category="Sweeps"))
