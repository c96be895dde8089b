"""Every check of the study config, in one place, before any job starts.

:func:`check_config` validates the config against the JSON schema
(``workflow/schemas/config.schema.yaml``: types, ranges, required and unknown
keys), then, if that passes, checks the rules that relate several keys. Every
problem is reported at once, each as ``dotted.key = value: what is wrong``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from snapens.core.settings import budget_mode, independent
from snapens.core.sweeps import axis_problems, expand
from snapens.data import kinds
from snapens.data.dataset import held_out_rows
from snapens.train.schedules import CYCLIC


class ConfigError(ValueError):
    """The config is invalid; the message names every offending key and value."""


# --- the schema ---------------------------------------------------------------


def _key(path) -> str:
    key = ""
    for part in path:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key


def _join(key: str, name: str) -> str:
    return f"{key}.{name}" if key else name


def _show(value: Any) -> str:
    text = json.dumps(value, default=str) if isinstance(value, (dict, list)) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# keys that later versions replaced: what to write instead
RETIRED = {
    "execution.pack_runs": "replaced by execution.runs_per_job (pack_runs: true is runs_per_job "
    "equal to study.repeats, pack_runs: false is runs_per_job: 1)",
}


def _describe(error) -> list[str]:
    """Messages for a jsonschema ``ValidationError``, one per offending key."""
    key, value, kind = _key(error.absolute_path), error.instance, error.validator
    if kind == "required":
        missing = re.match(r"'(.+)' is a required property", error.message)
        return [f"{_join(key, missing.group(1) if missing else '?')}: missing (required)"]
    if kind == "additionalProperties" and isinstance(value, dict):
        allowed = list(error.schema.get("properties", {}))
        expected = f" (expected one of: {', '.join(allowed)})" if allowed else ""
        return [
            f"{_join(key, extra)} = {_show(value[extra])}: "
            + RETIRED.get(_join(key, extra), f"unknown key{expected}")
            for extra in value
            if extra not in allowed
        ]
    if "propertyNames" in error.absolute_schema_path:
        return [f"{_join(key, str(value))}: invalid name, use letters, digits and _ only"]
    if kind == "enum":
        return [f"{key} = {_show(value)}: must be one of {', '.join(map(str, error.validator_value))}"]
    if kind == "minProperties":
        return [f"{key} = {_show(value)}: needs at least {error.validator_value} entry"]
    return [f"{key or 'config'} = {_show(value)}: {error.message}"]


def load_schema(path: str | Path) -> dict[str, Any]:
    """The config schema at ``path``, its ``datasets`` entry composed with the
    registered kinds' keys (:func:`snapens.data.kinds.dataset_schema`)."""
    import yaml

    schema = yaml.safe_load(Path(path).read_text())
    datasets = schema["properties"]["datasets"]
    datasets["additionalProperties"] = kinds.dataset_schema(datasets["additionalProperties"])
    return schema


def schema_problems(config: Any, schema: dict[str, Any]) -> list[str]:
    """Every violation of the JSON ``schema``, one message per key, in key order."""
    import jsonschema

    errors = jsonschema.Draft202012Validator(schema).iter_errors(config)
    problems: list[str] = []
    for error in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path]):
        problems += [p for p in _describe(error) if p not in problems]
    return problems


# --- rules relating several keys ------------------------------------------------


def validation_problems(name: str, fraction: float, datasets: dict[str, Any]) -> list[str]:
    """A stratified validation split must hold, and leave, a row of every class."""
    problems = []
    for ds_name, ds in datasets.items():
        classes = kinds.classes(ds)
        n = kinds.training_rows(ds) if classes is not None else None
        if not fraction or classes is None or n is None:
            continue
        held = held_out_rows(n, fraction)
        if held < classes or n - held < classes:
            problems.append(
                f"methods.{name}.validation_fraction = {fraction}: holds out {held} of the {n} "
                f"training rows of dataset {ds_name} ({classes} classes); both parts need at "
                "least one row of every class"
            )
    return problems


def method_problems(
    name: str, method: dict[str, Any], epochs: int, epochs_key: str = "training.epochs"
) -> list[str]:
    """A method's members and schedule against the training length (``epochs``,
    the value of ``epochs_key``)."""
    problems = []
    members, schedule = method["members"], method["schedule"]
    snapshots = not independent(method)
    if snapshots and members > epochs:
        problems.append(
            f"methods.{name}.members = {members} is more than {epochs_key} = {epochs}: "
            "there cannot be more snapshots (cycles) than epochs"
        )
    elif snapshots and schedule["name"] in CYCLIC and epochs % members:
        problems.append(
            f"methods.{name}.members = {members} does not divide {epochs_key} = {epochs}: "
            f"a {schedule['name']} schedule would end {epochs % members} epochs into an "
            "unfinished cycle, after its last snapshot"
        )
    if schedule["name"] == "triangular" and schedule["lr_min"] >= schedule["lr_max"]:
        problems.append(
            f"methods.{name}.schedule.lr_min = {schedule['lr_min']} must be below "
            f"methods.{name}.schedule.lr_max = {schedule['lr_max']}"
        )
    if budget_mode(method) == "split":
        if snapshots:
            problems.append(
                f"methods.{name}.budget = 'split': only independent members share a budget "
                "(set ensemble: independent); a snapshot run's members share one run already"
            )
        elif epochs % members:
            problems.append(
                f"methods.{name}.budget = 'split': members = {members} does not divide "
                f"{epochs_key} = {epochs}; each member would train a fractional share"
            )
    milestones = schedule.get("milestones")
    if milestones is not None and list(milestones) != sorted(set(milestones)):
        problems.append(
            f"methods.{name}.schedule.milestones = {list(milestones)} must be strictly increasing"
        )
    return problems


def epoch_budgets(config: dict[str, Any]) -> dict[int, str]:
    """Every distinct training length the study's datasets use, with the key
    that sets it (a dataset's own ``training.epochs`` or the study's)."""
    budgets: dict[int, str] = {}
    for name, ds in config["datasets"].items():
        own = ds.get("training", {}).get("epochs")
        epochs, key = (
            (own, f"datasets.{name}.training.epochs")
            if own is not None
            else (config["training"]["epochs"], "training.epochs")
        )
        budgets.setdefault(epochs, key)
    return budgets


def sweep_problems(config: dict[str, Any], schema: dict[str, Any] | None = None) -> list[str]:
    """The ``sweeps`` entries, then every grid point they make, checked like a
    method (named ``methods.{base}/{point}``): against the config schema's
    method entry (when ``schema`` is given) and every epoch budget."""
    sweeps = config.get("sweeps") or {}
    problems = [p for base, axes in sweeps.items() for p in axis_problems(base, axes, config["methods"])]
    if problems:
        return problems
    points = {
        name: method
        for name, method in expand(config["methods"], sweeps).items()
        if name not in config["methods"]
    }  # the methods themselves are checked as methods
    if schema is not None:
        entry = {
            "type": "object",
            "additionalProperties": schema["properties"]["methods"]["additionalProperties"],
        }
        problems += [f"methods.{p}" for p in schema_problems(points, entry)]
        if problems:
            return problems
    for name, method in points.items():
        for epochs, key in epoch_budgets(config).items():
            problems += method_problems(name, method, epochs, key)
    return problems


def dataset_method_problems(name: str, ds: dict[str, Any], config: dict[str, Any]) -> list[str]:
    """``datasets.{name}.methods``: known methods, with the baselines of any
    base it runs."""
    chosen = ds.get("methods")
    if chosen is None:
        return []
    key = f"datasets.{name}.methods"
    problems = [
        f"{key}: {m!r} is not a method (methods: {', '.join(config['methods'])})"
        for m in chosen
        if m not in config["methods"]
    ]
    for base, spec in (config.get("baselines") or {}).items():
        missing = [other for other in spec.values() if base in chosen and other not in chosen]
        if missing:
            problems.append(f"{key}: runs {base!r} without its baselines {', '.join(map(repr, missing))}")
    return problems


def baseline_problems(config: dict[str, Any]) -> list[str]:
    """Each ``baselines`` entry: a swept method with single models (a
    one-member grid point), an ``equal_cost`` method of independent members
    sharing the budget over the same grid, a ``full_cost`` method of
    independent members with the full budget over the same rates."""
    methods, sweeps = config["methods"], config.get("sweeps") or {}
    problems = []
    for base, spec in (config.get("baselines") or {}).items():
        key = f"baselines.{base}"
        if base not in sweeps:
            problems.append(f"{key}: not a swept method (sweeps: {', '.join(sweeps) or 'none'})")
            continue
        axes = sweeps[base]
        if 1 not in axes.get("members", [methods[base]["members"]]):
            problems.append(f"{key}: sweeps.{base}.members must include 1 (the single models at equal cost)")
        wanted = {
            "equal_cost": ("split", [k for k in axes]),
            "full_cost": ("full", [k for k in axes if k != "members"]),
        }
        for role, other in spec.items():
            where, (budget, keys) = f"{key}.{role} = {other!r}", wanted[role]
            if other not in methods or other not in sweeps:
                problems.append(f"{where}: not a swept method (sweeps: {', '.join(sweeps) or 'none'})")
                continue
            method = methods[other]
            if not independent(method) or budget_mode(method) != budget:
                problems.append(f"{where}: needs ensemble: independent and budget: {budget}")
            if sorted(sweeps[other]) != sorted(keys):
                problems.append(
                    f"{where}: must sweep exactly {', '.join(keys) or 'nothing'} (like sweeps.{base})"
                )
                continue
            for k in keys:
                extra = [v for v in sweeps[other][k] if v not in axes[k]]
                if extra:
                    problems.append(
                        f"{where}: sweeps.{other}.{k} values {extra} are not in sweeps.{base}.{k}"
                    )
            for k, v in methods[base]["schedule"].items():
                if k not in keys and method["schedule"].get(k) != v:
                    problems.append(
                        f"{where}: methods.{other}.schedule.{k} = {method['schedule'].get(k)!r} differs from "
                        f"methods.{base}.schedule.{k} = {v!r}; the baselines change only the swept keys"
                    )
    return problems


def config_problems(config: dict[str, Any], schema: dict[str, Any] | None = None) -> list[str]:
    """Every cross-field problem of a schema-valid config, one message each
    (``schema``: also the sweeps' grid points against its method entry)."""
    problems = []
    for name, ds in config["datasets"].items():
        problems += kinds.problems(name, ds)
        problems += dataset_method_problems(name, ds, config)
    for name, method in config["methods"].items():
        problems += validation_problems(name, method.get("validation_fraction", 0), config["datasets"])
        for epochs, key in epoch_budgets(config).items():
            problems += method_problems(name, method, epochs, key)
    return problems + sweep_problems(config, schema) + baseline_problems(config)


def check_config(config: dict[str, Any], schema: dict[str, Any] | str | Path | None = None) -> None:
    """Raise :class:`ConfigError` listing every problem: the schema's (when a
    ``schema`` or its path is given), then, for a schema-valid config, the
    cross-field ones."""
    if schema is not None and not isinstance(schema, dict):
        schema = load_schema(schema)
    problems = schema_problems(config, schema) if schema is not None else []
    if not problems:
        problems = config_problems(config, schema)
    if problems:
        raise ConfigError(
            f"invalid config ({len(problems)} problem{'s' if len(problems) > 1 else ''}):\n  - "
            + "\n  - ".join(problems)
        )
