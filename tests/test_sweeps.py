"""Sweeps: grid expansion, names and the grid points the config refuses."""

from __future__ import annotations

import copy

import pytest

from snapens import sweeps
from snapens.config import ConfigError, check_config

BASE = {"members": 10, "ensemble": "snapshots", "validation_fraction": 0,
        "schedule": {"name": "cosine_epoch", "lr_max": 0.01}}


def test_names_are_readable_and_stable():
    assert sweeps.point_name("snapshot", {"members": 10, "lr_max": 0.03}) == "snapshot/members-10_lr_max-0.03"
    assert sweeps.value_text(1e-05) == "1e-05"
    assert sweeps.value_text(0.3) == "0.3"
    assert sweeps.value_text(2) == "2"
    # a computed value that its name cannot state exactly is refused, not renamed
    problems = sweeps.axis_problems("snapshot", {"lr_max": [0.1 + 0.2]}, {"snapshot": BASE})
    assert problems == ["sweeps.snapshot.lr_max[0] = 0.30000000000000004: give at most 6 significant "
                        "digits (its path would name it 0.3)"]


def test_grid_order_and_values():
    points = sweeps.grid({"members": [1, 5], "lr_max": [0.01, 0.1, 0.3]})
    assert [(p["members"], p["lr_max"]) for p in points] == [
        (1, 0.01), (1, 0.1), (1, 0.3), (5, 0.01), (5, 0.1), (5, 0.3)]
    spec = sweeps.apply(BASE, {"members": 5, "lr_max": 0.1})
    assert spec["members"] == 5 and spec["schedule"] == {"name": "cosine_epoch", "lr_max": 0.1}
    assert BASE["members"] == 10 and BASE["schedule"]["lr_max"] == 0.01  # the base is untouched


def test_expand_replaces_the_base_in_place():
    methods = {"a": BASE, "snapshot": BASE, "z": BASE}
    out = sweeps.expand(methods, {"snapshot": {"members": [2, 5]}})
    assert list(out) == ["a", "snapshot/members-2", "snapshot/members-5", "z"]
    assert out["snapshot/members-5"]["members"] == 5
    assert sweeps.grid_points({"snapshot": {"members": [2], "lr_max": [0.1]}}) == {
        "snapshot/members-2_lr_max-0.1": {"method": "snapshot", "members": 2, "lr_max": 0.1}}


def test_axis_problems_name_the_key():
    methods = {"snapshot": BASE}
    assert sweeps.axis_problems("nope", {"members": [1]}, methods) == [
        "sweeps.nope: no such method (methods: snapshot)"]
    (problem,) = sweeps.axis_problems("snapshot", {"lr_min": [0.1]}, methods)
    assert problem.startswith("sweeps.snapshot.lr_min: not a parameter of methods.snapshot")
    assert "members, lr_max" in problem
    assert sweeps.axis_problems("snapshot", {"members": [2, 2]}, methods) == [
        "sweeps.snapshot.members = [2, 2]: values repeat"]
