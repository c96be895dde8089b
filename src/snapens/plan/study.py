"""The study plan: everything the workflow works out from the validated
config before any job runs, in one tested object.

``workflow/rules/common.smk`` builds one :class:`Study` and hands its
answers to Snakemake: the datasets, methods (a swept method replaced by its
grid points), seeds and chunks; the files each job reads and writes; each
method's training budget (:func:`snapens.train.budget.method_budget`); the
DEE's references (:func:`snapens.core.settings.reference_method`); and the
expected seconds and memory of each job (:mod:`snapens.plan.cost`). Nothing
here imports Snakemake, so every answer has a unit test
(``tests/unit/test_study.py``).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, Sequence

from snapens.core import sweeps
from snapens.core.paths import STAGES, Layout
from snapens.core.settings import reference_candidate, reference_method, seeds, settings, subset_count
from snapens.data import kinds
from snapens.plan import chunks, cost
from snapens.plan.targets import figure_files
from snapens.train.budget import MethodBudget, method_budget
from snapens.train.lanes import lanes_of, plan

# the run-level stages, in the order a chunk's jobs run
RUN_STAGES = ("train", "evaluate", "aggregate")

# the priority of the data jobs, above any run-level job's (whose priority is
# its expected seconds): else the longest trainings wait until every job of
# the datasets already drawn has run, and finish last
DATA_PRIORITY = 1_000_000

# a dataset's features and classes when the config cannot say (a user's
# file): the cost model's guess, an MNIST-1D-sized MLP
UNKNOWN_FEATURES, UNKNOWN_CLASSES = 50, 10


class Study:
    """The plan of the study of one validated ``config`` (schema defaults
    filled in)."""

    def __init__(self, config: dict[str, Any]):
        self.config = config
        self.layout = Layout(config["results"])
        self.seeds: list[int] = seeds(config)
        self.datasets: list[str] = list(config["datasets"])
        # each dataset's seeds: the study's, or the first of them for a
        # dataset with its own, smaller `repeats`
        self.dataset_seeds = {d: seeds(config, d) for d in self.datasets}
        # every method, a swept method replaced by its grid points
        # (e.g. snapshot/members-10_lr_max-0.03): from here on a grid point is a method
        self.method_specs: dict[str, dict] = sweeps.expand(config["methods"], config.get("sweeps"))
        self.methods = list(self.method_specs)
        self.grid_points = sweeps.grid_points(config.get("sweeps"))
        self.dataset_methods = {d: self._methods_of(d) for d in self.datasets}
        # each dataset x method's seeds in chunks of execution.runs_per_job,
        # one job per chunk and stage: {"seeds-1-30": [1, ..., 30], ...}
        per_job = config["execution"]["runs_per_job"]
        self.dataset_chunks = {d: chunks.split(self.dataset_seeds[d], per_job) for d in self.datasets}
        self.chunks = {name: s for d in self.datasets for name, s in self.dataset_chunks[d].items()}
        # rows of each dataset's training part (from the config, or a pre-split file)
        self.train_rows = {d: kinds.training_rows(config["datasets"][d]) for d in self.datasets}

    def _methods_of(self, dataset: str) -> list[str]:
        """The methods (grid points) ``dataset`` runs: its ``methods`` list, or all."""
        wanted = self.config["datasets"][dataset].get("methods", self.config["methods"])
        return [m for m in self.methods if self.grid_points.get(m, {"method": m})["method"] in wanted]

    # --- runs and files -------------------------------------------------------------

    def runs(self) -> list[tuple[str, str, int]]:
        """``(dataset, method, seed)`` of every run, in config order."""
        return [
            (d, m, s) for d in self.datasets for m in self.dataset_methods[d] for s in self.dataset_seeds[d]
        ]

    def chunk_seeds(self, chunk: str) -> list[int]:
        """The seeds of a chunk (by its name)."""
        return self.chunks[chunk]

    def first_seed_chunk(self, dataset: str) -> str:
        """The chunk of ``dataset`` holding the study's first seed."""
        return chunks.chunk_of(self.seeds[0], self.dataset_chunks[dataset])

    def data_files(self, dataset: str, chunk_names: Sequence[str] | None = None) -> list[str]:
        """The data a job reads: a dataset's one file, or, for a ``redraw:
        true`` dataset, the draw directories of ``chunk_names`` (every chunk
        when None)."""
        if not kinds.redrawn(self.config["datasets"][dataset]):
            return self.layout.data_files(dataset)
        names = list(self.dataset_chunks[dataset]) if chunk_names is None else chunk_names
        return self.layout.data_files(dataset, names)

    def every_data_file(self) -> list[str]:
        """Every dataset's data files, in dataset order."""
        return [f for d in self.datasets for f in self.data_files(d)]

    def data_file_counts(self) -> dict[str, int]:
        """Data files (or draw directories) per dataset."""
        return {d: len(self.data_files(d)) for d in self.datasets}

    def source_files(self, dataset: str) -> list[str]:
        """The user's file behind a ``kind: file`` dataset (editing it regenerates)."""
        spec = self.config["datasets"][dataset]
        return [spec["path"]] if "path" in spec else []

    def manifest(self, stage: str) -> str:
        """The pattern of a run-level job's one output, its manifest."""
        return self.layout.manifest.replace("{stage}", stage)

    def manifests(self, stages: Sequence[str] = STAGES) -> list[str]:
        """The manifests of every run-level job of the study."""
        return [
            self.layout.manifest.format(dataset=d, method=m, chunk=c, stage=stage)
            for d in self.datasets
            for m in self.dataset_methods[d]
            for c in self.dataset_chunks[d]
            for stage in stages
        ]

    def first_seed_manifests(self, dataset: str) -> list[str]:
        """The training manifests of the chunk holding the first seed, per
        method of ``dataset`` (in method order)."""
        chunk = self.first_seed_chunk(dataset)
        return [
            self.layout.manifest.format(dataset=dataset, method=m, chunk=chunk, stage="train")
            for m in self.dataset_methods[dataset]
        ]

    def targets(self) -> list[str]:
        """What the study makes: its tables and every figure."""
        return [*self.layout.tables.values(), *figure_files(self.config, self.layout)]

    # --- what the jobs are given ----------------------------------------------------

    def run_config(self, dataset: str, method: str) -> dict[str, Any]:
        """The resolved config of a dataset x method (recorded in run.json; a
        change reruns exactly the affected runs)."""
        return {
            "dataset": dataset,
            "method": method,
            "dataset_config": self.config["datasets"][dataset],
            "method_config": self.method_specs[method],
            **settings(self.config, dataset),
        }

    def metric_settings(self) -> dict[str, Any]:
        """What the metrics take from ``evaluation`` (e.g. ``ece_bins``): all
        the evaluate and aggregate jobs get, so that a new confidence level or
        bootstrap size reruns the tables, not the evaluation."""
        statistics = ("confidence", "bootstrap", "sign_flips")
        return {k: v for k, v in self.config["evaluation"].items() if k not in statistics}

    def budget(self, dataset: str, method: str) -> MethodBudget:
        """The training budget of a run of ``method`` on ``dataset``."""
        training = settings(self.config, dataset)["training"]
        return method_budget(self.method_specs[method], training, self.train_rows[dataset])

    def last_snapshot_rates(self) -> dict[str, dict[str, float]]:
        """Per dataset and method: the rate at the last snapshot as a
        fraction of the peak, for the tables."""
        return {
            d: {m: self.budget(d, m).last_snapshot_rate for m in self.dataset_methods[d]}
            for d in self.datasets
        }

    def schedules(self, dataset: str) -> dict[str, Any]:
        """What the learning-rate figure of ``dataset`` draws: the study's
        epochs and every method's budget (:meth:`MethodBudget.record`)."""
        return {
            "epochs": settings(self.config, dataset)["training"]["epochs"],
            "methods": {m: self.budget(dataset, m).record() for m in self.methods},
        }

    def figure_params(self, names: Sequence[str], dataset: str) -> dict[str, Any]:
        """The parameters a figure family asks for (``Family.params``)."""
        known = {
            "confidence": lambda: self.config["evaluation"]["confidence"],
            "schedules": lambda: self.schedules(dataset),
        }
        return {name: known[name]() for name in names}

    def dee_references(self) -> dict[str, str]:
        """Per dataset, the DEE's reference when no baselines name one (the
        first method whose runs carry subset curves); datasets without one
        are left out."""
        refs = {
            d: reference_method({m: self.method_specs[m] for m in self.dataset_methods[d]})
            for d in self.datasets
        }
        return {d: ref for d, ref in refs.items() if ref is not None}

    # --- expected cost --------------------------------------------------------------

    def train_seconds(self, dataset: str, method: str, chunk: str) -> float:
        """A training job's expected seconds: its lanes, steps, weights and snapshots."""
        spec, run = self.config["datasets"][dataset], settings(self.config, dataset)
        budget, seeds_ = self.budget(dataset, method), self.chunk_seeds(chunk)
        weights = cost.lane_weights(
            kinds.features(spec) or UNKNOWN_FEATURES,
            run["model"]["hidden_units"],
            kinds.classes(spec) or UNKNOWN_CLASSES,
        )
        return cost.train_seconds(
            lanes_of(plan(seeds_, budget.members, budget.independent)),
            budget.model_steps,
            weights,
            len(seeds_) * budget.members,
            run["training"].get("jit_compile", False),
        )

    def evaluate_seconds(self, dataset: str, method: str, chunk: str) -> float:
        """An evaluation job's expected seconds: every member of its runs."""
        return cost.evaluate_seconds(len(self.chunk_seeds(chunk)) * self.method_specs[method]["members"])

    def aggregate_seconds(self, dataset: str, method: str, chunk: str) -> float:
        """An aggregation job's expected seconds: its members, and the subsets
        of runs that can be the DEE's reference."""
        spec, runs = self.method_specs[method], len(self.chunk_seeds(chunk))
        subsets = runs * subset_count(spec["members"]) if reference_candidate(spec) else 0
        return cost.aggregate_seconds(runs * spec["members"], subsets)

    def seconds(self, stage: str, dataset: str, method: str, chunk: str) -> float:
        """The expected seconds of a chunk's job of ``stage``."""
        return getattr(self, f"{stage}_seconds")(dataset, method, chunk)

    def chain_seconds(self, stage: str, dataset: str, method: str, chunk: str) -> float:
        """The expected seconds of a chunk's job of ``stage`` and of its jobs
        after it: the priority that starts the longest chains first."""
        after = RUN_STAGES[RUN_STAGES.index(stage) :]
        return sum(self.seconds(s, dataset, method, chunk) for s in after)

    def priority(self, stage: str, dataset: str, method: str, chunk: str) -> int:
        """A run-level job's priority: :meth:`chain_seconds`, rounded."""
        return round(self.chain_seconds(stage, dataset, method, chunk))

    def cluster_minutes(self, stage: str, dataset: str, method: str, chunk: str) -> int:
        """The wall time a cluster job of ``stage`` requests."""
        return cost.cluster_minutes(self.seconds(stage, dataset, method, chunk))

    @cached_property
    def tables_mb(self) -> int:
        """The summarise job's memory."""
        return cost.tables_mb(len(self.runs()))

    @cached_property
    def figure_mb(self) -> int:
        """A figure job's memory."""
        return cost.figure_mb(len(self.methods))

    @cached_property
    def grid_mb(self) -> int:
        """The decision-grid job's memory."""
        return cost.grid_mb(len(self.methods))
