"""Small I/O helpers: atomic writes and stable table formatting."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Iterator

FLOAT_FORMAT = "%.10g"


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary sibling of ``path``; rename it onto ``path`` on success.

    The temporary name keeps ``path``'s suffix (Keras insists on ``.keras``), so
    a crash leaves at most a hidden ``.tmp-*`` file, never a half-written target;
    the next write of ``path`` removes such leftovers.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".tmp-*-{path.name}"):  # left by a killed job
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()
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


def write_npz(path: str | Path, **arrays) -> None:
    """Write NumPy arrays to an ``.npz`` file, atomically."""
    import numpy as np

    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)


def write_text(text: str, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json(obj, path: str | Path) -> None:
    write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n", path)


def read_json(path: str | Path) -> dict:
    """A JSON file written by a job; a missing or malformed one is named."""
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise ValueError(f"{path}: missing") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from exc


def read_table(path: str | Path, columns: tuple[str, ...] = (), rows: int | None = None):
    """A CSV table written by a job, checked: readable, with ``columns`` and
    (if given) exactly ``rows`` rows. A damaged table fails here, naming the
    file, instead of giving wrong numbers downstream."""
    import pandas as pd

    path = Path(path)
    try:
        df = pd.read_csv(path)
    except FileNotFoundError:
        raise ValueError(f"{path}: missing") from None
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not a readable CSV table ({type(exc).__name__}: {exc})") from exc
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: column(s) {', '.join(missing)} missing (found {', '.join(df.columns)})")
    if rows is not None and len(df) != rows:
        raise ValueError(f"{path}: {len(df)} rows, expected {rows}")
    return df
