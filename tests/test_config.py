"""Bad configs stop the workflow before any job, naming the key; nothing is written."""

import numpy as np
import pytest
import yaml

from snapens.config import ConfigError, check_config, config_problems, seeds
from workflow_utils import ROOT, snakemake, tiny_config


SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
MOONS = {"kind": "moons", "n_samples": 200, "n_train": 100, "random_state": 0, "noise": 0.2}


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
    # (what, dotted key, value, text the message must contain: the key and the value)
    # -- the schema: types, ranges, required and unknown keys
    ("negative epochs", "training.epochs", -5, "training.epochs = -5: -5 is less than the minimum of 1"),
    ("string for integer", "training.batch_size", "thirty-two",
     "training.batch_size = 'thirty-two': 'thirty-two' is not of type 'integer'"),
    ("fraction for integer", "model.hidden_units", 8.5, "model.hidden_units = 8.5: 8.5 is not of type 'integer'"),
    ("missing key", "training.momentum", ..., "training.momentum: missing (required)"),
    ("momentum of one", "training.momentum", 1.0, "training.momentum = 1.0: 1.0 is greater than or equal to"),
    ("unknown key", "training.epoch", 10, "training.epoch = 10: unknown key (expected one of: epochs,"),
    ("unknown section", "plots", {"dpi": 300}, 'plots = {"dpi": 300}: unknown key'),
    ("unknown schedule", "methods.snapshot.schedule", {"name": "cosine_forever", "lr_max": 0.01},
     "methods.snapshot.schedule.name = 'cosine_forever': must be one of cosine_epoch"),
    ("schedule parameter missing", "methods.snapshot.schedule", {"name": "cosine_epoch"},
     "methods.snapshot.schedule.lr_max: missing (required)"),
    ("another schedule's parameter", "methods.constant.schedule", {"name": "constant", "lr": 0.01, "lr_max": 0.1},
     "methods.constant.schedule.lr_max = 0.1: unknown key (expected one of: name, lr)"),
    ("milestone past the end", "methods.nocycle.schedule.milestones", [0.5, 1.5],
     "methods.nocycle.schedule.milestones[1] = 1.5: 1.5 is greater than or equal to the maximum of 1"),
    ("unknown dataset kind", "datasets.blobs.kind", "spirals", "datasets.blobs.kind = 'spirals': must be one of"),
    ("dataset name with a dash", "datasets.my-moons", MOONS, "datasets.my-moons: invalid name"),
    ("zero cluster spread", "datasets.blobs.cluster_std", 0,
     "datasets.blobs.cluster_std = 0: 0 is less than or equal to the minimum of 0"),
    ("zero ECE bins", "evaluation.ece_bins", 0, "evaluation.ece_bins = 0: 0 is less than the minimum of 1"),
    ("confidence in percent", "evaluation.confidence", 95,
     "evaluation.confidence = 95: 95 is greater than or equal to the maximum of 1"),
    ("validation fraction too large", "methods.snapshot_weighted.validation_fraction", 0.7,
     "methods.snapshot_weighted.validation_fraction = 0.7: 0.7 is greater than the maximum of 0.5"),
    ("unknown ensemble kind", "methods.independent.ensemble", "bagging",
     "methods.independent.ensemble = 'bagging': must be one of snapshots, independent"),
    ("word for runs per job", "execution.runs_per_job", "all", "execution.runs_per_job = 'all': 'all' is not of type 'integer'"),
    ("zero runs per job", "execution.runs_per_job", 0, "execution.runs_per_job = 0: 0 is less than the minimum of 1"),
    ("retired key", "execution.pack_runs", True, "execution.pack_runs = True: replaced by execution.runs_per_job"),
    ("zero threads", "execution.train_threads", 0, "execution.train_threads = 0: 0 is less than the minimum of 1"),
    ("zero repeats", "study.repeats", 0, "study.repeats = 0: 0 is less than the minimum of 1"),
    ("negative first seed", "study.first_seed", -1, "study.first_seed = -1: -1 is less than the minimum of 0"),
    ("no methods", "methods", {}, "methods = {}: needs at least 1 entry"),
    ("zero members", "methods.snapshot.members", 0, "methods.snapshot.members = 0: 0 is less than the minimum of 1"),
    # -- rules relating several keys
    ("more cycles than epochs", "methods.snapshot.members", 50,
     "methods.snapshot.members = 50 is more than training.epochs = 12"),
    ("cycles not dividing epochs", "methods.snapshot.members", 5,
     "methods.snapshot.members = 5 does not divide training.epochs = 12"),
    ("no test data", "datasets.blobs.n_train", 300,
     "datasets.blobs.n_train = 300 leaves no test data: it must be smaller than datasets.blobs.n_samples = 300"),
    ("lowest rate above highest", "methods.snapshot_cyclic.schedule",
     {"name": "triangular", "lr_min": 0.01, "lr_max": 0.001},
     "methods.snapshot_cyclic.schedule.lr_min = 0.01 must be below methods.snapshot_cyclic.schedule.lr_max = 0.001"),
    ("milestones out of order", "methods.nocycle.schedule.milestones", [0.75, 0.5],
     "methods.nocycle.schedule.milestones = [0.75, 0.5] must be strictly increasing"),
    ("independent members with a cyclic schedule", "methods.independent.schedule",
     {"name": "cosine_epoch", "lr_max": 0.01}, "methods.independent.schedule.name = 'cosine_epoch': independent"),
    ("missing data file", "datasets.mine", {"kind": "file", "path": "no/such.csv"},
     "datasets.mine.path = 'no/such.csv': no such file"),
    ("validation split without a row per class", "methods.snapshot_weighted.validation_fraction", 0.01,
     "methods.snapshot_weighted.validation_fraction = 0.01: holds out 1 of the 100 training rows of dataset blobs"),
    ("digits with every row for training", "datasets.digits", {"kind": "digits", "n_train": 1797, "random_state": 0},
     "datasets.digits.n_train = 1797 leaves no test data: it must be smaller than the 1797 digits"),
    ("digits with fewer test rows than classes", "datasets.digits", {"kind": "digits", "n_train": 1790,
                                                                     "random_state": 0},
     "datasets.digits.n_train = 1790: a stratified split of the 1797 digits needs a row of each of the 10 "
     "classes in both parts, so n_train must be between 10 and 1787"),
    ("mnist5k without n_train", "datasets.mnist", {"kind": "mnist5k", "random_state": 0},
     "datasets.mnist.n_train: missing (required)"),
    ("mnist5k with every row for training", "datasets.mnist", {"kind": "mnist5k", "n_train": 5000, "random_state": 0},
     "datasets.mnist.n_train = 5000 leaves no test data: it must be smaller than the 5000 MNIST images of mnist5k"),
    ("mnist1d with n_train", "datasets.mnist1d", {"kind": "mnist1d", "n_train": 100},
     "datasets.mnist1d.n_train = 100: unknown key (expected one of: kind, model, training)"),
    # -- a dataset's own training settings and sweeps: every grid point is checked like a method
    ("a dataset's epochs not divided by the cycles", "datasets.blobs.training", {"epochs": 10},
     "methods.snapshot.members = 3 does not divide datasets.blobs.training.epochs = 10"),
    ("unknown key in a dataset's model", "datasets.blobs.model", {"width": 10},
     "datasets.blobs.model.width = 10: unknown key (expected one of: hidden_units)"),
    ("sweep of an unknown method", "sweeps", {"snapshots": {"members": [2]}},
     "sweeps.snapshots: no such method (methods: snapshot, snapshot_step,"),
    ("sweep of a key the schedule lacks", "sweeps", {"snapshot": {"lr_min": [0.001]}},
     "sweeps.snapshot.lr_min: not a parameter of methods.snapshot (sweepable: members, lr_max)"),
    ("sweep grid point not dividing the epochs", "sweeps", {"snapshot": {"members": [2, 5], "lr_max": [0.1]}},
     "methods.snapshot/members-5_lr_max-0.1.members = 5 does not divide training.epochs = 12"),
    ("sweep value its path cannot name", "sweeps", {"snapshot": {"lr_max": [0.1 + 0.2]}},
     "sweeps.snapshot.lr_max[0] = 0.30000000000000004: give at most 6 significant digits (its path "
     "would name it 0.3)"),
    ("sweep of fractional members", "sweeps", {"snapshot": {"members": [2.5]}},
     "sweeps.snapshot.members[0] = 2.5: 2.5 is not of type 'integer'"),
    ("empty sweep axis", "sweeps", {"snapshot": {"members": []}},
     "sweeps.snapshot.members = []: [] should be non-empty"),
    ("sweep grid point the method schema refuses", "sweeps", {"snapshot": {"lr_max": [0.1, 0]}},
     "methods.snapshot/lr_max-0.schedule.lr_max = 0: 0 is less than or equal to the minimum of 0"),
]


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


def tree(path):
    """Every file under ``path`` with its size, modification time and bytes."""
    return {p: (p.stat().st_size, p.stat().st_mtime_ns, p.read_bytes()) for p in path.rglob("*") if p.is_file()}


@pytest.mark.parametrize("what,key,value,message", BAD, ids=[b[0] for b in BAD])
def test_bad_config_is_named_in_process(what, key, value, message):
    with pytest.raises(ConfigError) as err:
        check_config(mutate(key, value), SCHEMA)
    assert message in str(err.value)


@pytest.mark.parametrize("what,key,value,message", BAD, ids=[b[0] for b in BAD])
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
        "snapshot", "snapshot_step", "snapshot_weighted", "snapshot_cyclic", "nocycle", "constant",
        "independent",
    }
    assert config["training"] == {"epochs": 500, "batch_size": 32, "momentum": 0.9, "jit_compile": False}
    assert config["model"]["hidden_units"] == 50
    for m in config["methods"].values():
        assert m["members"] == 10
    assert config["methods"]["snapshot"]["schedule"] == {"name": "cosine_epoch", "lr_max": 0.01}


def test_config_hash_is_stable_and_ignores_execution():
    from snapens.config import config_hash, study_config

    a, b = tiny_config(), tiny_config()
    b["execution"]["runs_per_job"] = 1
    b["training"] = dict(reversed(list(b["training"].items())))  # key order does not count
    assert config_hash(study_config(a)) == config_hash(study_config(b))
    b["training"]["epochs"] += 1
    assert config_hash(study_config(a)) != config_hash(study_config(b))
    assert len(config_hash(a)) == 16


def test_mnist_datasets_are_accepted_and_planned(tmp_path):
    """mnist1d takes no key but its kind (its 4000 training rows are known
    without n_train); mnist5k is split by n_train like digits."""
    config = tiny_config()
    config["datasets"] = {"mnist1d": {"kind": "mnist1d"},
                          "mnist": {"kind": "mnist5k", "n_train": 1000, "random_state": 0}}
    check_config(config, SCHEMA)
    res = snakemake(tmp_path / "work", config, "-n")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "results/data/mnist1d.npz" in res.stdout and "results/data/mnist.npz" in res.stdout


# --- a user's data file: its split is described once, in the file or by n_train ---


def file_study(path, **extra):
    config = tiny_config()
    config["datasets"] = {"mine": {"kind": "file", "path": str(path), **extra}}
    return config


def presplit_npz(path, n_train=80, n_test=40):
    rng = np.random.default_rng(0)
    np.savez(path, X_train=rng.normal(size=(n_train, 2)), y_train=np.arange(n_train) % 3,
             X_test=rng.normal(size=(n_test, 2)), y_test=np.arange(n_test) % 3)
    return path


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


@pytest.mark.parametrize("what,make,extra,message", [
    ("pre-split file with n_train", lambda p: presplit_npz(p), {"n_train": 50},
     "datasets.mine.n_train = 50: {path} is split already"),
    ("unsplit file without n_train", lambda p: np.savez(p, X=np.zeros((9, 2)), y=np.arange(9) % 3), {},
     "datasets.mine.n_train: missing (required: {path} has no train/test split"),
    ("unreadable file", lambda p: p.write_bytes(b"not a zip file"), {},
     "datasets.mine.path = '{path}': {path}: not a readable .npz file"),
])
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
    from snapens.data import held_out_rows, validation_split

    y = np.arange(rows) % 2
    if min(np.bincount(y)) * fraction < 1 or rows * fraction < 2:
        pytest.skip("too small to stratify")
    _, val = validation_split(y, fraction)
    assert held_out_rows(rows, fraction) == len(val)
