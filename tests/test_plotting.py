"""Figures: every registered family has its caption and function, and drawing
the same tables twice gives the same bytes."""

import inspect
import math
import re

import numpy as np
import pandas as pd
import pytest

from snapens import plotting
from snapens.figures import FAMILIES
from snapens.metrics import METRICS
from workflow_utils import ROOT


@pytest.mark.parametrize("name", list(FAMILIES))
def test_every_family_has_a_caption_asking_its_question_and_a_function(name):
    family = FAMILIES[name]
    caption = (ROOT / "workflow" / "report" / f"{name}.rst").read_text()
    assert re.match(r"\*\*[^*]+\?\*\*", caption), f"{name}.rst should open with its question in bold"
    params = inspect.signature(family.draw_function()).parameters
    assert list(params)[0] == "dataset"
    assert set(family.inputs) | set(family.params) <= set(params)


def runs_table():
    rng = np.random.default_rng(0)
    rows = []
    for method in ("a", "b"):
        for seed in range(1, 11):
            row = {"dataset": "d", "method": method, "seed": seed, "members": 5, "test_rows": 1000}
            for model in ("final", "ensemble"):
                for m in METRICS:
                    row[f"{model}_{m}"] = rng.integers(800, 900) / 1000 if m == "accuracy" else rng.uniform(0.1, 0.5)
            rows.append(row)
    return pd.DataFrame(rows)


def dee_table():
    inf = math.inf
    return pd.DataFrame({
        "dataset": "d", "method": ["a", "b", "c", "ref"], "reference": "ref", "reference_members": 10,
        "dee": [3.2, inf, -inf, 10.0], "dee_ci_low": [2.5, 8.0, -inf, 9.1], "dee_ci_high": [4.0, inf, 1.4, inf],
    })


def drawn(fig, tmp_path, stem):
    return [p.read_bytes() for p in plotting.save(fig, tmp_path / stem)]


@pytest.mark.parametrize("draw", [
    lambda: plotting.paired_differences("d", runs_table(), 0.95),
    lambda: plotting.deep_ensemble_equivalent("d", dee_table()),
], ids=["paired_differences", "deep_ensemble_equivalent"])
def test_the_same_tables_give_the_same_bytes(draw, tmp_path):
    assert drawn(draw(), tmp_path, "first") == drawn(draw(), tmp_path, "second")


def test_censored_equivalents_are_labelled_not_drawn_as_numbers(tmp_path):
    svg = drawn(plotting.deep_ensemble_equivalent("d", dee_table()), tmp_path, "dee")[1].decode()
    assert "&gt; 10" in svg and "&lt; 1" in svg and "3.20" in svg
    assert "inf" not in svg.lower().replace("infinite", "")
