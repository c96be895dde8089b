"""Datasets behind one interface: ``make_dataset(spec) -> Dataset``.

A dataset is four arrays, ``X_train y_train X_test y_test`` (features float32,
labels int64 in ``0..n_classes-1``), stored as ``results/data/{name}.npz``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from snapens.io import atomic_path

KEYS = ("X_train", "y_train", "X_test", "y_test")


@dataclass(frozen=True)
class Dataset:
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1])

    @property
    def n_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max()) + 1)

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: getattr(self, k) for k in KEYS}


def _split_first(X, y, n_train: int) -> Dataset:
    """The seed's split: the first ``n_train`` rows train, the rest test."""
    return Dataset(
        X_train=np.asarray(X[:n_train], dtype=np.float32),
        y_train=np.asarray(y[:n_train], dtype=np.int64),
        X_test=np.asarray(X[n_train:], dtype=np.float32),
        y_test=np.asarray(y[n_train:], dtype=np.int64),
    )


def _blobs(spec: dict[str, Any]) -> Dataset:
    from sklearn.datasets import make_blobs

    X, y = make_blobs(
        n_samples=spec["n_samples"],
        centers=spec["centers"],
        n_features=spec["n_features"],
        cluster_std=spec["cluster_std"],
        random_state=spec["random_state"],
    )
    return _split_first(X, y, spec["n_train"])


def _moons(spec: dict[str, Any]) -> Dataset:
    from sklearn.datasets import make_moons

    X, y = make_moons(
        n_samples=spec["n_samples"], noise=spec["noise"], random_state=spec["random_state"]
    )
    return _split_first(X, y, spec["n_train"])


def _circles(spec: dict[str, Any]) -> Dataset:
    from sklearn.datasets import make_circles

    X, y = make_circles(
        n_samples=spec["n_samples"],
        noise=spec["noise"],
        factor=spec["factor"],
        random_state=spec["random_state"],
    )
    return _split_first(X, y, spec["n_train"])


GENERATORS = {"blobs": _blobs, "moons": _moons, "circles": _circles}


def make_dataset(spec: dict[str, Any]) -> Dataset:
    """Build the dataset described by one ``datasets:`` entry of the config."""
    kind = spec["kind"]
    if kind not in GENERATORS:
        raise ValueError(f"unknown dataset kind {kind!r}; known: {', '.join(GENERATORS)}")
    data = GENERATORS[kind](spec)
    check_dataset(data, source=f"dataset kind {kind!r}")
    return data


def check_dataset(data: Dataset, source: str) -> None:
    """Raise ``ValueError`` naming ``source`` if shapes or labels are inconsistent."""
    for part in ("train", "test"):
        X, y = getattr(data, f"X_{part}"), getattr(data, f"y_{part}")
        if X.ndim != 2 or y.ndim != 1 or len(X) != len(y) or len(y) == 0:
            raise ValueError(
                f"{source}: X_{part} must be 2-D and y_{part} 1-D of the same non-zero "
                f"length, got shapes {X.shape} and {y.shape}"
            )
        if not np.all(np.isfinite(X)):
            raise ValueError(f"{source}: X_{part} contains NaN or infinite values")
        if y.min() < 0:
            raise ValueError(f"{source}: y_{part} has negative labels")
    if data.X_train.shape[1] != data.X_test.shape[1]:
        raise ValueError(
            f"{source}: train and test have {data.X_train.shape[1]} and "
            f"{data.X_test.shape[1]} features"
        )


def save_dataset(data: Dataset, path: str | Path) -> None:
    """Write the four arrays to ``path`` (``.npz``), atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **data.arrays())


def load_dataset(path: str | Path) -> Dataset:
    """Read a dataset written by :func:`save_dataset`, checking its contents."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in KEYS if k not in npz.files]
            if missing:
                raise ValueError(f"{path}: missing arrays {missing}")
            data = Dataset(**{k: npz[k] for k in KEYS})
    except (OSError, EOFError, ValueError) as exc:
        if isinstance(exc, ValueError) and str(exc).startswith(str(path)):
            raise
        raise ValueError(f"{path}: not a readable dataset file ({exc})") from exc
    check_dataset(data, source=str(path))
    return data
