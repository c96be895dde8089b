"""Bad configs stop the workflow before any job, naming the key; nothing is written."""

import pytest
import yaml

from snapens.config import ConfigError, check_config, config_problems, seeds
from workflow_utils import ROOT, snakemake, tiny_config


def mutate(path, value):
    """A tiny config with ``path`` (dotted) set to ``value`` (or deleted if ``...``)."""
    config = tiny_config()
    *parents, last = path.split(".")
    node = config
    for p in parents:
        node = node[p]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return config


BAD = [
    # (what, dotted key, value, text the message must contain)
    ("negative epochs", "training.epochs", -5, "['training']['epochs']"),
    ("wrong type", "training.batch_size", "thirty-two", "['training']['batch_size']"),
    ("missing key", "training.momentum", ..., "'momentum' is a required property"),
    ("unknown schedule (method)", "methods.snapshot.schedule", {"name": "cosine_forever", "lr_max": 0.01},
     "['methods']['snapshot']['schedule']['name']"),
    ("schedule parameter missing", "methods.snapshot.schedule", {"name": "cosine_epoch"},
     "'lr_max' is a required property"),
    ("unknown key", "training.epoch", 10, "'epoch' was unexpected"),
    ("more cycles than epochs", "methods.snapshot.members", 50,
     "methods.snapshot.members = 50 is more than training.epochs = 12"),
    ("cycles not dividing epochs", "methods.snapshot.members", 5,
     "methods.snapshot.members = 5 does not divide training.epochs = 12"),
    ("no test data", "datasets.blobs.n_train", 300, "datasets.blobs.n_train = 300 leaves no test data"),
    ("zero repeats", "study.repeats", 0, "['study']['repeats']"),
]


@pytest.mark.parametrize("what,key,value,message", BAD, ids=[b[0] for b in BAD])
def test_bad_config_stops_before_any_job(tmp_path, what, key, value, message):
    res = snakemake(tmp_path / "work", mutate(key, value), "--cores", "1")
    out = res.stdout + res.stderr
    assert res.returncode != 0, out
    assert message in out, out
    assert not (tmp_path / "work" / "results").exists()


def test_problems_are_all_reported_at_once():
    config = tiny_config()
    config["methods"]["snapshot"]["members"] = 50
    config["methods"]["nocycle"]["schedule"]["milestones"] = [0.75, 0.5]
    problems = config_problems(config)
    assert len(problems) == 2
    with pytest.raises(ConfigError, match="milestones"):
        check_config(config)


def test_default_config_is_the_seed_study():
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    check_config(config)
    assert config["study"]["repeats"] == 30 and len(seeds(config)) == 30
    assert set(config["methods"]) == {
        "snapshot", "snapshot_step", "snapshot_weighted", "snapshot_cyclic", "nocycle", "constant",
        "independent",
    }
    assert config["training"] == {"epochs": 500, "batch_size": 32, "momentum": 0.9, "jit_compile": True}
    assert config["model"]["hidden_units"] == 50
    for m in config["methods"].values():
        assert m["members"] == 10
    assert config["methods"]["snapshot"]["schedule"] == {"name": "cosine_epoch", "lr_max": 0.01}
