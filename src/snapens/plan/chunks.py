"""Chunks of runs: how a study's runs map to jobs.

Each dataset x method's seeds are cut into chunks of ``execution.runs_per_job``
consecutive seeds (the last one may be shorter); each chunk is one ``train``,
one ``evaluate`` and one ``aggregate`` job, named ``seeds-{first}-{last}``,
whose one declared output is its manifest (:mod:`snapens.core.manifests`).
"""

from __future__ import annotations

import re
from typing import Sequence

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
