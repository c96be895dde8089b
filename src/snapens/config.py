"""Checks of the study config that a JSON schema cannot express.

The workflow validates the config against ``workflow/schemas/config.schema.yaml``
first (types, ranges, unknown keys), then calls :func:`check_config` for the
rules that relate several keys. Both run before any job starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from snapens.schedules import CYCLIC


class ConfigError(ValueError):
    """The config is invalid; the message names every offending key and value."""


def config_problems(config: dict[str, Any]) -> list[str]:
    """Every cross-field problem of a schema-valid config, one message each."""
    problems = []
    epochs = config["training"]["epochs"]
    for name, ds in config["datasets"].items():
        if ds["kind"] == "file" and not Path(ds["path"]).is_file():
            problems.append(f"datasets.{name}.path = {ds['path']!r}: no such file")
        if "n_samples" in ds and "n_train" in ds and ds["n_train"] >= ds["n_samples"]:
            problems.append(
                f"datasets.{name}.n_train = {ds['n_train']} leaves no test data: it must be "
                f"smaller than datasets.{name}.n_samples = {ds['n_samples']}"
            )
    for name, method in config["methods"].items():
        members, schedule = method["members"], method["schedule"]
        if members > epochs and method.get("ensemble", "snapshots") == "snapshots":
            problems.append(
                f"methods.{name}.members = {members} is more than training.epochs = {epochs}: "
                "there cannot be more snapshots (cycles) than epochs"
            )
        elif schedule["name"] in CYCLIC and method.get("ensemble", "snapshots") == "snapshots" and epochs % members:
            problems.append(
                f"methods.{name}.members = {members} does not divide training.epochs = {epochs}: "
                f"a {schedule['name']} schedule would end {epochs % members} epochs into an "
                "unfinished cycle, after its last snapshot"
            )
        if schedule["name"] == "triangular" and schedule["lr_min"] >= schedule["lr_max"]:
            problems.append(
                f"methods.{name}.schedule.lr_min = {schedule['lr_min']} must be below "
                f"methods.{name}.schedule.lr_max = {schedule['lr_max']}"
            )
        if method.get("ensemble") == "independent" and schedule["name"] in CYCLIC:
            problems.append(
                f"methods.{name}.schedule.name = {schedule['name']}: independent members are "
                "trained with one non-cyclic schedule each (e.g. step_decay)"
            )
        milestones = schedule.get("milestones")
        if milestones is not None and list(milestones) != sorted(set(milestones)):
            problems.append(
                f"methods.{name}.schedule.milestones = {list(milestones)} must be strictly increasing"
            )
    return problems


def check_config(config: dict[str, Any]) -> None:
    """Raise :class:`ConfigError` listing every cross-field problem."""
    problems = config_problems(config)
    if problems:
        raise ConfigError("invalid config:\n  " + "\n  ".join(problems))


def seeds(config: dict[str, Any]) -> list[int]:
    """The study's repeat seeds."""
    first = config["study"]["first_seed"]
    return list(range(first, first + config["study"]["repeats"]))
