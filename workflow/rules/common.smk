# Config validation, target lists, path helpers and wildcard constraints.
import math
import re

from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version, validate

from snapens.config import (
    ConfigError,
    check_config,
    dataset_classes,
    seeds,
    settings,
    study_config,
)
from snapens.data import feature_count, held_out_rows, training_rows
from snapens.figures import FAMILIES, figure_files
from snapens.lanes import LANE, lanes_of, plan
from snapens.paths import DATA, DECISION_GRID, FIGURE, MANIFEST, RUN, TABLES
from snapens import chunks, sweeps

min_version("9.0")

# Every problem of the config at once, named by key and value, before any job;
# then Snakemake's validation fills in the schema's defaults.
try:
    check_config(config, f"{workflow.current_basedir}/../schemas/config.schema.yaml")
except ConfigError as err:
    raise WorkflowError(str(err))
validate(config, schema="../schemas/config.schema.yaml")

SEEDS = seeds(config)
DATASETS = list(config["datasets"])
# every method, with each swept method replaced by its grid points
# (e.g. snapshot/members-10_lr_max-0.03): from here on a grid point is a method
METHOD_SPECS = sweeps.expand(config["methods"], config.get("sweeps"))
METHODS = list(METHOD_SPECS)
GRID_POINTS = sweeps.grid_points(config.get("sweeps"))
# each dataset x method's seeds in chunks of execution.runs_per_job, one job
# per chunk and stage (snapens.chunks): {"seeds-1-30": [1, ..., 30], ...}
CHUNKS = chunks.split(SEEDS, config["execution"]["runs_per_job"])
# rows of each dataset's training part (from the config, or a pre-split file)
TRAIN_ROWS = {d: training_rows(config["datasets"][d]) for d in DATASETS}


wildcard_constraints:
    dataset="|".join(DATASETS),
    method="|".join(map(re.escape, METHODS)),
    chunk=chunks.WILDCARD,


# Cheap jobs (a dataset, the tables) run on the submitting host when a cluster
# executor is used: queueing would cost more than they do. The figure rules
# declare themselves local (workflow/rules/figures.smk).
localrules:
    all,
    make_dataset,
    summarise,


def manifest(stage):
    """The one output of a run-level job (train, evaluate, aggregate) of a
    chunk: its manifest, listing the per-run files it wrote."""
    return MANIFEST.replace("{stage}", stage)


def job_file(kind, rule, ext):
    """Log or benchmark path of a run-level job."""
    return f"results/{kind}/{rule}/{{dataset}}/{{method}}/{{chunk}}.{ext}"


def chunk_seeds(wildcards):
    return CHUNKS[wildcards.chunk]


def chunk_runs(wildcards):
    """The run directories of a job's chunk, in seed order."""
    return [
        RUN.format(dataset=wildcards.dataset, method=wildcards.method, seed=s)
        for s in chunk_seeds(wildcards)
    ]


def dataset_sources(wildcards):
    """The user's file behind a `kind: file` dataset (so that editing it regenerates)."""
    spec = config["datasets"][wildcards.dataset]
    return [spec["path"]] if spec["kind"] == "file" else []


def metric_settings():
    """What the metrics take from `evaluation` (e.g. ece_bins): all the evaluate
    and aggregate jobs get, so that a new confidence level or bootstrap size
    reruns the tables, not the evaluation."""
    statistics = ("confidence", "bootstrap")
    return {k: v for k, v in config["evaluation"].items() if k not in statistics}


def run_config(wildcards):
    """The resolved config of a dataset x method (recorded in run.json; a
    change reruns exactly the affected runs)."""
    return {
        "dataset": wildcards.dataset,
        "method": wildcards.method,
        "dataset_config": config["datasets"][wildcards.dataset],
        "method_config": METHOD_SPECS[wildcards.method],
        **settings(config, wildcards.dataset),
    }


def steps_per_epoch(dataset, method):
    """Optimizer steps per epoch of a method's runs: the training rows left
    after its validation split, in batches."""
    rows = TRAIN_ROWS[dataset]
    fit = rows - held_out_rows(rows, METHOD_SPECS[method]["validation_fraction"])
    return math.ceil(fit / settings(config, dataset)["training"]["batch_size"])


# Expected cost (seconds) of the run-level jobs, from measured costs (make
# bench, make bench-study): a training job's start-up (Python, TensorFlow) ~6 s,
# an evaluation job's ~2 s; a step of a lane of 32 models ~0.6 ms plus ~13 ns per
# weight in the lane (the default study's 2-50-3 MLP: 0.74 ms; MNIST-1D's
# 40-100-10: 2.8 ms) in graph mode, and XLA far slower on large inputs (1.4x,
# plus ~0.8 us per weight in the lane: 135 ms on MNIST-1D); ~0.5 ms per saved
# snapshot; evaluation ~4 ms per member. It sets the runtime requested from a
# cluster (3x, at least 5 minutes) and the job's priority, so that the longest
# jobs (the independent ensembles) start first and do not finish last.
def lane_step_seconds(dataset):
    spec, run = config["datasets"][dataset], settings(config, dataset)
    features, classes = feature_count(spec) or 50, dataset_classes(spec) or 10
    hidden = run["model"]["hidden_units"]
    weights = LANE * ((features + 1) * hidden + (hidden + 1) * classes)
    graph = 6e-4 + 1.3e-8 * weights
    if run["training"].get("jit_compile", False):
        return 1.4 * graph + 8e-7 * weights
    return graph


def lanes(wildcards):
    """Lanes the training job of a chunk runs (snapens.lanes)."""
    method = METHOD_SPECS[wildcards.method]
    independent = method["ensemble"] == "independent"
    return lanes_of(plan(chunk_seeds(wildcards), method["members"], independent))


def train_seconds(wildcards):
    method = METHOD_SPECS[wildcards.method]
    epochs = settings(config, wildcards.dataset)["training"]["epochs"]
    steps = epochs * steps_per_epoch(wildcards.dataset, wildcards.method)
    saves = len(chunk_seeds(wildcards)) * method["members"] * 5e-4
    return 6 + lanes(wildcards) * steps * lane_step_seconds(wildcards.dataset) + saves


def evaluate_seconds(wildcards):
    members = METHOD_SPECS[wildcards.method]["members"]
    return 2 + len(chunk_seeds(wildcards)) * members * 0.004


def minutes(seconds_of):
    return lambda wildcards: max(5, math.ceil(3 * seconds_of(wildcards) / 60))


def priority(seconds_of):
    return lambda wildcards: round(seconds_of(wildcards))


# Memory (MB) of the jobs that read every method or run at once, from their
# measured peak RSS (make bench-study, make bench-sweep): a figure ~230-280 MB
# with the default study's 7 methods and up to 590 MB with a sweep's 31
# (~13 MB per method), the tables 170 MB for 210 runs and 380 MB for 2,100.
def memory_mb(base, per_item, items):
    """``base + per_item * items``, rounded up to 100 MB."""
    return 100 * math.ceil((base + per_item * items) / 100)


def figure_memory():
    return memory_mb(300, 15, len(METHODS))


def tables_memory():
    return memory_mb(300, 0.15, len(DATASETS) * len(METHODS) * len(SEEDS))


def study_runs():
    """(dataset, method, seed, run directory) of every run, in config order."""
    return [
        (d, m, s, RUN.format(dataset=d, method=m, seed=s))
        for d in DATASETS
        for m in METHODS
        for s in SEEDS
    ]


def independent_reference():
    """The first method with independently trained members: the reference curve
    of the deep ensemble equivalent (the same for every dataset)."""
    refs = [m for m in METHODS if METHOD_SPECS[m]["ensemble"] == "independent"]
    return {d: refs[0] for d in DATASETS} if refs else {}


def all_manifests(stages=("train", "evaluate", "aggregate")):
    """The manifests of every run-level job of the study."""
    return [
        MANIFEST.format(dataset=d, method=m, chunk=c, stage=stage)
        for d in DATASETS
        for m in METHODS
        for c in CHUNKS
        for stage in stages
    ]


def first_seed_runs(wildcards):
    """Run directory of the first seed of every method on a dataset."""
    return {
        m: RUN.format(dataset=wildcards.dataset, method=m, seed=SEEDS[0])
        for m in METHODS
    }


def first_seed_manifests(wildcards):
    """The training manifests of the chunk holding the first seed, per method."""
    chunk = chunks.chunk_of(SEEDS[0], CHUNKS)
    return [
        MANIFEST.format(dataset=wildcards.dataset, method=m, chunk=chunk, stage="train")
        for m in METHODS
    ]


# --- figures: everything derives from the registry snapens.figures.FAMILIES ---


def figure_file(family, ext):
    return FIGURE.format(family=family.name, dataset="{dataset}", ext=ext)


def schedules(dataset):
    """What the learning-rate figure needs: each method's schedule and the
    steps per epoch of the rows it trains on."""
    return {
        "epochs": settings(config, dataset)["training"]["epochs"],
        "methods": {
            m: {
                "schedule": spec["schedule"],
                "members": spec["members"],
                "ensemble": spec["ensemble"],
                "steps_per_epoch": steps_per_epoch(dataset, m),
            }
            for m, spec in METHOD_SPECS.items()
        },
    }


# figure parameters a family may ask for (Family.params), per dataset
FIGURE_PARAMS = {
    "confidence": lambda dataset: config["evaluation"]["confidence"],
    "schedules": schedules,
}


def figure_params(family):
    return lambda wildcards: {
        name: FIGURE_PARAMS[name](wildcards.dataset) for name in family.params
    }


def all_targets():
    return [*TABLES.values(), *figure_files(config)]
