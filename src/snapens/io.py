"""Small I/O helpers: atomic writes and stable table formatting."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Iterator

FLOAT_FORMAT = "%.10g"


@contextlib.contextmanager
def atomic_path(path: str | Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary sibling of ``path``; rename it onto ``path`` on success.

    The temporary name keeps ``path``'s suffix (Keras insists on ``.keras``), so
    a crash leaves at most a hidden ``.tmp-*`` file, never a half-written target.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_csv(df, path: str | Path) -> None:
    """Write a DataFrame as CSV with a fixed float format, atomically."""
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")


def write_text(text: str, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json(obj, path: str | Path) -> None:
    write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n", path)
