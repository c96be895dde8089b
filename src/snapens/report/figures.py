"""The registry of figure families: one entry per family, from which the
workflow makes a rule (``plot_{name}``), its targets and its report entry, and
the tests their expectations.

A family is drawn once per dataset into ``{results}/figures/{name}_{dataset}.png``
and ``.svg`` by the function named as the family in its ``module`` of
``snapens.report`` (one of :data:`DRAWING_MODULES`; ``function``,
``"module:function"``, names any other), called as
``function(dataset, **tables, **params)`` where ``tables`` are its
``inputs`` (argument name -> study table, :data:`snapens.core.paths.TABLE_FILES`
or ``decision_grid``) read back (``.csv`` as a DataFrame, ``.npz`` as a dict
of arrays, ``.json`` as what it holds) and ``params`` the named figure parameters of the config (see
:meth:`snapens.plan.study.Study.figure_params`). Its caption is
``workflow/report/{name}.rst`` and starts with the question it answers.

Adding a family: its drawing function in a module of :data:`DRAWING_MODULES`,
an entry here, its caption. A new module of drawing functions goes into
:data:`DRAWING_MODULES` and is imported by :mod:`snapens.report.rule_plot`,
so that an edit of it reruns the figure jobs (tested).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

# which datasets a family is drawn for: all, those with two features, or all
# when the study has sweeps (or baselines; none otherwise); snapens.plan.targets applies it
DATASET_SELECTORS = ("all", "two_d", "swept", "baselines")

# the modules of snapens.report that hold drawing functions, by subject
DRAWING_MODULES = ("runs", "members", "dee", "sweeps", "frontier")


@dataclass(frozen=True)
class Family:
    name: str
    title: str  # shown in the report's figure list
    inputs: dict[str, str] = field(default_factory=dict)  # argument -> table name
    params: tuple[str, ...] = ()  # figure parameters taken from the config
    datasets: str = "all"
    module: str = ""  # of DRAWING_MODULES: draws it with its function of the family's name
    function: str = ""  # "module:function", instead of a module of DRAWING_MODULES
    category: str = "Figures"  # the report's section
    # drawn for a redrawn dataset whose fixed twin the study also runs; False
    # where it would repeat the twin's figure (its schedules, its learning
    # curves, its decision regions: the same generator, one draw of it)
    redrawn_twin: bool = True

    def draw_function(self) -> Callable[..., Any]:
        """The function that draws the family."""
        module, _, name = (self.function or f"snapens.report.{self.module}:{self.name}").partition(":")
        return getattr(importlib.import_module(module), name)


FAMILIES: dict[str, Family] = {}


def register(family: Family) -> Family:
    if family.name in FAMILIES:
        raise ValueError(f"figure family {family.name!r} is already registered")
    if family.datasets not in DATASET_SELECTORS:
        raise ValueError(f"{family.name}: datasets must be one of {DATASET_SELECTORS}")
    if not family.function and family.module not in DRAWING_MODULES:
        raise ValueError(f"{family.name}: module must be one of {DRAWING_MODULES} (or give a function)")
    FAMILIES[family.name] = family
    return family


register(
    Family(
        "lr_schedules", "Learning-rate schedules", params=("schedules",), module="runs", redrawn_twin=False
    )
)
register(
    Family("learning_curves", "Learning curves", {"learning": "learning"}, module="runs", redrawn_twin=False)
)
register(
    Family(
        "tutorial", "The tutorial's plot across repeats", {"curves": "curves"}, ("confidence",), module="runs"
    )
)
register(
    Family(
        "paired_differences",
        "Ensemble minus final model, per repeat",
        {"runs": "runs"},
        ("confidence",),
        module="runs",
    )
)
register(Family("diversity", "Diversity of the members", {"diversity": "diversity"}, module="members"))
register(Family("methods", "Methods side by side", {"summary": "summary"}, ("confidence",), module="runs"))
register(
    Family(
        "deep_ensemble_equivalent", "Deep ensemble equivalent", {"dee": "dee", "study": "study"}, module="dee"
    )
)
register(
    Family(
        "decision_regions",
        "Decision regions",
        {"grid": "decision_grid"},
        datasets="two_d",
        module="members",
        redrawn_twin=False,
    )
)
register(
    Family(
        "sweep_heatmap",
        "Ensemble minus final over the sweep's grid",
        {"sweep": "sweep"},
        ("confidence",),
        datasets="swept",
        module="sweeps",
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
        module="sweeps",
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
        module="sweeps",
        category="Sweeps",
    )
)
register(
    Family(
        "frontier",
        "The budget frontier: each method against its training cost",
        {"sweep": "sweep", "curves": "curves", "limits": "limits"},
        datasets="baselines",
        module="frontier",
        category="Sweeps",
    )
)
