"""The body of rule ``make_dataset``: one dataset from its config entry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from snapens.core.logs import log
from snapens.data.dataset import save_dataset
from snapens.data.kinds import make_dataset as build


def draw_datasets(spec: dict[str, Any], out: str | Path, seeds) -> None:
    """The draws of ``seeds`` of a ``redraw: true`` dataset, one file each in
    the directory ``out`` (:func:`snapens.core.paths.draw_file`)."""
    from snapens.core.paths import draw_file

    for seed in seeds:
        make_dataset(spec, draw_file(out, seed), seed=seed)


def make_dataset(
    spec: dict[str, Any], out: str | Path, source: str | Path | None = None, seed: int | None = None
) -> None:
    """Build the dataset of ``spec`` and write it to ``out``; ``source``: the
    data file of a ``file`` dataset as the rule declares it (its path in the
    config, or that path under a module's prefix); ``seed``: the repeat whose
    draw this is (a ``redraw: true`` dataset)."""
    data = build({**spec, "path": str(source)} if source is not None else spec, seed)
    save_dataset(data, out)
    log.info(
        "wrote %s: %d train, %d test, %d features, %d classes",
        out,
        len(data.y_train),
        len(data.y_test),
        data.n_features,
        data.n_classes,
    )
