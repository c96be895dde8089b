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
from typing import Any, Mapping, Sequence

from snapens.core import sweeps
from snapens.core.paths import Layout
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
        # each dataset x chunk's methods packed into training jobs (snapens.plan.chunks.pack)
        self.train_groups = {
            (d, c): self._groups(d, c) for d in self.datasets for c in self.dataset_chunks[d]
        }

    def _groups(self, dataset: str, chunk: str) -> dict[str, list[str]]:
        """The training jobs of a dataset's chunk: ``{group name: methods}``."""
        methods = self.dataset_methods[dataset]
        limit = self.config["execution"]["train_job_seconds"]
        expected = [self.training_seconds(dataset, m, chunk, cost.PACKING) for m in methods]
        packed = chunks.pack(expected, limit)
        return {chunks.group_name(i + 1, j + 1): methods[i : j + 1] for i, j in packed}

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
        """The pattern of a run-level job's one output, its manifest (a
        training job's: :attr:`snapens.core.paths.Layout.train_manifest`)."""
        if stage == "train":
            return self.layout.train_manifest
        return self.layout.manifest.replace("{stage}", stage)

    def group_methods(self, dataset: str, group: str, chunk: str) -> list[str]:
        """The methods of a training job, named by its wildcards; a job this
        plan has not made (e.g. a target of an earlier packing) is refused
        by name, with the jobs it has."""
        jobs = self.train_groups.get((dataset, chunk), {})
        if group not in jobs:
            planned = ", ".join(f"{dataset}/{g}/{chunk}" for g in jobs) or "none"
            raise ValueError(
                f"no training job {dataset}/{group}/{chunk} in this study's plan (execution.train_job_seconds "
                f"packs the methods; the plan's jobs for that chunk: {planned})"
            )
        return jobs[group]

    def train_group(self, dataset: str, method: str, chunk: str) -> str:
        """The training job (its group name) of a dataset x method's chunk."""
        return next(g for g, ms in self.train_groups[dataset, chunk].items() if method in ms)

    def train_manifest(self, dataset: str, method: str, chunk: str) -> str:
        """The manifest of the training job of a dataset x method's chunk."""
        group = self.train_group(dataset, method, chunk)
        return self.layout.train_manifest.format(dataset=dataset, group=group, chunk=chunk)

    def manifests(self) -> list[str]:
        """The manifests of every run-level job of the study: the training
        jobs', then each chunk's evaluation's and aggregation's."""
        trained = [
            self.layout.train_manifest.format(dataset=d, group=g, chunk=c)
            for (d, c), groups in self.train_groups.items()
            for g in groups
        ]
        return trained + [
            self.layout.manifest.format(dataset=d, method=m, chunk=c, stage=stage)
            for d in self.datasets
            for m in self.dataset_methods[d]
            for c in self.dataset_chunks[d]
            for stage in RUN_STAGES[1:]
        ]

    def first_seed_manifests(self, dataset: str) -> list[str]:
        """The manifests of the training jobs of the chunk holding the first
        seed, every method of ``dataset`` among them (in method order)."""
        chunk = self.first_seed_chunk(dataset)
        return list(
            dict.fromkeys(self.train_manifest(dataset, m, chunk) for m in self.dataset_methods[dataset])
        )

    def first_seed_trained(self, dataset: str) -> dict[str, int]:
        """Per method of ``dataset``, the position in :meth:`first_seed_manifests`
        of the manifest of the job that trained its first seed's run."""
        manifests = self.first_seed_manifests(dataset)
        chunk = self.first_seed_chunk(dataset)
        return {
            m: manifests.index(self.train_manifest(dataset, m, chunk)) for m in self.dataset_methods[dataset]
        }

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

    def train_run_configs(self, dataset: str, group: str, chunk: str) -> list[dict[str, Any]]:
        """What a training job trains: the :meth:`run_config` of each of its
        methods (the job finds their run directories beside its manifest,
        :func:`snapens.core.paths.trained_run_dirs`)."""
        return [self.run_config(dataset, m) for m in self.group_methods(dataset, group, chunk)]

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

    def training_seconds(
        self, dataset: str, method: str, chunk: str, constants: cost.Constants | None = None
    ) -> float:
        """A dataset x method's chunk's expected training seconds, without the
        job's start-up: its lanes, steps, weights and snapshots (by the cost
        model's ``constants``, :data:`snapens.plan.cost.COSTS` by default)."""
        spec, run = self.config["datasets"][dataset], settings(self.config, dataset)
        budget, seeds_ = self.budget(dataset, method), self.chunk_seeds(chunk)
        weights = cost.lane_weights(
            kinds.features(spec) or UNKNOWN_FEATURES,
            run["model"]["hidden_units"],
            kinds.classes(spec) or UNKNOWN_CLASSES,
        )
        return cost.training_seconds(
            lanes_of(plan(seeds_, budget.members, budget.independent)),
            budget.model_steps,
            weights,
            len(seeds_) * budget.members,
            run["training"].get("jit_compile", False),
            cost.COSTS if constants is None else constants,
        )

    def train_seconds(self, dataset: str, group: str, chunk: str) -> float:
        """A training job's expected seconds: one start-up, then its methods'
        training."""
        methods = self.group_methods(dataset, group, chunk)
        return cost.COSTS.train_startup + sum(self.training_seconds(dataset, m, chunk) for m in methods)

    def evaluate_seconds(self, dataset: str, method: str, chunk: str) -> float:
        """An evaluation job's expected seconds: every member of its runs."""
        return cost.evaluate_seconds(len(self.chunk_seeds(chunk)) * self.method_specs[method]["members"])

    def aggregate_seconds(self, dataset: str, method: str, chunk: str) -> float:
        """An aggregation job's expected seconds: its members, and the subsets
        of runs that can be the DEE's reference."""
        spec, runs = self.method_specs[method], len(self.chunk_seeds(chunk))
        subsets = runs * subset_count(spec["members"]) if reference_candidate(spec) else 0
        return cost.aggregate_seconds(runs * spec["members"], subsets)

    def seconds(self, stage: str, wildcards: Mapping[str, str]) -> float:
        """The expected seconds of a run-level job of ``stage``, named by its
        wildcards (``dataset``, ``chunk``, and ``group`` for a training job,
        ``method`` for the others)."""
        d, c = wildcards["dataset"], wildcards["chunk"]
        if stage == "train":
            return self.train_seconds(d, wildcards["group"], c)
        return getattr(self, f"{stage}_seconds")(d, wildcards["method"], c)

    def chain_seconds(self, stage: str, wildcards: Mapping[str, str]) -> float:
        """The expected seconds of a run-level job and of the longest chain
        of jobs after it (a training job's: its slowest method's evaluation
        and aggregation): the priority that starts the longest chains first."""
        d, c = wildcards["dataset"], wildcards["chunk"]
        methods = self.group_methods(d, wildcards["group"], c) if stage == "train" else [wildcards["method"]]
        after = RUN_STAGES[RUN_STAGES.index(stage) + 1 :]
        rest = max(
            sum(self.seconds(s, {"dataset": d, "method": m, "chunk": c}) for s in after) for m in methods
        )
        return self.seconds(stage, wildcards) + rest

    def priority(self, stage: str, wildcards: Mapping[str, str]) -> int:
        """A run-level job's priority: :meth:`chain_seconds`, rounded."""
        return round(self.chain_seconds(stage, wildcards))

    def cluster_minutes(self, stage: str, wildcards: Mapping[str, str]) -> int:
        """The wall time a cluster job of ``stage`` requests."""
        return cost.cluster_minutes(self.seconds(stage, wildcards))

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
