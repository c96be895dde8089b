"""Every problem of a config is named, by key and value, by one check (snapens.plan.config)."""

import numpy as np
import pytest
import yaml

from bad_configs import BAD, SCHEMA, file_study, mutate, presplit_npz
from snapens.core.settings import seeds
from snapens.plan.config import ConfigError, check_config, config_problems
from workflow_utils import ROOT, tiny_config


def test_the_study_epochs_no_dataset_uses_are_not_checked():
    """Every dataset sets its own 12 epochs: the study-level 7 (which 3 cycles
    do not divide) trains nothing, so it refuses nothing."""
    config = mutate("training.epochs", 7)
    for ds in config["datasets"].values():
        ds["training"] = {"epochs": 12}
    assert config_problems(config) == []
    config["datasets"]["blobs"]["training"] = {}
    problems = config_problems(config)
    assert problems and all("does not divide training.epochs = 7" in p for p in problems)


@pytest.mark.parametrize("what,key,value,message", BAD, ids=[b[0] for b in BAD])
def test_bad_config_is_named_in_process(what, key, value, message):
    with pytest.raises(ConfigError) as err:
        check_config(mutate(key, value), SCHEMA)
    assert message in str(err.value)


def test_every_bad_config_is_distinct():
    assert len({b[0] for b in BAD}) == len({(b[1], repr(b[2])) for b in BAD}) == len(BAD) >= 20


def test_problems_are_all_reported_at_once():
    config = tiny_config()
    config["methods"]["snapshot"]["members"] = 50
    config["methods"]["nocycle"]["schedule"]["milestones"] = [0.75, 0.5]
    problems = config_problems(config)
    assert len(problems) == 2
    with pytest.raises(ConfigError, match="milestones"):
        check_config(config, SCHEMA)


def test_default_config_is_the_seed_study():
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    check_config(config, SCHEMA)
    assert config["study"]["repeats"] == 30 and len(seeds(config)) == 30
    assert set(config["methods"]) == {
        "snapshot",
        "snapshot_step",
        "snapshot_weighted",
        "snapshot_cyclic",
        "nocycle",
        "constant",
        "independent",
    }
    assert config["training"] == {"epochs": 500, "batch_size": 32, "momentum": 0.9, "jit_compile": False}
    assert config["model"]["hidden_units"] == 50
    for m in config["methods"].values():
        assert m["members"] == 10
    assert config["methods"]["snapshot"]["schedule"] == {"name": "cosine_epoch", "lr_max": 0.01}


def test_config_hash_is_stable_and_ignores_execution_and_the_results_root():
    from snapens.core.settings import config_hash, study_config

    a, b = tiny_config(), tiny_config()
    b["execution"]["runs_per_job"] = 1
    b["results"] = "results/elsewhere"  # where a study writes is not what it is
    b["training"] = dict(reversed(list(b["training"].items())))  # key order does not count
    assert config_hash(study_config(a)) == config_hash(study_config(b))
    b["training"]["epochs"] += 1
    assert config_hash(study_config(a)) != config_hash(study_config(b))
    assert len(config_hash(a)) == 16


# --- a user's data file: its split is described once, in the file or by n_train ---


@pytest.mark.parametrize(
    "what,make,extra,message",
    [
        (
            "pre-split file with n_train",
            lambda p: presplit_npz(p),
            {"n_train": 50},
            "datasets.mine.n_train = 50: {path} is split already",
        ),
        (
            "unsplit file without n_train",
            lambda p: np.savez(p, X=np.zeros((9, 2)), y=np.arange(9) % 3),
            {},
            "datasets.mine.n_train: missing (required: {path} has no train/test split",
        ),
        (
            "unreadable file",
            lambda p: p.write_bytes(b"not a zip file"),
            {},
            "datasets.mine.path = '{path}': {path}: not a readable .npz file",
        ),
    ],
)
def test_data_file_problems_are_named_before_any_job(tmp_path, what, make, extra, message):
    path = tmp_path / "mine.npz"
    make(path)
    with pytest.raises(ConfigError) as err:
        check_config(file_study(path, **extra), SCHEMA)
    assert message.format(path=path) in str(err.value)


def test_csv_without_n_train_is_named(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("a,label\n1,0\n2,1\n")
    with pytest.raises(ConfigError, match=r"datasets.mine.n_train: missing \(required"):
        check_config(file_study(path), SCHEMA)


@pytest.mark.parametrize("rows", [10, 80, 99, 100, 101, 333])
@pytest.mark.parametrize("fraction", [0.05, 0.1, 0.2, 0.25, 0.3333, 0.5])
def test_held_out_rows_are_those_the_validation_split_holds_out(rows, fraction):
    from snapens.data.dataset import held_out_rows, validation_split

    y = np.arange(rows) % 2
    if min(np.bincount(y)) * fraction < 1 or rows * fraction < 2:
        pytest.skip("too small to stratify")
    _, val = validation_split(y, fraction)
    assert held_out_rows(rows, fraction) == len(val)


def test_a_dataset_s_own_repeats_take_the_first_of_the_study_s_seeds():
    config = yaml.safe_load((ROOT / "config" / "sweep.yaml").read_text())
    config["datasets"]["mnist5k"]["repeats"] = 10  # a costly dataset with fewer repeats
    check_config(config, SCHEMA)
    first = config["study"]["first_seed"]
    assert seeds(config) == list(range(first, first + config["study"]["repeats"]))
    assert seeds(config, "blobs") == seeds(config)  # no repeats of its own: the study's
    assert seeds(config, "mnist5k") == [first + i for i in range(10)]
    config["datasets"]["blobs"]["repeats"] = 0
    with pytest.raises(ConfigError, match="repeats"):
        check_config(config, SCHEMA)
