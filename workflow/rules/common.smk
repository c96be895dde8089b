# Config validation, the output layout, target lists, path and cost helpers,
# wildcard constraints. Everything here is planning: the rules' jobs import
# only the stage packages of snapens (docs/architecture.md).
import math
import os
import re

from snakemake.exceptions import WorkflowError
from snakemake.logging import logger
from snakemake.utils import min_version, validate

from snapens.core import sweeps
from snapens.core.paths import STAGES, Layout
from snapens.core.settings import member_epochs, seeds, settings, study_config
from snapens.core.settings import independent, reference_candidate
from snapens.core.settings import reference_method, subset_count
from snapens.data import kinds
from snapens.data.dataset import held_out_rows
from snapens.plan import chunks, cost, scheduler
from snapens.plan.config import ConfigError, check_config
from snapens.plan.sources import script_modules, sources
from snapens.plan.targets import figure_files
from snapens.report.figures import FAMILIES
from snapens.train.lanes import lanes_of, plan
from snapens.train.schedules import Budget, last_snapshot_fraction

min_version("9.27")

# Every problem of the config at once, named by key and value, before any job;
# then Snakemake's validation fills in the schema's defaults.
try:
    check_config(config, workflow.source_path("../schemas/config.schema.yaml"))
except ConfigError as err:
    raise WorkflowError(str(err))
validate(config, schema="../schemas/config.schema.yaml")

# the opt-in fix of Snakemake's job-rate timers (docs/snakemake-wakeup-timers.md)
if config["execution"]["one_wakeup_timer"]:
    logger.info(scheduler.apply())

# where the study writes (config key `results`); every path below is under it
LAYOUT = Layout(config["results"])
SEEDS = seeds(config)
DATASETS = list(config["datasets"])
# each dataset's seeds: the study's, or the first of them for a dataset with
# its own, smaller `repeats`
DATASET_SEEDS = {d: seeds(config, d) for d in DATASETS}
# every method, with each swept method replaced by its grid points
# (e.g. snapshot/members-10_lr_max-0.03): from here on a grid point is a method
METHOD_SPECS = sweeps.expand(config["methods"], config.get("sweeps"))
METHODS = list(METHOD_SPECS)
GRID_POINTS = sweeps.grid_points(config.get("sweeps"))
# the methods (grid points) each dataset runs: its `methods` list, or all
DATASET_METHODS = {
    d: [
        m
        for m in METHODS
        if GRID_POINTS.get(m, {"method": m})["method"]
        in config["datasets"][d].get("methods", config["methods"])
    ]
    for d in config["datasets"]
}
# each dataset x method's seeds in chunks of execution.runs_per_job, one job
# per chunk and stage (snapens.plan.chunks): {"seeds-1-30": [1, ..., 30], ...};
# CHUNKS holds every dataset's (a chunk's name is its seeds)
DATASET_CHUNKS = {
    d: chunks.split(DATASET_SEEDS[d], config["execution"]["runs_per_job"])
    for d in DATASETS
}
CHUNKS = {name: s for d in DATASETS for name, s in DATASET_CHUNKS[d].items()}
# rows of each dataset's training part (from the config, or a pre-split file)
TRAIN_ROWS = {d: kinds.training_rows(config["datasets"][d]) for d in DATASETS}


wildcard_constraints:
    dataset="|".join(DATASETS),
    method="|".join(map(re.escape, METHODS)),
    chunk=chunks.WILDCARD,


# --- paths ----------------------------------------------------------------------


def manifest(stage):
    """The one output of a run-level job (train, evaluate, aggregate) of a
    chunk: its manifest, listing the per-run files it wrote."""
    return LAYOUT.manifest.replace("{stage}", stage)


def log_file(rule, wildcards=""):
    return LAYOUT.job_file("logs", rule, wildcards, "log")


def benchmark_file(rule, wildcards=""):
    return LAYOUT.job_file("benchmarks", rule, wildcards, "tsv")


def code(script):
    """The library files the rule's script runs (snapens.plan.sources): an
    edit of one reruns exactly the jobs that run it."""
    path = f"{workflow.current_basedir}/../scripts/{script}"
    # a module fetched from a remote repository has no local scripts to read
    # (and a pinned release of the library): nothing to track then
    return sources(*script_modules(path)) if os.path.isfile(path) else []


CHUNK_JOB = (
    "{dataset}/{method}/{chunk}"  # the wildcards of a run-level job's log and benchmark
)


def chunk_seeds(wildcards):
    return CHUNKS[wildcards.chunk]


def data_files(dataset, chunk_names=None):
    """The data a job reads: a dataset's one file, or, for a `redraw: true`
    dataset, the draw directories of `chunk_names` (every chunk when None)."""
    if not kinds.redrawn(config["datasets"][dataset]):
        return LAYOUT.data_files(dataset)
    return LAYOUT.data_files(
        dataset, list(DATASET_CHUNKS[dataset]) if chunk_names is None else chunk_names
    )


def chunk_data(wildcards):
    """The data of a chunk's runs (snapens.data.dataset.load_draws reads them)."""
    return data_files(wildcards.dataset, [wildcards.chunk])


def first_seed_data(wildcards):
    return data_files(
        wildcards.dataset,
        [chunks.chunk_of(SEEDS[0], DATASET_CHUNKS[wildcards.dataset])],
    )


def dataset_sources(wildcards):
    """The user's file behind a `kind: file` dataset (so that editing it regenerates)."""
    spec = config["datasets"][wildcards.dataset]
    return [spec["path"]] if "path" in spec else []


def metric_settings():
    """What the metrics take from `evaluation` (e.g. ece_bins): all the evaluate
    and aggregate jobs get, so that a new confidence level or bootstrap size
    reruns the tables, not the evaluation."""
    statistics = ("confidence", "bootstrap", "sign_flips")
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


def last_snapshot_rates():
    """Per dataset and method: the rate at the last snapshot as a fraction of
    the peak (snapens.train.schedules.last_snapshot_fraction), for the tables."""
    out = {}
    for d in DATASETS:
        epochs = settings(config, d)["training"]["epochs"]
        out[d] = {}
        for m in DATASET_METHODS[d]:
            spec = METHOD_SPECS[m]
            budget = Budget(
                member_epochs(spec, epochs),
                1 if independent(spec) else spec["members"],
                steps_per_epoch(d, m),
            )
            out[d][m] = last_snapshot_fraction(spec["schedule"], budget)
    return out


# --- expected cost (snapens.plan.cost) --------------------------------------------


def train_seconds(wildcards):
    """A training job's expected seconds: its lanes, steps, weights and snapshots."""
    method = METHOD_SPECS[wildcards.method]
    spec, run = config["datasets"][wildcards.dataset], settings(
        config, wildcards.dataset
    )
    models = plan(chunk_seeds(wildcards), method["members"], independent(method))
    weights = cost.lane_weights(
        kinds.features(spec) or 50,
        run["model"]["hidden_units"],
        kinds.classes(spec) or 10,
    )
    return cost.train_seconds(
        lanes_of(models),
        member_epochs(method, run["training"]["epochs"])
        * steps_per_epoch(wildcards.dataset, wildcards.method),
        weights,
        len(chunk_seeds(wildcards)) * method["members"],
        run["training"].get("jit_compile", False),
    )


def evaluate_seconds(wildcards):
    members = METHOD_SPECS[wildcards.method]["members"]
    return cost.evaluate_seconds(len(chunk_seeds(wildcards)) * members)


def aggregate_seconds(wildcards):
    method = METHOD_SPECS[wildcards.method]
    runs = len(chunk_seeds(wildcards))
    subsets = (
        runs * subset_count(method["members"]) if reference_candidate(method) else 0
    )
    return cost.aggregate_seconds(runs * method["members"], subsets)


def chunk_chain(*seconds_of):
    """The expected seconds of a chunk's job and of its jobs after it (the
    priority that starts the longest chains first)."""
    return lambda wildcards: sum(f(wildcards) for f in seconds_of)


def minutes(seconds_of):
    return lambda wildcards: cost.cluster_minutes(seconds_of(wildcards))


def priority(seconds_of):
    return lambda wildcards: round(seconds_of(wildcards))


# the data jobs before any run-level job (whose priority is its expected
# seconds): else the longest trainings wait until every job of the datasets
# already drawn has run, and finish last
DATA_PRIORITY = 1_000_000


# --- what the jobs read -----------------------------------------------------------


def study_runs():
    """(dataset, method, seed) of every run, in config order."""
    return [
        (d, m, s)
        for d in DATASETS
        for m in DATASET_METHODS[d]
        for s in DATASET_SEEDS[d]
    ]


def independent_reference():
    """Per dataset, the DEE's reference when no baselines name one
    (snapens.core.settings.reference_method: the first method whose runs
    carry subset curves)."""
    refs = {
        d: reference_method({m: METHOD_SPECS[m] for m in DATASET_METHODS[d]})
        for d in DATASETS
    }
    return {d: ref for d, ref in refs.items() if ref is not None}


def all_manifests(stages=STAGES):
    """The manifests of every run-level job of the study."""
    return [
        LAYOUT.manifest.format(dataset=d, method=m, chunk=c, stage=stage)
        for d in DATASETS
        for m in DATASET_METHODS[d]
        for c in DATASET_CHUNKS[d]
        for stage in stages
    ]


def first_seed_manifests(wildcards):
    """The training manifests of the chunk holding the first seed, per method
    of the dataset (in METHODS order)."""
    chunk = chunks.chunk_of(SEEDS[0], DATASET_CHUNKS[wildcards.dataset])
    return [
        LAYOUT.manifest.format(
            dataset=wildcards.dataset, method=m, chunk=chunk, stage="train"
        )
        for m in DATASET_METHODS[wildcards.dataset]
    ]


# --- figures: everything derives from the registry snapens.report.figures.FAMILIES


def figure_file(family, ext):
    return LAYOUT.figure.format(family=family.name, dataset="{dataset}", ext=ext)


def figure_inputs(family):
    return {arg: LAYOUT.table(table) for arg, table in family.inputs.items()}


def schedules(dataset):
    """What the learning-rate figure needs: each method's schedule, the epochs
    each of its models trains and the steps per epoch of the rows it trains on."""
    epochs = settings(config, dataset)["training"]["epochs"]
    return {
        "epochs": epochs,
        "methods": {
            m: {
                "epochs": member_epochs(spec, epochs),
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
    return [*LAYOUT.tables.values(), *figure_files(config, LAYOUT)]


def configfile_options():
    """The --configfile options this run was given (for the commands it prints)."""
    files = workflow.overwrite_configfiles or []
    return " ".join(["--configfile", *map(str, files)]) if files else ""
