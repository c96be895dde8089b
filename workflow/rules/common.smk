# Config validation, target lists, path helpers and wildcard constraints.
import math

from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version, validate

from snapens.config import ConfigError, check_config, seeds

min_version("9.0")

validate(config, schema="../schemas/config.schema.yaml")
try:
    check_config(config)
except ConfigError as err:
    raise WorkflowError(str(err))

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


def study_runs():
    """(dataset, method, seed, run directory) of every run, in config order."""
    return [
        (d, m, s, RUN.format(dataset=d, method=m, seed=s))
        for d in DATASETS
        for m in METHODS
        for s in SEEDS
    ]


def all_run_files(name):
    return [f"{run_dir}/{name}" for *_, run_dir in study_runs()]


TABLES = {
    "runs": "results/tables/runs.csv",
    "summary": "results/tables/summary.csv",
    "paired": "results/tables/paired_tests.csv",
    "curves": "results/tables/curves.csv",
    "diversity": "results/tables/diversity.csv",
    "markdown": "results/tables/summary.md",
}


def figure_files(family):
    return expand(
        f"results/figures/{family}_{{dataset}}.{{ext}}",
        dataset=DATASETS,
        ext=["png", "svg"],
    )


def all_targets():
    return [*TABLES.values(), *figure_files("seed_plot"), *figure_files("lr_schedules")]
