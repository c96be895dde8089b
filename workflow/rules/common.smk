# Config validation, target lists, path helpers and wildcard constraints.
import math

from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version, validate

from snapens.config import ConfigError, check_config, seeds, study_config

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
METHODS = list(config["methods"])
PACK = config["execution"]["pack_runs"]
RUN = "results/runs/{dataset}/{method}/seed-{seed}"
RUN_OF_PACK = (
    "results/runs/{{dataset}}/{{method}}/seed-{seed}"  # seed expanded, the rest kept
)


wildcard_constraints:
    dataset="|".join(DATASETS),
    method="|".join(METHODS),
    seed=r"\d+",


# Cheap jobs (a dataset, the tables, the figures) run on the submitting host
# when a cluster executor is used: queueing would cost more than they do.
localrules:
    all,
    make_dataset,
    summarise,
    lr_schedules,
    learning_curves,
    seed_plot,
    paired_differences,
    diversity,
    methods,
    deep_ensemble_equivalent,
    decision_regions,


def run_files(name):
    """A file of the run-level rules: one seed per job, or (pack_runs) every
    seed of a dataset x method in one job, with the same per-seed paths."""
    if PACK:
        return expand(f"{RUN_OF_PACK}/{name}", seed=SEEDS)
    return f"{RUN}/{name}"


def job_file(kind, rule, ext):
    """Log or benchmark path of a run-level job."""
    unit = "{dataset}/{method}" if PACK else "{dataset}/{method}/seed-{seed}"
    return f"results/{kind}/{rule}/{unit}.{ext}"


def dataset_sources(wildcards):
    """The user's file behind a `kind: file` dataset (so that editing it regenerates)."""
    spec = config["datasets"][wildcards.dataset]
    return [spec["path"]] if spec["kind"] == "file" else []


def run_seeds(wildcards):
    return SEEDS if PACK else [int(wildcards.seed)]


def run_config(wildcards):
    """The resolved config of a dataset x method (recorded in run.json; a
    change reruns exactly the affected runs)."""
    return {
        "dataset": wildcards.dataset,
        "method": wildcards.method,
        "dataset_config": config["datasets"][wildcards.dataset],
        "method_config": config["methods"][wildcards.method],
        "training": config["training"],
        "model": config["model"],
    }


def steps_per_epoch(dataset):
    return math.ceil(
        config["datasets"][dataset]["n_train"] / config["training"]["batch_size"]
    )


# Expected cost (seconds) of the run-level jobs, from the measured cost of the
# default study (`make bench-study`): a job's start-up (Python, TensorFlow, XLA
# compilation) ~12 s; training ~0.1 ms per optimizer step plus ~15 ms per saved
# model; evaluation ~40 ms per member. It sets the runtime requested from a
# cluster (3x, at least 5 minutes) and the job's priority, so that the longest
# jobs (the independent ensembles) start first and do not finish last.
def train_seconds(wildcards):
    method = config["methods"][wildcards.method]
    steps = config["training"]["epochs"] * steps_per_epoch(wildcards.dataset)
    models = method["members"] if method.get("ensemble") == "independent" else 1
    per_run = models * steps * 1e-4 + method["members"] * 0.015
    return 12 + len(run_seeds(wildcards)) * per_run


def evaluate_seconds(wildcards):
    members = config["methods"][wildcards.method]["members"]
    return 12 + len(run_seeds(wildcards)) * members * 0.04


def minutes(seconds_of):
    return lambda wildcards: max(5, math.ceil(3 * seconds_of(wildcards) / 60))


def priority(seconds_of):
    return lambda wildcards: round(seconds_of(wildcards))


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
    refs = [m for m in METHODS if config["methods"][m].get("ensemble") == "independent"]
    return {d: refs[0] for d in DATASETS} if refs else {}


def all_run_files(name):
    return [f"{run_dir}/{name}" for *_, run_dir in study_runs()]


TABLES = {
    "runs": "results/tables/runs.csv",
    "summary": "results/tables/summary.csv",
    "paired": "results/tables/paired_tests.csv",
    "curves": "results/tables/curves.csv",
    "diversity": "results/tables/diversity.csv",
    "dee": "results/tables/deep_ensemble_equivalent.csv",
    "learning": "results/tables/learning_curves.csv",
    "markdown": "results/tables/summary.md",
    "headline": "results/tables/headline.rst",
    "study": "results/tables/study.json",
}


FIGURES = (
    "lr_schedules",
    "learning_curves",
    "seed_plot",
    "paired_differences",
    "diversity",
    "methods",
    "deep_ensemble_equivalent",
)


def two_d_datasets():
    """Generated datasets with two features, where decision regions can be drawn."""
    return [
        d
        for d in DATASETS
        if config["datasets"][d]["kind"] in ("moons", "circles")
        or config["datasets"][d].get("n_features") == 2
    ]


def figure_files(family, datasets=None):
    return expand(
        f"results/figures/{family}_{{dataset}}.{{ext}}",
        dataset=DATASETS if datasets is None else datasets,
        ext=["png", "svg"],
    )


def first_seed_runs(wildcards):
    """Run directory of the first seed of every method on a dataset."""
    return {
        m: RUN.format(dataset=wildcards.dataset, method=m, seed=SEEDS[0])
        for m in METHODS
    }


def all_targets():
    figures = [f for family in FIGURES for f in figure_files(family)]
    regions = figure_files("decision_regions", two_d_datasets())
    return [*TABLES.values(), *figures, *regions]
