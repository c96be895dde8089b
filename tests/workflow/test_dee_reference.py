"""One rule picks the DEE's reference, for the planner (which runs get subset
curves) and the tables: a study whose first independent method shares one
model's budget (budget: split, no baselines) takes the first method whose
members each have the full budget, and its DEE is computed from that method's
subset curves."""

import pandas as pd

from snapens.core.settings import reference_candidate, reference_method
from workflow_utils import snakemake, tiny_config


def split_first_config() -> dict:
    config = tiny_config()
    independent = config["methods"]["independent"]
    config["methods"] = {
        "snapshot": config["methods"]["snapshot"],
        "equal_cost": {**independent, "budget": "split"},  # 3 models of 4 epochs: no subset curves
        "full_cost": independent,  # 3 models of 12 epochs each: the reference
    }
    return config


def test_the_reference_rule_skips_methods_without_subset_curves():
    methods = split_first_config()["methods"]
    assert reference_method(methods) == "full_cost"
    assert reference_candidate(methods["full_cost"]) and not reference_candidate(methods["equal_cost"])
    assert reference_method({"snapshot": methods["snapshot"]}) is None


def test_a_split_budget_method_listed_first_is_not_the_reference(tmp_path):
    res = snakemake(
        tmp_path, split_first_config(), "--cores", "2", "results/tables/deep_ensemble_equivalent.csv"
    )
    assert res.returncode == 0, res.stdout + res.stderr
    dee = pd.read_csv(tmp_path / "results" / "tables" / "deep_ensemble_equivalent.csv")
    assert set(dee.reference) == {"full_cost"}
    assert dee.reference_nll_first.notna().all() and dee.reference_nll_last.notna().all()
