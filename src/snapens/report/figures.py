"""The registry of figure families: one entry per family, from which the
workflow makes a rule (``plot_{name}``), its targets and its report entry, and
the tests their expectations.

A family is drawn once per dataset into ``{results}/figures/{name}_{dataset}.png``
and ``.svg`` by the function ``function`` (default ``snapens.report.plotting.{name}``),
called as ``function(dataset, **tables, **params)`` where ``tables`` are its
``inputs`` (argument name -> study table, :data:`snapens.core.paths.TABLE_FILES`
or ``decision_grid``) read back (``.csv`` as a DataFrame, ``.npz`` as a dict
of arrays, ``.json`` as what it holds) and ``params`` the named figure parameters of the config (see
``figure_params`` in ``workflow/rules/common.smk``). Its caption is
``workflow/report/{name}.rst`` and starts with the question it answers.

Adding a family: its drawing function, an entry here, its caption.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

# which datasets a family is drawn for: all, those with two features, or all
# when the study has sweeps (or baselines; none otherwise); snapens.plan.targets applies it
DATASET_SELECTORS = ("all", "two_d", "swept", "baselines")


@dataclass(frozen=True)
class Family:
    name: str
    title: str  # shown in the report's figure list
    inputs: dict[str, str] = field(default_factory=dict)  # argument -> table name
    params: tuple[str, ...] = ()  # figure parameters taken from the config
    datasets: str = "all"
    function: str = ""  # "module:function"; default snapens.report.plotting:{name}
    category: str = "Figures"  # the report's section

    def draw_function(self) -> Callable[..., Any]:
        module, _, name = (self.function or f"snapens.report.plotting:{self.name}").partition(":")
        return getattr(importlib.import_module(module), name)


FAMILIES: dict[str, Family] = {}


def register(family: Family) -> Family:
    if family.name in FAMILIES:
        raise ValueError(f"figure family {family.name!r} is already registered")
    if family.datasets not in DATASET_SELECTORS:
        raise ValueError(f"{family.name}: datasets must be one of {DATASET_SELECTORS}")
    FAMILIES[family.name] = family
    return family


register(Family("lr_schedules", "Learning-rate schedules", params=("schedules",)))
register(Family("learning_curves", "Learning curves", {"learning": "learning"}))
register(Family("tutorial", "The tutorial's plot across repeats", {"curves": "curves"}, ("confidence",)))
register(
    Family("paired_differences", "Ensemble minus final model, per repeat", {"runs": "runs"}, ("confidence",))
)
register(Family("diversity", "Diversity of the members", {"diversity": "diversity"}))
register(Family("methods", "Methods side by side", {"summary": "summary"}, ("confidence",)))
register(Family("deep_ensemble_equivalent", "Deep ensemble equivalent", {"dee": "dee", "study": "study"}))
register(Family("decision_regions", "Decision regions", {"grid": "decision_grid"}, datasets="two_d"))
register(
    Family(
        "sweep_heatmap",
        "Ensemble minus final over the sweep's grid",
        {"sweep": "sweep"},
        ("confidence",),
        datasets="swept",
        category="Sweeps",
    )
)
register(
    Family(
        "sweep_gain",
        "Ensemble gain against the number of cycles",
        {"sweep": "sweep"},
        ("confidence",),
        datasets="swept",
        category="Sweeps",
    )
)
register(
    Family(
        "sweep_accuracy",
        "Final-model and ensemble accuracy across the grid",
        {"sweep": "sweep"},
        ("confidence",),
        datasets="swept",
        category="Sweeps",
    )
)
register(
    Family(
        "frontier",
        "The budget frontier: each method against its training cost",
        {"sweep": "sweep", "curves": "curves", "limits": "limits"},
        datasets="baselines",
        category="Sweeps",
    )
)
