"""Where the study writes: every path of the output contract, under one
results root (the config's ``results``, ``results`` by default).

The rules take their path patterns from a :class:`Layout`; a job finds the
root again from the paths it is given (:meth:`Layout.of_table`,
:func:`run_dirs`), never from the config, so that a workflow used as a
Snakemake module under a ``prefix`` writes where Snakemake expects.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

# the study tables, by the name the summarise stage writes them under
TABLE_FILES = {
    "runs": "runs.csv",
    "summary": "summary.csv",
    "paired": "paired_tests.csv",
    "curves": "curves.csv",
    "diversity": "diversity.csv",
    "dee": "deep_ensemble_equivalent.csv",
    "learning": "learning_curves.csv",
    "sweep": "sweep.csv",
    "limits": "limits.csv",
    "markdown": "summary.md",
    "headline": "headline.rst",
    "study": "study.json",
}
FIGURE_FORMATS = ("png", "svg")


@dataclass(frozen=True)
class Layout:
    """The output tree under ``root``; the patterns take Snakemake's wildcards."""

    root: str = "results"

    def _at(self, rel: str) -> str:
        return f"{self.root.rstrip('/')}/{rel}"

    @property
    def data(self) -> str:
        """``X_train y_train X_test y_test`` of a dataset."""
        return self._at("data/{dataset}.npz")

    @property
    def draws(self) -> str:
        """The draws of a chunk's seeds of a ``redraw: true`` dataset: a
        directory of ``seed-{seed}.npz`` (:func:`draw_file`), each the arrays of
        :attr:`data`."""
        return self._at("data/{dataset}/{chunk}")

    def data_files(self, dataset: str, chunks: Sequence[str] | None = None) -> list[str]:
        """A dataset's file (``chunks`` None), or the draw directories of ``chunks``."""
        if chunks is None:
            return [self.data.format(dataset=dataset)]
        return [self.draws.format(dataset=dataset, chunk=c) for c in chunks]

    @property
    def run(self) -> str:
        """One run's directory."""
        return self._at("runs/{dataset}/{method}/seed-{seed}")

    def run_dir(self, dataset: str, method: str, seed: int) -> str:
        """The directory of one run."""
        return self.run.format(dataset=dataset, method=method, seed=seed)

    @property
    def manifest(self) -> str:
        """The manifest of a run-level job (``stage``) of a chunk of runs."""
        return self._at("runs/{dataset}/{method}/chunks/{chunk}/{stage}.json")

    @property
    def train_manifest(self) -> str:
        """The manifest of a training job: a chunk of runs of consecutive
        methods of a dataset (``group``, :mod:`snapens.plan.chunks`)."""
        return self._at("runs/{dataset}/training/{group}/{chunk}.json")

    @property
    def tables(self) -> dict[str, str]:
        """Every study table's path, by its name in ``TABLE_FILES``."""
        return {name: self._at(f"tables/{file}") for name, file in TABLE_FILES.items()}

    @property
    def decision_grid(self) -> str:
        """Probabilities of one run per method over the plane of a 2-D dataset."""
        return self._at("tables/decision_grid_{dataset}.npz")

    def table(self, name: str) -> str:
        """A study table by name (:data:`TABLE_FILES`), or the ``decision_grid`` pattern."""
        return self.decision_grid if name == "decision_grid" else self.tables[name]

    @property
    def figure(self) -> str:
        """The pattern of a figure file (wildcards ``family``, ``dataset``, ``ext``)."""
        return self._at("figures/{family}_{dataset}.{ext}")

    def job_file(self, kind: str, rule: str, wildcards: str = "", ext: str = "log") -> str:
        """Log (``kind="logs"``) or benchmark (``kind="benchmarks"``, ``.tsv``)
        of a job: ``{root}/{kind}/{rule}/{wildcards}.{ext}``, or
        ``{root}/{kind}/{rule}.{ext}`` for a rule without wildcards."""
        return self._at(f"{kind}/{rule}/{wildcards}.{ext}" if wildcards else f"{kind}/{rule}.{ext}")

    @classmethod
    def of_table(cls, path: str | Path) -> Layout:
        """The layout a study table (``{root}/tables/{file}``) belongs to."""
        return cls(str(Path(path).parent.parent))


def as_file_list(files: str | Sequence[str]) -> list[str]:
    """A named input of a rule as a list: Snakemake gives one file as a plain string."""
    return [files] if isinstance(files, str) else list(files)


def draw_file(directory: str | Path, seed: int) -> Path:
    """Repeat ``seed``'s draw in a draw directory (:attr:`Layout.draws`)."""
    return Path(directory) / f"seed-{int(seed)}.npz"


def seed_of(run_dir: str | Path) -> int | None:
    """The seed of a run directory (``.../seed-{seed}``; ``None`` for a
    directory not named so, which only a fixed dataset's runs may be)."""
    name = Path(run_dir).name
    return int(name[5:]) if name.startswith("seed-") and name[5:].isdigit() else None


def trained_run_dirs(manifest: str | Path, method: str, seeds: Sequence[int]) -> list[Path]:
    """The run directories of ``method``'s ``seeds`` beside a training job's
    manifest (``{root}/runs/{dataset}/training/{group}/{chunk}.json``): taken
    from the path the job writes, so that a module's prefix is kept."""
    dataset_dir = Path(manifest).parents[2]
    return [dataset_dir / method / f"seed-{int(seed)}" for seed in seeds]


def run_dirs(manifest: str | Path, seeds: Sequence[int]) -> list[Path]:
    """The run directories of ``seeds`` beside a chunk's manifest
    (``{root}/runs/{dataset}/{method}/chunks/{chunk}/{stage}.json``)."""
    method_dir = Path(manifest).parents[2]
    return [method_dir / f"seed-{int(seed)}" for seed in seeds]
