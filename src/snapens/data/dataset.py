"""A dataset of the study: four arrays, ``X_train y_train X_test y_test``
(features float32, labels int64 in ``0..n_classes-1``), stored as
``{results}/data/{name}.npz``; their checks, and the splits every kind shares.

The kinds of dataset (how each is made from its config entry) are the
registry :mod:`snapens.data.kinds`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from snapens.core.io import write_npz

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


def split_first(X, y, n_train: int) -> Dataset:
    """The tutorial's split: the first ``n_train`` rows train, the rest test."""
    return Dataset(
        X_train=np.asarray(X[:n_train], dtype=np.float32),
        y_train=np.asarray(y[:n_train], dtype=np.int64),
        X_test=np.asarray(X[n_train:], dtype=np.float32),
        y_test=np.asarray(y[n_train:], dtype=np.int64),
    )


def standardized(data: Dataset) -> Dataset:
    """Features scaled to zero mean, unit variance, with statistics of the training part only."""
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(data.X_train)
    return Dataset(
        X_train=scaler.transform(data.X_train).astype(np.float32),
        y_train=data.y_train,
        X_test=scaler.transform(data.X_test).astype(np.float32),
        y_test=data.y_test,
    )


def stratified(X, y, n_train: int, random_state: int, source: str) -> Dataset:
    """A Dataset of ``n_train`` training rows drawn from ``X, y`` stratified by class (the rest test); ``source`` names the data in errors."""
    from sklearn.model_selection import train_test_split

    if not 0 < n_train < len(y):
        raise ValueError(f"{source}: n_train = {n_train} must be between 1 and {len(y) - 1} (rows: {len(y)})")
    try:
        X_tr, X_te, y_tr, y_te = train_test_split(
            X, y, train_size=n_train, stratify=y, random_state=random_state
        )
    except ValueError as exc:
        raise ValueError(
            f"{source}: cannot make a stratified split with n_train = {n_train} ({exc})"
        ) from exc
    return Dataset(
        np.asarray(X_tr, np.float32),
        np.asarray(y_tr, np.int64),
        np.asarray(X_te, np.float32),
        np.asarray(y_te, np.int64),
    )


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
    if data.X_train.ndim == 2 and data.X_train.shape[1] != data.X_test.shape[1]:
        raise ValueError(
            f"{source}: train and test have {data.X_train.shape[1]} and {data.X_test.shape[1]} features"
        )


def save_dataset(data: Dataset, path: str | Path) -> None:
    """Write the four arrays to ``path`` (``.npz``), atomically."""
    write_npz(path, **data.arrays())


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


def load_draws(paths: str | Path | Sequence[str | Path], seeds: Sequence[int]) -> list[Dataset]:
    """The data of each seed's run: a dataset's one file, read once for them
    all, or (a ``redraw: true`` dataset) each seed's draw, found in the draw
    directories ``paths`` (:func:`snapens.core.paths.draw_file`)."""
    from snapens.core.paths import draw_file

    paths = [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]
    if len(paths) == 1 and not paths[0].is_dir():
        return [load_dataset(paths[0])] * len(seeds)
    out = []
    for seed in seeds:
        found = [draw_file(p, seed) for p in paths if draw_file(p, seed).exists()]
        if not found:
            raise ValueError(f"no draw of seed {seed} in {', '.join(map(str, paths))}")
        out.append(load_dataset(found[0]))
    return out


def npz_row_counts(path: str | Path) -> dict[str, int]:
    """Names of the arrays in an ``.npz`` and their lengths (rows), read from the
    arrays' headers only (the workflow asks at every start); ``ValueError``
    naming the file if it cannot be read."""
    import zipfile

    from numpy.lib import format as npy

    rows = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                with archive.open(name) as fh:
                    version = npy.read_magic(fh)
                    read = npy.read_array_header_1_0 if version == (1, 0) else npy.read_array_header_2_0
                    shape = read(fh)[0]
                rows[name.removesuffix(".npy")] = shape[0] if shape else 0
    except Exception as exc:  # zipfile and format errors differ by damage
        raise ValueError(f"{path}: not a readable .npz file ({type(exc).__name__}: {exc})") from exc
    return rows


def held_out_rows(rows: int, fraction: float) -> int:
    """Rows :func:`validation_split` holds out of ``rows`` (scikit-learn's
    ``ceil(fraction * rows)``; none for a zero fraction)."""
    return math.ceil(fraction * rows) if fraction else 0


def fit_split(y_train: np.ndarray, fraction: float):
    """Indices ``(fit, validation)`` of the training rows: all rows and none
    without a validation fraction, else :func:`validation_split`."""
    if not fraction:
        return np.arange(len(y_train)), np.array([], dtype=np.int64)
    return validation_split(y_train, fraction)


def validation_split(y_train: np.ndarray, fraction: float, random_state: int = 0):
    """Indices ``(fit, validation)`` of a stratified split of the training data.

    The validation part serves only to fit member weights; test data never do.
    """
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(y_train))
    try:
        fit, val = train_test_split(idx, test_size=fraction, stratify=y_train, random_state=random_state)
    except ValueError as exc:
        raise ValueError(
            f"validation_fraction = {fraction} of {len(y_train)} training rows cannot be split "
            f"by class ({exc})"
        ) from exc
    return np.sort(fit), np.sort(val)
