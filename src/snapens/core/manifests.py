"""Manifests: what each run-level job wrote, and the check of it.

Every ``train``, ``evaluate`` and ``aggregate`` job of a chunk of runs
(:mod:`snapens.plan.chunks`) writes its per-run files into the runs' own
directories (``{root}/runs/{dataset}/{method}/seed-{seed}/``, the output
contract) and, last, its manifest
(``{root}/runs/{dataset}/{method}/chunks/seeds-{first}-{last}/{stage}.json``;
a training job, which may hold several methods:
``{root}/runs/{dataset}/training/methods-{i}-{j}/seeds-{first}-{last}.json``):
every file it wrote, with its size and SHA-256. The manifest is the job's
declared output; ``docs/manifests.md`` says why the per-run files are not.

Every later job checks the files it reads against the manifests
(:func:`check_files`), and ``make verify`` checks every manifest of a study
(:func:`audit`): a file deleted, truncated or replaced after the job that
wrote it is named, with the command that redoes that job.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterable, Sequence

from snapens.core.io import read_json, write_json

# --- manifests ----------------------------------------------------------------


def digest(path: str | Path) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def file_entry(path: str | Path) -> dict[str, int | str]:
    """A file's manifest entry: its size in bytes and its SHA-256."""
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


def check_files(
    manifests: Sequence[str | Path], run_dirs: Sequence[str | Path], names: Sequence[str] | None = None
) -> None:
    """Check, before a job reads them, the files of ``run_dirs`` that earlier
    jobs listed in ``manifests``: every listed file (or only those matching
    ``names``, glob patterns relative to the run directory) is there with the
    recorded size and SHA-256, and every run is in some manifest. Raise a
    ``ValueError`` naming every run or file that does not match and how to
    have Snakemake redo the job that wrote it."""
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
        raise ValueError(report(problems))


def audit(manifests: Iterable[str | Path]) -> dict[str, list[str]]:
    """Every problem of the files ``manifests`` list, by manifest: a missing
    manifest, or a listed file missing or not as recorded (size, SHA-256)."""
    problems: dict[str, list[str]] = {}
    for path in map(str, manifests):
        if not Path(path).is_file():
            problems[path] = [f"{path}: missing (its job has not run, or the manifest was removed)"]
            continue
        try:
            runs = read_manifest(path)["runs"]
        except ValueError as exc:
            problems[path] = [str(exc)]
            continue
        found = [
            p
            for run_dir, files in runs.items()
            for name, recorded in files.items()
            for p in _file_problems(Path(run_dir) / name, recorded)
        ]
        if found:
            problems[path] = found
    return problems


def repair_command(manifests: Iterable[str | Path], options: str = "") -> str:
    """The one Snakemake command that redoes the jobs of ``manifests`` and
    everything downstream of them (``options``: the study's own, e.g. its
    ``--configfile``)."""
    return " ".join(["snakemake", "--cores", "all", *options.split(), "--forcerun", *map(str, manifests)])


def report(problems: dict[str, list[str]], options: str = "") -> str:
    """:func:`audit`'s problems for reading, then the repair command."""
    lines = []
    for path, found in problems.items():
        lines.append(
            f"{path}: {len(found)} file(s) differ from what the job that wrote them "
            "recorded (changed or removed since):"
        )
        lines += [f"  - {problem}" for problem in found]
    lines.append(f"Redo those jobs and what depends on them with:\n  {repair_command(problems, options)}")
    if not options:
        lines.append("  (adding the study's own options, such as its --configfile)")
    return "\n".join(lines)


def verify(manifests: Sequence[str | Path], options: str = "", out=None) -> None:
    """``make verify``: :func:`audit` every manifest of a study; print how
    many match to ``out`` (default: stdout), or raise ``ValueError`` with
    :func:`report` (and the jobs that have not run yet, if any)."""
    import sys

    problems = audit(manifests)
    missing = [path for path, found in problems.items() if not Path(path).is_file()]
    changed = {path: found for path, found in problems.items() if path not in missing}
    if not problems:
        files = sum(len(files) for path in manifests for files in read_manifest(path)["runs"].values())
        print(
            f"verified {len(manifests)} manifests: all {files} files they list are as their jobs wrote them",
            file=out or sys.stdout,
            flush=True,
        )
        return
    parts = [report(changed, options)] if changed else []
    if missing:
        parts.append(
            f"{len(missing)} of {len(manifests)} jobs have not run (no manifest), e.g. "
            f"{missing[0]}: run the study"
        )
    raise ValueError("\n".join(parts))


def _file_problems(path: Path, recorded: dict) -> list[str]:
    if not path.is_file():
        return [f"{path}: missing"]
    size = path.stat().st_size
    if size != recorded.get("bytes"):
        return [f"{path}: {size} bytes, the manifest records {recorded.get('bytes')}"]
    if digest(path) != recorded.get("sha256"):
        return [f"{path}: contents changed (SHA-256 differs from the manifest's)"]
    return []
