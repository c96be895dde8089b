"""Sweeps: a method expanded over a grid of its parameters.

The config's ``sweeps`` section maps a method of ``methods`` to lists of
values, e.g. ``{"snapshot": {"members": [1, 2, 5], "lr_max": [0.01, 0.1]}}``.
Each combination (a grid point) becomes a method of its own, named
``snapshot/members-5_lr_max-0.1``: the base method's settings with the point's
values put in (``members`` at the method's level, any other key in its
``schedule``). A grid point is then a method like any other: its runs live in
``results/runs/{dataset}/snapshot/members-5_lr_max-0.1/seed-{seed}``, and every
table row, paired test, curve and DEE is computed for it.

Names are built from the values as written in the config, at most
:data:`DIGITS` significant digits, so a path never reads
``0.030000000000000002``; a value that such a name cannot state exactly is
refused. (Snakemake's ``Paramspace`` solves a neighbouring problem: one grid
for the whole workflow, one directory level per parameter, float values
spelled by pandas. Here each method has its own grid, the point has to be one
method wildcard so that every rule and table treats it like a method, and its
values have to be checked against the config's rules before any job.)
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

DIGITS = 6  # significant digits of a value in a grid point's name
SEPARATOR = "/"  # between the base method and the grid point in a method's name
TOP_LEVEL = ("members",)  # grid keys set on the method; any other key is a schedule parameter


def value_text(value: int | float) -> str:
    """How a grid value is written in a name: integers as they are, floats with
    at most :data:`DIGITS` significant digits (``0.03``, ``1e-05``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"grid values must be numbers, got {value!r}")
    if isinstance(value, int):
        return str(value)
    return format(value, f".{DIGITS}g")


def point_name(base: str, point: dict[str, Any]) -> str:
    """``base/key-value_key-value`` in the point's key order."""
    return base + SEPARATOR + "_".join(f"{k}-{value_text(v)}" for k, v in point.items())


def grid(axes: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Every combination of the ``axes`` values, the first key varying slowest."""
    keys = list(axes)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*axes.values())]


def apply(method: dict[str, Any], point: dict[str, Any]) -> dict[str, Any]:
    """The base ``method`` with the grid point's values put in."""
    spec = copy.deepcopy(method)
    for key, value in point.items():
        (spec if key in TOP_LEVEL else spec["schedule"])[key] = value
    return spec


def axis_problems(base: str, axes: dict[str, Any], methods: dict[str, Any]) -> list[str]:
    """What is wrong with the ``sweeps.{base}`` entry itself (not its points)."""
    key = f"sweeps.{base}"
    if base not in methods:
        return [f"{key}: no such method (methods: {', '.join(methods)})"]
    schedule = methods[base]["schedule"]
    problems = []
    for name, values in axes.items():
        where = f"{key}.{name}"
        if name not in TOP_LEVEL and (name == "name" or not isinstance(schedule.get(name), (int, float))):
            numeric = [k for k, v in schedule.items() if k != "name" and isinstance(v, (int, float))]
            problems.append(
                f"{where}: not a parameter of methods.{base} (sweepable: {', '.join([*TOP_LEVEL, *numeric])})"
            )
            continue
        texts = []
        for i, value in enumerate(values):
            text = value_text(value)
            if float(text) != value:
                problems.append(
                    f"{where}[{i}] = {value!r}: give at most {DIGITS} significant digits "
                    f"(its path would name it {text})"
                )
            texts.append(text)
        if len(set(texts)) < len(texts):
            problems.append(f"{where} = {values}: values repeat")
    return problems


def expand(methods: dict[str, Any], sweeps: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """``methods`` with each swept method replaced, in place, by its grid points."""
    sweeps = sweeps or {}
    expanded: dict[str, dict[str, Any]] = {}
    for name, method in methods.items():
        if name not in sweeps:
            expanded[name] = method
            continue
        for point in grid(sweeps[name]):
            expanded[point_name(name, point)] = apply(method, point)
    return expanded


def grid_points(sweeps: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """``{method name: {"method": base, **point}}`` for every grid point."""
    return {
        point_name(base, point): {"method": base, **point}
        for base, axes in (sweeps or {}).items()
        for point in grid(axes)
    }


X_AXIS = "members"  # drawn across (tables' columns, figures' x axis) whenever it is swept


def axes(swept: str | list[str]) -> tuple[str, list[str]]:
    """``(across, others)`` of a sweep's keys (``sweep.csv``'s ``swept``):
    :data:`X_AXIS` across when swept, else the first key; every table and
    figure of a sweep lays its grid out this way."""
    keys = swept.split() if isinstance(swept, str) else list(swept)
    across = X_AXIS if X_AXIS in keys else keys[0]
    return across, [k for k in keys if k != across]


def label(keys, values) -> str:
    """``"lr_max 0.01, lr_min 0"``: grid values with their keys, as read
    (floats ``:g``-formatted)."""
    values = values if isinstance(values, tuple) else (values,)
    return ", ".join(f"{k} {value_label(v)}" for k, v in zip(keys, values, strict=True))


def value_label(value) -> str:
    """A grid value as read in tables and figures (floats ``:g``-formatted)."""
    return f"{value:g}" if isinstance(value, float) else str(value)
