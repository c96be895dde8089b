"""A user's own data file (dataset kind ``file``): ``.npz`` or ``.csv``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from snapens.data.dataset import KEYS, Dataset, check_dataset, npz_row_counts, standardized, stratified


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
        data = Dataset(
            _numeric(arrays["X_train"], source, "X_train").astype(np.float32),
            y_all[:n],
            _numeric(arrays["X_test"], source, "X_test").astype(np.float32),
            y_all[n:],
        )
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
        raise ValueError(
            f"{source}: y must be 1-D with one label per row of X, got shapes {X.shape} and {y.shape}"
        )
    codes, _ = _encode_labels(y, source)
    if "n_train" not in spec:
        raise ValueError(f"{source}: has no train/test split, so the config needs n_train")
    return stratified(X, codes, spec["n_train"], spec.get("random_state", 0), source)


def read_file(spec: dict[str, Any]) -> Dataset:
    """A user's own data: ``.npz`` or ``.csv`` (see :func:`_read_npz`, :func:`_read_csv`)."""
    path = Path(spec["path"])
    if not path.is_file():
        raise ValueError(f"{path}: data file not found")
    readers = {".npz": _read_npz, ".csv": _read_csv}
    if path.suffix not in readers:
        raise ValueError(f"{path}: unsupported file type {path.suffix!r}; use .npz or .csv")
    data = readers[path.suffix](path, spec)
    check_dataset(data, source=str(path))
    return standardized(data) if spec.get("standardize", False) else data


def presplit(spec: dict[str, Any]) -> bool:
    """A data file that holds its own train/test split (an ``.npz`` with
    ``X_train``, ``y_train``, ``X_test`` and ``y_test``)."""
    path = Path(spec.get("path", ""))
    return path.suffix == ".npz" and set(KEYS) <= set(npz_row_counts(path))
