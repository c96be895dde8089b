"""Configs with one thing wrong each, and the message that must name it
(checked in process by tests/unit/test_config.py, and a few through
Snakemake by tests/workflow/test_configs.py)."""

import numpy as np

from workflow_utils import ROOT, tiny_config

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
    (
        "string for integer",
        "training.batch_size",
        "thirty-two",
        "training.batch_size = 'thirty-two': 'thirty-two' is not of type 'integer'",
    ),
    (
        "fraction for integer",
        "model.hidden_units",
        8.5,
        "model.hidden_units = 8.5: 8.5 is not of type 'integer'",
    ),
    ("missing key", "training.momentum", ..., "training.momentum: missing (required)"),
    ("momentum of one", "training.momentum", 1.0, "training.momentum = 1.0: 1.0 is greater than or equal to"),
    ("unknown key", "training.epoch", 10, "training.epoch = 10: unknown key (expected one of: epochs,"),
    ("unknown section", "plots", {"dpi": 300}, 'plots = {"dpi": 300}: unknown key'),
    (
        "unknown schedule",
        "methods.snapshot.schedule",
        {"name": "cosine_forever", "lr_max": 0.01},
        "methods.snapshot.schedule.name = 'cosine_forever': must be one of cosine_epoch",
    ),
    (
        "schedule parameter missing",
        "methods.snapshot.schedule",
        {"name": "cosine_epoch"},
        "methods.snapshot.schedule.lr_max: missing (required)",
    ),
    (
        "another schedule's parameter",
        "methods.constant.schedule",
        {"name": "constant", "lr": 0.01, "lr_max": 0.1},
        "methods.constant.schedule.lr_max = 0.1: unknown key (expected one of: name, lr)",
    ),
    (
        "milestone past the end",
        "methods.nocycle.schedule.milestones",
        [0.5, 1.5],
        "methods.nocycle.schedule.milestones[1] = 1.5: 1.5 is greater than or equal to the maximum of 1",
    ),
    (
        "unknown dataset kind",
        "datasets.blobs.kind",
        "spirals",
        "datasets.blobs.kind = 'spirals': must be one of",
    ),
    ("dataset name with a dash", "datasets.my-moons", MOONS, "datasets.my-moons: invalid name"),
    (
        "zero cluster spread",
        "datasets.blobs.cluster_std",
        0,
        "datasets.blobs.cluster_std = 0: 0 is less than or equal to the minimum of 0",
    ),
    ("zero ECE bins", "evaluation.ece_bins", 0, "evaluation.ece_bins = 0: 0 is less than the minimum of 1"),
    (
        "confidence in percent",
        "evaluation.confidence",
        95,
        "evaluation.confidence = 95: 95 is greater than or equal to the maximum of 1",
    ),
    (
        "validation fraction too large",
        "methods.snapshot_weighted.validation_fraction",
        0.7,
        "methods.snapshot_weighted.validation_fraction = 0.7: 0.7 is greater than the maximum of 0.5",
    ),
    (
        "unknown ensemble kind",
        "methods.independent.ensemble",
        "bagging",
        "methods.independent.ensemble = 'bagging': must be one of snapshots, independent",
    ),
    (
        "word for runs per job",
        "execution.runs_per_job",
        "all",
        "execution.runs_per_job = 'all': 'all' is not of type 'integer'",
    ),
    (
        "zero runs per job",
        "execution.runs_per_job",
        0,
        "execution.runs_per_job = 0: 0 is less than the minimum of 1",
    ),
    (
        "retired key",
        "execution.pack_runs",
        True,
        "execution.pack_runs = True: replaced by execution.runs_per_job",
    ),
    (
        "zero threads",
        "execution.train_threads",
        0,
        "execution.train_threads = 0: 0 is less than the minimum of 1",
    ),
    ("zero repeats", "study.repeats", 0, "study.repeats = 0: 0 is less than the minimum of 1"),
    (
        "negative first seed",
        "study.first_seed",
        -1,
        "study.first_seed = -1: -1 is less than the minimum of 0",
    ),
    ("no methods", "methods", {}, "methods = {}: needs at least 1 entry"),
    (
        "zero members",
        "methods.snapshot.members",
        0,
        "methods.snapshot.members = 0: 0 is less than the minimum of 1",
    ),
    # -- rules relating several keys
    (
        "more cycles than epochs",
        "methods.snapshot.members",
        50,
        "methods.snapshot.members = 50 is more than training.epochs = 12",
    ),
    (
        "cycles not dividing epochs",
        "methods.snapshot.members",
        5,
        "methods.snapshot.members = 5 does not divide training.epochs = 12",
    ),
    (
        "no test data",
        "datasets.blobs.n_train",
        300,
        "datasets.blobs.n_train = 300 leaves no test data: it must be smaller than datasets.blobs.n_samples = 300",
    ),
    (
        "lowest rate above highest",
        "methods.snapshot_cyclic.schedule",
        {"name": "triangular", "lr_min": 0.01, "lr_max": 0.001},
        "methods.snapshot_cyclic.schedule.lr_min = 0.01 must be below methods.snapshot_cyclic.schedule.lr_max = 0.001",
    ),
    (
        "milestones out of order",
        "methods.nocycle.schedule.milestones",
        [0.75, 0.5],
        "methods.nocycle.schedule.milestones = [0.75, 0.5] must be strictly increasing",
    ),
    (
        "a shared budget for snapshots",
        "methods.snapshot.budget",
        "split",
        "methods.snapshot.budget = 'split': only independent members share a budget",
    ),
    (
        "a shared budget that does not divide",
        "methods.independent",
        {
            "members": 5,
            "ensemble": "independent",
            "budget": "split",
            "schedule": {"name": "cosine_epoch", "lr_max": 0.01},
        },
        "methods.independent.budget = 'split': members = 5 does not divide training.epochs = 12",
    ),
    (
        "baselines of a method that is not swept",
        "baselines",
        {"snapshot": {"equal_cost": "independent"}},
        "baselines.snapshot: not a swept method",
    ),
    (
        "missing data file",
        "datasets.mine",
        {"kind": "file", "path": "no/such.csv"},
        "datasets.mine.path = 'no/such.csv': no such file",
    ),
    (
        "validation split without a row per class",
        "methods.snapshot_weighted.validation_fraction",
        0.01,
        "methods.snapshot_weighted.validation_fraction = 0.01: holds out 1 of the 100 training rows of dataset blobs",
    ),
    (
        "digits with every row for training",
        "datasets.digits",
        {"kind": "digits", "n_train": 1797, "random_state": 0},
        "datasets.digits.n_train = 1797 leaves no test data: it must be smaller than the 1797 digits",
    ),
    (
        "digits with fewer test rows than classes",
        "datasets.digits",
        {"kind": "digits", "n_train": 1790, "random_state": 0},
        "datasets.digits.n_train = 1790: a stratified split of the 1797 digits needs a row of each of the 10 "
        "classes in both parts, so n_train must be between 10 and 1787",
    ),
    (
        "mnist5k without n_train",
        "datasets.mnist",
        {"kind": "mnist5k", "random_state": 0},
        "datasets.mnist.n_train: missing (required)",
    ),
    (
        "mnist5k with every row for training",
        "datasets.mnist",
        {"kind": "mnist5k", "n_train": 5000, "random_state": 0},
        "datasets.mnist.n_train = 5000 leaves no test data: it must be smaller than the 5000 MNIST images of mnist5k",
    ),
    (
        "mnist1d with n_train",
        "datasets.mnist1d",
        {"kind": "mnist1d", "n_train": 100},
        "datasets.mnist1d.n_train = 100: unknown key (expected one of: kind, redraw, repeats, methods, model, training, "
        "random_state)",
    ),
    (
        "a key of another kind",
        "datasets.blobs.noise",
        0.2,
        "datasets.blobs.noise = 0.2: unknown key (expected one of: kind, redraw, repeats, methods, model, training, "
        "n_samples, n_train, random_state, centers, n_features, cluster_std)",
    ),
    ("empty results root", "results", "", "results = '': '' should be non-empty"),
    (
        "a file's data redrawn",
        "datasets.digits",
        {"kind": "digits", "n_train": 500, "random_state": 2, "redraw": True},
        "datasets.digits.redraw = true: kind 'digits' is not generated, so it has nothing to redraw per repeat",
    ),
    (
        "a dataset running an unknown method",
        "datasets.blobs.methods",
        ["snapshot", "snapshots"],
        "datasets.blobs.methods: 'snapshots' is not a method",
    ),
    # -- a dataset's own training settings and sweeps: every grid point is checked like a method
    (
        "a dataset's epochs not divided by the cycles",
        "datasets.blobs.training",
        {"epochs": 10},
        "methods.snapshot.members = 3 does not divide datasets.blobs.training.epochs = 10",
    ),
    (
        "unknown key in a dataset's model",
        "datasets.blobs.model",
        {"width": 10},
        "datasets.blobs.model.width = 10: unknown key (expected one of: hidden_units)",
    ),
    (
        "sweep of an unknown method",
        "sweeps",
        {"snapshots": {"members": [2]}},
        "sweeps.snapshots: no such method (methods: snapshot, snapshot_step,",
    ),
    (
        "sweep of a key the schedule lacks",
        "sweeps",
        {"snapshot": {"lr_min": [0.001]}},
        "sweeps.snapshot.lr_min: not a parameter of methods.snapshot (sweepable: members, lr_max)",
    ),
    (
        "sweep grid point not dividing the epochs",
        "sweeps",
        {"snapshot": {"members": [2, 5], "lr_max": [0.1]}},
        "methods.snapshot/members-5_lr_max-0.1.members = 5 does not divide training.epochs = 12",
    ),
    (
        "sweep value its path cannot name",
        "sweeps",
        {"snapshot": {"lr_max": [0.1 + 0.2]}},
        "sweeps.snapshot.lr_max[0] = 0.30000000000000004: give at most 6 significant digits (its path "
        "would name it 0.3)",
    ),
    (
        "sweep of fractional members",
        "sweeps",
        {"snapshot": {"members": [2.5]}},
        "sweeps.snapshot.members[0] = 2.5: 2.5 is not of type 'integer'",
    ),
    (
        "empty sweep axis",
        "sweeps",
        {"snapshot": {"members": []}},
        "sweeps.snapshot.members = []: [] should be non-empty",
    ),
    (
        "sweep grid point the method schema refuses",
        "sweeps",
        {"snapshot": {"lr_max": [0.1, 0]}},
        "methods.snapshot/lr_max-0.schedule.lr_max = 0: 0 is less than or equal to the minimum of 0",
    ),
]


def file_study(path, **extra):
    config = tiny_config()
    config["datasets"] = {"mine": {"kind": "file", "path": str(path), **extra}}
    return config


def presplit_npz(path, n_train=80, n_test=40):
    rng = np.random.default_rng(0)
    np.savez(
        path,
        X_train=rng.normal(size=(n_train, 2)),
        y_train=np.arange(n_train) % 3,
        X_test=rng.normal(size=(n_test, 2)),
        y_test=np.arange(n_test) % 3,
    )
    return path
