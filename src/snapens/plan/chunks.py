"""Chunks of runs: how a study's runs map to jobs.

Each dataset x method's seeds are cut into chunks of ``execution.runs_per_job``
consecutive seeds (the last one may be shorter); each chunk is one ``train``,
one ``evaluate`` and one ``aggregate`` job, named ``seeds-{first}-{last}``,
whose one declared output is its manifest (:mod:`snapens.core.manifests`).

A training job holds a chunk of several methods of one dataset: consecutive
methods (in the dataset's order) packed while their expected training
seconds stay within ``execution.train_job_seconds`` (:func:`pack`), so that
TensorFlow starts once for them; the job is named ``methods-{first}-{last}``
by the 1-based positions of its methods in the dataset's list.
"""

from __future__ import annotations

import re
from typing import Sequence

PATTERN = re.compile(r"seeds-(\d+)-(\d+)")
WILDCARD = r"seeds-\d+-\d+"  # Snakemake's wildcard constraint of {chunk}
GROUP_WILDCARD = r"methods-\d+-\d+"  # ... and of a training job's methods, {group}


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


def group_name(first: int, last: int) -> str:
    """``methods-{first}-{last}``: the methods at these 1-based positions."""
    return f"methods-{first}-{last}"


def pack(seconds: Sequence[float], limit: float) -> list[tuple[int, int]]:
    """Consecutive items of expected ``seconds`` in groups whose sum stays
    within ``limit`` (an item above it alone; ``limit`` 0: one item per
    group), in order: ``(first, last)`` 0-based positions, inclusive."""
    groups: list[tuple[int, int]] = []
    total = 0.0
    for i, s in enumerate(seconds):
        if groups and limit > 0 and total + s <= limit:
            groups[-1] = (groups[-1][0], i)
            total += s
        else:
            groups.append((i, i))
            total = s
    return groups
