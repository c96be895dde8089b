"""Chunks of runs and their manifests: how runs map to jobs.

A study's seeds are cut, per dataset x method, into chunks of
``execution.runs_per_job`` consecutive seeds (the last one may be shorter);
each chunk is one ``train``, one ``evaluate`` and one ``aggregate`` job, named
``seeds-{first}-{last}``. The runs keep their own directories
(``results/runs/{dataset}/{method}/seed-{seed}/``, the output contract), but
Snakemake is told of one file per job only: the job's manifest,
``results/runs/{dataset}/{method}/chunks/seeds-{first}-{last}/{stage}.json``,
which lists every file the job wrote with its size and SHA-256.

That keeps Snakemake's bookkeeping per job constant (it visits every input
once per output after each job, which grows as the square of the runs a job
holds when each run's files are declared), and it lets every later job check
the files it reads: a file deleted, truncated or replaced after the job that
wrote it is named, with the manifest to delete to redo that job.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Iterable, Sequence

from snapens.io import read_json, write_json

PATTERN = re.compile(r"seeds-(\d+)-(\d+)")
WILDCARD = r"seeds-\d+-\d+"  # Snakemake's wildcard constraint of {chunk}


def chunk_name(seeds: Sequence[int]) -> str:
    """``seeds-{first}-{last}`` of a chunk of consecutive seeds."""
    return f"seeds-{seeds[0]}-{seeds[-1]}"


def split(seeds: Sequence[int], runs_per_job: int) -> dict[str, list[int]]:
    """The chunks of ``seeds`` (in order), ``runs_per_job`` seeds each, the
    last one holding the rest: ``{name: seeds}``."""
    if runs_per_job < 1:
        raise ValueError(f"runs_per_job must be at least 1, got {runs_per_job}")
    seeds = list(seeds)
    parts = [seeds[i : i + runs_per_job] for i in range(0, len(seeds), runs_per_job)]
    return {chunk_name(part): part for part in parts}


def chunk_of(seed: int, chunks: dict[str, list[int]]) -> str:
    """The name of the chunk holding ``seed``."""
    for name, seeds in chunks.items():
        if seed in seeds:
            return name
    raise KeyError(f"seed {seed} is in no chunk")


# --- manifests ----------------------------------------------------------------


def digest(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def file_entry(path: str | Path) -> dict[str, int | str]:
    path = Path(path)
    return {"bytes": path.stat().st_size, "sha256": digest(path)}


def write_manifest(path: str | Path, stage: str, runs: dict[str | Path, Iterable[str]]) -> None:
    """Write the manifest of a job of ``stage``: for each run directory, every
    file it wrote (names relative to the run directory), with size and hash.
    Written last and atomically, so it exists only for a job that finished."""
    listing = {
        str(run_dir): {name: file_entry(Path(run_dir) / name) for name in sorted(names)}
        for run_dir, names in runs.items()
    }
    write_json({"stage": stage, "runs": listing}, path)


def read_manifest(path: str | Path) -> dict:
    """A manifest, checked for its shape (a damaged one is named)."""
    manifest = read_json(path)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("runs"), dict):
        raise ValueError(f"{path}: not a job manifest (no 'runs')")
    return manifest


def check_files(manifests: Sequence[str | Path], run_dirs: Sequence[str | Path],
                names: Sequence[str] | None = None) -> None:
    """Check, before a job reads them, the files of ``run_dirs`` that earlier
    jobs listed in ``manifests``: every listed file (or only those matching
    ``names``, glob patterns relative to the run directory) is there with the
    recorded size and SHA-256, and every run is in some manifest. Raise a
    ``ValueError`` naming every run or file that does not match and the
    manifest to delete so that Snakemake redoes the job that wrote it."""
    listed: dict[str, list[tuple[str, dict]]] = {}
    for path in map(str, manifests):
        for run_dir, files in read_manifest(path)["runs"].items():
            listed.setdefault(str(Path(run_dir)), []).append((path, files))
    problems: dict[str, list[str]] = {}
    for run_dir in (str(Path(d)) for d in run_dirs):
        if run_dir not in listed:
            problems.setdefault(", ".join(map(str, manifests)), []).append(f"{run_dir}: in no manifest")
            continue
        for path, files in listed[run_dir]:
            for name, recorded in files.items():
                if names is None or any(Path(name).match(p) for p in names):
                    problems.setdefault(path, []).extend(_file_problems(Path(run_dir) / name, recorded))
    problems = {path: found for path, found in problems.items() if found}
    if problems:
        raise ValueError("\n".join(
            f"{path}: {len(found)} file(s) differ from what the job that wrote them recorded "
            "(changed or removed since); delete this manifest to have Snakemake redo that job:\n  - "
            + "\n  - ".join(found)
            for path, found in problems.items()
        ))


def _file_problems(path: Path, recorded: dict) -> list[str]:
    if not path.is_file():
        return [f"{path}: missing"]
    size = path.stat().st_size
    if size != recorded.get("bytes"):
        return [f"{path}: {size} bytes, the manifest records {recorded.get('bytes')}"]
    if digest(path) != recorded.get("sha256"):
        return [f"{path}: contents changed (SHA-256 differs from the manifest's)"]
    return []
