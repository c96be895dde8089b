"""Configs through Snakemake: bad ones stop the workflow before any job,
naming the key, and nothing is written (every message is checked in process,
tests/unit/test_config.py; here a few of each kind go through Snakemake, which
runs the same check); the shipped example of a user's data file runs."""

import pandas as pd
import pytest
import yaml

from bad_configs import BAD, SCHEMA, file_study, mutate, presplit_npz
from snapens.plan.config import check_config
from workflow_utils import ROOT, snakemake, tiny_config

# one of each kind: schema, cross-key, a user's file, a sweep, a retired key
THROUGH_SNAKEMAKE = (
    "negative epochs",
    "cycles not dividing epochs",
    "missing data file",
    "sweep grid point not dividing the epochs",
    "retired key",
)


def tree(path):
    """Every file under ``path`` with its size, modification time and bytes."""
    return {
        p: (p.stat().st_size, p.stat().st_mtime_ns, p.read_bytes()) for p in path.rglob("*") if p.is_file()
    }


@pytest.mark.parametrize(
    "what,key,value,message", [b for b in BAD if b[0] in THROUGH_SNAKEMAKE], ids=list(THROUGH_SNAKEMAKE)
)
def test_bad_config_stops_the_workflow_before_any_job(tmp_path, what, key, value, message):
    results = tmp_path / "work" / "results"
    (results / "tables").mkdir(parents=True)
    (results / "tables" / "summary.csv").write_text("an earlier study's table\n")
    before = tree(results)
    res = snakemake(tmp_path / "work", mutate(key, value), "--cores", "1")
    out = res.stdout + res.stderr
    assert res.returncode != 0, out
    assert message in out, out
    assert "invalid config" in out and "Traceback" not in out, out
    assert "jobs" not in out.split("invalid config")[0] and "rule " not in out, out
    assert tree(results) == before


def test_mnist_datasets_are_accepted_and_planned(tmp_path):
    """mnist1d takes no key but its kind (its 4000 training rows are known
    without n_train); mnist5k is split by n_train like digits."""
    config = tiny_config()
    config["datasets"] = {
        "mnist1d": {"kind": "mnist1d"},
        "mnist": {"kind": "mnist5k", "n_train": 1000, "random_state": 0},
    }
    check_config(config, SCHEMA)
    res = snakemake(tmp_path / "work", config, "-n")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "results/data/mnist1d.npz" in res.stdout and "results/data/mnist.npz" in res.stdout


def test_presplit_file_without_n_train_runs_with_steps_from_its_own_rows(tmp_path):
    """No KeyError on the missing n_train: the steps per epoch come from the
    file's 80 training rows (3 batches of 32), and from the 64 left after a
    validation split of 0.2 (2 batches)."""
    config = file_study(presplit_npz(tmp_path / "mine.npz"))
    check_config(config, SCHEMA)
    res = snakemake(tmp_path / "work", config, "--cores", "1", "results/figures/lr_schedules_mine.svg")
    assert res.returncode == 0, res.stdout + res.stderr
    svg = (tmp_path / "work" / "results" / "figures" / "lr_schedules_mine.svg").read_text()
    assert "snapshot (cosine_epoch, 3 steps/epoch)" in svg
    assert "snapshot_weighted (cosine_epoch, 2 steps/epoch)" in svg


def test_the_example_data_file_study_answers_the_budget_question(tmp_path):
    """config/file-dataset.yaml, its grid and training shrunk: the bundled
    CSV exists, its string labels become classes 0..2 in sorted order, the
    study's tables are written under the config's own root, and its front
    page answers the equal-cost question (single models and equal-cost
    ensembles as baselines)."""
    config = yaml.safe_load((ROOT / "config" / "file-dataset.yaml").read_text())
    ((name, spec),) = config["datasets"].items()
    assert (ROOT / spec["path"]).is_file(), spec["path"]
    spec["path"] = str(ROOT / spec["path"])
    config["study"]["repeats"] = 2
    config["training"]["epochs"] = 30  # divisible by the methods' 10 members and the grid's 3
    config["sweeps"] = {
        "snapshot": {"members": [1, 3], "lr_max": [0.01]},
        "equal_cost": {"members": [3], "lr_max": [0.01]},
    }
    check_config(config, SCHEMA)
    res = snakemake(tmp_path, config, "--cores", "2", "results/file-dataset/tables/summary.md")
    assert res.returncode == 0, res.stdout + res.stderr
    summary = pd.read_csv(tmp_path / "results" / "file-dataset" / "tables" / "summary.csv")
    assert set(summary.dataset) == {name}
    assert {"snapshot/members-3_lr_max-0.01", "equal_cost/members-3_lr_max-0.01"} <= set(summary.method)
    front = (tmp_path / "results" / "file-dataset" / "tables" / "summary.md").read_text().splitlines()[:15]
    assert "## The answer" in front
    assert any(f"**{name}**, `snapshot` (2 repeats)" in line for line in front), front
    import numpy as np

    with np.load(tmp_path / "results" / "file-dataset" / "data" / f"{name}.npz") as npz:
        assert (len(npz["y_train"]), len(npz["y_test"])) == (100, 50)
        assert set(npz["y_train"]) == set(npz["y_test"]) == {0, 1, 2}
    assert not (tmp_path / "results" / "tables").exists()  # nothing under the default root
