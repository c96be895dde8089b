"""A study's settings as the jobs need them: its identity (the hash of what
decides its numbers), a run's ``model`` and ``training`` sections, the seeds,
and which runs carry the DEE's subset curves (and how many subsets)."""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

# top-level config keys that decide where and how the study runs, not what it
# computes: left out of its identity (tested: they leave every table unchanged)
PLACEMENT = ("execution", "results")


def config_hash(config: dict[str, Any]) -> str:
    """First 16 hex digits of the SHA-256 of a config's canonical JSON."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def study_config(config: dict[str, Any]) -> dict[str, Any]:
    """The part of the config that decides the results: all but
    :data:`PLACEMENT` (chunking, threads and the output root)."""
    return {key: value for key, value in config.items() if key not in PLACEMENT}


def settings(config: dict[str, Any], dataset: str) -> dict[str, dict[str, Any]]:
    """``model`` and ``training`` of a dataset's runs: the study's sections
    with the dataset's own ``model`` / ``training`` keys put over them."""
    ds = config["datasets"][dataset]
    return {section: {**config[section], **ds.get(section, {})} for section in ("model", "training")}


def independent(method: dict[str, Any]) -> bool:
    """Whether a method's members are independently trained models (config
    ``ensemble: independent``) rather than snapshots of one run (the default)."""
    return method.get("ensemble", "snapshots") == "independent"


def budget_mode(method: dict[str, Any]) -> str:
    """A method's ``budget``: ``full`` (the default) or ``split``."""
    return method.get("budget", "full")


def shares_budget(method: dict[str, Any]) -> bool:
    """Whether a method's independent members share one model's epoch budget
    (``budget: split``) rather than each having it all (the default)."""
    return independent(method) and budget_mode(method) == "split"


def member_epochs(method: dict[str, Any], epochs: int) -> int:
    """Epochs each model of a method trains: the study's ``epochs``, or, for
    independent members sharing one budget (``budget: split``), their share
    ``epochs // members``."""
    return epochs // method["members"] if shares_budget(method) else epochs


def reference_candidate(method: dict[str, Any]) -> bool:
    """Whether a method's runs can be the DEE's reference, and so need its
    subset curves (raw, and calibrated with a temperature fit per subset and
    fold, the costliest part of aggregation): independent members, each with
    the full budget. Equal-cost ensembles (``budget: split``) and snapshot
    runs never are."""
    return independent(method) and not shares_budget(method)


def reference_method(methods: dict[str, dict[str, Any]]) -> str | None:
    """The DEE reference of a dataset whose study names none through
    ``baselines``: the first of its ``methods`` (name -> spec, config order)
    that can be one (:func:`reference_candidate`), so that the reference always
    has the subset curves its aggregation computed; None if none can."""
    return next((name for name, spec in methods.items() if reference_candidate(spec)), None)


SUBSETS = 512  # k-member subsets averaged per k (all of them when there are no more)


def subset_count(members: int, limit: int = SUBSETS) -> int:
    """How many k-subsets a run of ``members`` members with subset curves
    averages: at most ``limit`` for every ``k < members``
    (:func:`snapens.evaluate.ensembling.subsets`; the full ensemble is its own row)."""
    return sum(min(math.comb(members, k), limit) for k in range(1, members))


def repeats(config: dict[str, Any], dataset: str | None = None) -> int:
    """Repeats of a dataset's methods: its own ``repeats``, else the study's."""
    own = config["datasets"][dataset].get("repeats") if dataset is not None else None
    return int(own if own is not None else config["study"]["repeats"])


def seeds(config: dict[str, Any], dataset: str | None = None) -> list[int]:
    """The repeat seeds of a dataset's runs (of the study's, without one):
    ``first_seed`` onwards, so a dataset of fewer repeats has the first of
    the study's seeds."""
    first = config["study"]["first_seed"]
    return list(range(first, first + repeats(config, dataset)))
