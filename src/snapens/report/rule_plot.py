"""The body of every rule ``plot_{family}``: one figure of a registered family, from its tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from snapens.core.logs import log, log_startup


def read_input(path: str | Path):
    """A figure's input: a CSV table as a DataFrame, an ``.npz`` as a dict of
    arrays, a ``.json`` file (``study.json``) as what it holds."""
    import json

    import numpy as np

    from snapens.core.io import read_table

    path = Path(path)
    if path.suffix == ".json":
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ValueError(f"{path}: not a readable JSON file ({type(exc).__name__}: {exc})") from exc
    if path.suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as npz:
                return {k: npz[k] for k in npz.files}
        except Exception as exc:
            raise ValueError(f"{path}: not a readable .npz file ({type(exc).__name__}: {exc})") from exc
    return read_table(path)


def plot(
    family: str, inputs: dict[str, str | Path], dataset: str, params: dict[str, Any], out_stem: str | Path
) -> None:
    """Draw ``family`` for ``dataset``, check its layout
    (:func:`snapens.report.layout.check`) and write ``out_stem.png`` and ``.svg``."""
    # every module of drawing functions (figures.DRAWING_MODULES), imported
    # here so that the plot rules list them as library inputs
    # (snapens.plan.sources reads imports, not the registry's names)
    from snapens.report import dee, frontier, members, runs, sweeps  # noqa: F401
    from snapens.report.figures import FAMILIES
    from snapens.report.layout import check
    from snapens.report.style import save

    draw = FAMILIES[family].draw_function()
    tables = {name: read_input(path) for name, path in inputs.items()}
    log_startup()
    fig = draw(dataset, **tables, **params)
    check(fig, f"{family}_{dataset}")  # overlapping texts, empty axes, too wide: logged (an error if strict)
    save(fig, out_stem)
    log.info("drew %s for %s", family, dataset)
