# The config's checks, the study plan and Snakemake's adapters to it. Every
# decision is made by snapens.plan.study.Study (unit-tested); what is here
# only hands it to Snakemake: wildcard constraints, and functions of a job's
# wildcards named for what Snakemake calls them for (input_*, param_*,
# priority_*, runtime_*). The rules' jobs import only the stage packages of
# snapens (docs/architecture.md).
import os
import re

from snakemake.exceptions import WorkflowError
from snakemake.logging import logger
from snakemake.utils import min_version, validate

from snapens.core.settings import study_config
from snapens.plan import chunks, scheduler
from snapens.plan.config import ConfigError, check_config
from snapens.plan.sources import script_modules, sources
from snapens.plan.study import DATA_PRIORITY, Study
from snapens.report.figures import FAMILIES

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

STUDY = Study(config)
LAYOUT = STUDY.layout  # where the study writes (config key `results`)
DATASETS, METHODS = STUDY.datasets, STUDY.methods


wildcard_constraints:
    dataset="|".join(DATASETS),
    method="|".join(map(re.escape, METHODS)),
    chunk=chunks.WILDCARD,
    group=chunks.GROUP_WILDCARD,


# the wildcards of a run-level job's log and benchmark (a training job's: TRAIN_JOB)
CHUNK_JOB = "{dataset}/{method}/{chunk}"
TRAIN_JOB = "{dataset}/{group}/{chunk}"


def log_file(rule, wildcards=""):
    return LAYOUT.job_file("logs", rule, wildcards, "log")


def benchmark_file(rule, wildcards=""):
    return LAYOUT.job_file("benchmarks", rule, wildcards, "tsv")


def library_files(script):
    """The library files a rule's script runs (snapens.plan.sources): an
    edit of one reruns exactly the jobs that run it. A module fetched from a
    remote repository has no local scripts to read (and a pinned release of
    the library): nothing to track then."""
    path = f"{workflow.current_basedir}/../scripts/{script}"
    return sources(*script_modules(path)) if os.path.isfile(path) else []


def configfile_options():
    """The --configfile options this run was given (for the commands it prints)."""
    files = workflow.overwrite_configfiles or []
    return " ".join(["--configfile", *map(str, files)]) if files else ""


# --- functions of a job's wildcards ------------------------------------------------


def input_chunk_data(w):
    return STUDY.data_files(w.dataset, [w.chunk])


def input_train_manifest(w):
    return STUDY.train_manifest(w.dataset, w.method, w.chunk)


def input_first_seed_data(w):
    return STUDY.data_files(w.dataset, [STUDY.first_seed_chunk(w.dataset)])


def input_first_seed_manifests(w):
    return STUDY.first_seed_manifests(w.dataset)


def input_dataset_source(w):
    return STUDY.source_files(w.dataset)


def param_dataset_spec(w):
    return config["datasets"][w.dataset]


def param_chunk_seeds(w):
    return STUDY.chunk_seeds(w.chunk)


def param_train_run_configs(w):
    return STUDY.train_run_configs(w.dataset, w.group, w.chunk)


def param_first_seed_trained(w):
    return STUDY.first_seed_trained(w.dataset)


def priority_of(stage):
    return lambda w: STUDY.priority(stage, dict(w.items()))


def runtime_of(stage):
    return lambda w: STUDY.cluster_minutes(stage, dict(w.items()))


# --- figures: everything derives from the registry snapens.report.figures.FAMILIES


def figure_file(family, ext):
    return LAYOUT.figure.format(family=family.name, dataset="{dataset}", ext=ext)


def figure_inputs(family):
    return {arg: LAYOUT.table(table) for arg, table in family.inputs.items()}


def param_figure(family):
    return lambda w: STUDY.figure_params(family.params, w.dataset)
