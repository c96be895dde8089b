"""Rule ``make_dataset``: build one dataset from its config entry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from snapens.data import make_dataset as build
from snapens.data import save_dataset
from snapens.logs import log


def make_dataset(spec: dict[str, Any], out: str | Path) -> None:
    data = build(spec)
    save_dataset(data, out)
    log.info(
        "wrote %s: %d train, %d test, %d features, %d classes",
        out, len(data.y_train), len(data.y_test), data.n_features, data.n_classes,
    )
