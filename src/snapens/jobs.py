"""The body of each workflow rule, callable without Snakemake.

Each function takes plain paths and values; ``workflow/scripts/*.py`` only
unpack the ``snakemake`` object and call one of them inside :func:`job_log`.
A job handles one or several runs (``run_dirs``, paired with ``seeds``), so
runs can be packed into one process without changing any number.
"""

from __future__ import annotations

import contextlib
import logging
import os
import platform
import sys
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np
import pandas as pd

from snapens.config import config_hash
from snapens.data import load_dataset, make_dataset, save_dataset, validation_split
from snapens.io import atomic_path, read_json, read_table, write_csv, write_json, write_text

log = logging.getLogger("snapens")

READY = "ready after %.2fs of start-up"  # parsed by snapens.bench_study

# package recorded in run.json -> the distributions that may provide it
PACKAGES = {
    "tensorflow": ("tensorflow-cpu", "tensorflow"),
    "keras": ("keras",),
    "numpy": ("numpy",),
    "scikit-learn": ("scikit-learn",),
    "scipy": ("scipy",),
    "pandas": ("pandas",),
    "snakemake": ("snakemake",),
}


def since_process_start() -> float:
    """Seconds since this process was created (interpreter, imports and all)."""
    import psutil

    return time.time() - psutil.Process().create_time()


def ready() -> None:
    """Log how long the job took to get ready for its real work (interpreter,
    imports, thread set-up, reading the data): the start-up that packing runs
    into one process pays once."""
    log.info(READY, since_process_start())


@contextlib.contextmanager
def job_log(path: str | os.PathLike | None) -> Iterator[None]:
    """Send this process's output (Python logging, stdout, stderr and the C++
    libraries' messages) to ``path``; on failure, also print the error to the
    console so that it is seen without opening the log."""
    if path is None:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
        yield
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    console = os.fdopen(os.dup(2), "w")
    with open(path, "w") as fh:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(fh.fileno(), 1)
        os.dup2(fh.fileno(), 2)
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr,
            force=True,
        )
        log.info("job process up after %.2fs", since_process_start())
        try:
            yield
        except Exception as exc:
            log.exception("job failed")
            print(f"error: {exc}  (details in {path})", file=console, flush=True)
            raise


def run_dirs(files: str | Sequence[str]) -> list[Path]:
    """Run directories of one output file per run (a single path or a list)."""
    files = [files] if isinstance(files, (str, os.PathLike)) else list(files)
    return [Path(f).parent for f in files]


def versions() -> dict[str, str]:
    """Python's and the study's packages' versions (``"missing"`` if not installed)."""
    found = {"python": platform.python_version()}
    for name, dists in PACKAGES.items():
        found[name] = "missing"
        for dist in dists:
            with contextlib.suppress(metadata.PackageNotFoundError):
                found[name] = metadata.version(dist)
                break
    return found


def make_data(spec: dict[str, Any], out: str | Path) -> None:
    data = make_dataset(spec)
    save_dataset(data, out)
    log.info(
        "wrote %s: %d train, %d test, %d features, %d classes",
        out, len(data.y_train), len(data.y_test), data.n_features, data.n_classes,
    )


def train(
    data_path: str | Path,
    run_dirs: Sequence[str | Path],
    seeds: Sequence[int],
    run_config: dict[str, Any],
    threads: int = 1,
) -> None:
    """Train every seed's run and write its snapshots, ``training.csv`` and ``run.json``.

    ``run_config`` holds ``dataset``, ``method``, ``method_config``, ``training``
    and ``model`` (the resolved config of these runs, recorded in ``run.json``).
    """
    from snapens import runtime

    runtime.configure(threads)
    from snapens.training import RunSpec, Trainer, save_model, snapshot_name, train_independent

    data = load_dataset(data_path)
    method, tr = run_config["method_config"], run_config["training"]
    independent = method.get("ensemble", "snapshots") == "independent"
    spec = RunSpec(
        schedule=dict(method["schedule"]),
        members=1 if independent else method["members"],
        epochs=tr["epochs"],
        batch_size=tr["batch_size"],
        momentum=tr["momentum"],
        hidden_units=run_config["model"]["hidden_units"],
    )
    fit_idx, val_idx = np.arange(len(data.y_train)), np.array([], dtype=np.int64)
    if method.get("validation_fraction", 0):
        fit_idx, val_idx = validation_split(data.y_train, method["validation_fraction"])
    trainer = Trainer(spec, data.X_train[fit_idx], data.y_train[fit_idx], data.n_classes,
                      tr.get("jit_compile", True))
    label = f"{run_config['dataset']}/{run_config['method']}"
    ready()
    for seed, run_dir in zip(seeds, run_dirs, strict=True):
        run_dir = Path(run_dir)
        snap_dir = run_dir / "snapshots"
        snap_dir.mkdir(parents=True, exist_ok=True)
        started = datetime.now(timezone.utc)
        t0 = time.perf_counter()

        def save(i, epoch, model):
            save_model(model, snap_dir / snapshot_name(i))

        if independent:
            result = train_independent(trainer, seed, method["members"], on_member=save)
        else:
            result = trainer.run(seed, on_snapshot=save)
        write_csv(pd.DataFrame(result.history), run_dir / "training.csv")
        wall = time.perf_counter() - t0
        write_json(
            {
                "dataset": run_config["dataset"],
                "method": run_config["method"],
                "seed": int(seed),
                "config": run_config,
                "config_sha256": config_hash(run_config),
                "snapshot_epochs": result.snapshot_epochs,
                "train_rows": len(fit_idx),
                "validation_rows": val_idx.tolist(),
                "train_seconds": round(result.train_seconds, 4),
                "wall_seconds": round(wall, 4),
                "started": started.isoformat(),
                "finished": datetime.now(timezone.utc).isoformat(),
                "threads": threads,
                "versions": versions(),
                "platform": platform.platform(),
            },
            run_dir / "run.json",
        )
        h = result.history
        log.info(
            "%s seed %d: %d epoch(s) of training in %.2fs, final train loss %.4f accuracy %.3f, "
            "members after epochs %s",
            label, seed, len(h["epoch"]), result.train_seconds, h["loss"][-1], h["accuracy"][-1],
            ",".join(str(e) for e in result.snapshot_epochs),
        )


def _snapshot_files(run_dir: Path, expected: int) -> list[Path]:
    files = sorted((run_dir / "snapshots").glob("snapshot-*.keras"))
    if len(files) != expected:
        raise ValueError(
            f"{run_dir / 'snapshots'}: expected {expected} snapshots (from run.json), found {len(files)}"
        )
    return files


def load_snapshots(files: Sequence[Path]):
    """``(model, weights)``: the first snapshot loaded with ``keras.saving.load_model``
    and every snapshot's weights (the others only have their weights read, which
    costs half as much; a test loads every snapshot alone with ``load_model``)."""
    import keras

    model, weights = None, []
    for f in files:
        try:
            if model is None:
                model = keras.saving.load_model(f, compile=False)
            else:
                model.load_weights(f)
        except Exception as exc:  # Keras raises many types for a bad archive
            raise ValueError(f"{f}: cannot load snapshot ({type(exc).__name__}: {exc})") from exc
        weights.append(model.get_weights())
    return model, weights


def predict(model, weights, X: np.ndarray) -> np.ndarray:
    """Class probabilities of ``model`` with ``weights`` on ``X``."""
    model.set_weights(weights)
    return np.asarray(model(X, training=False))


def predict_snapshots(files: Sequence[Path], X: np.ndarray) -> np.ndarray:
    """Every snapshot's probabilities on ``X``: ``(members, samples, classes)``."""
    model, weights = load_snapshots(files)
    return np.stack([predict(model, w, X) for w in weights])


def evaluate(data_path, run_dirs: Sequence[str | Path], ece_bins: int = 15, threads: int = 1) -> None:
    """Per run: every snapshot's test probabilities, ``members.csv``, and
    ``averaged.csv`` (the weight-averaged model of a snapshot run; empty for
    independently trained members, whose weights cannot be averaged)."""
    from snapens import runtime

    runtime.configure(threads)
    from snapens.ensembling import average_weights, member_table
    from snapens.metrics import evaluate as metrics_of

    data = load_dataset(data_path)
    ready()
    for run_dir in map(Path, run_dirs):
        meta = read_json(run_dir / "run.json")
        epochs = meta["snapshot_epochs"]
        model, weights = load_snapshots(_snapshot_files(run_dir, len(epochs)))
        probs = np.stack([predict(model, w, data.X_test) for w in weights])
        arrays = {"probs": probs, "epochs": np.asarray(epochs), "y_test": data.y_test}
        val = np.asarray(meta.get("validation_rows", []), dtype=np.int64)
        if len(val):  # held-out training rows, for fitting member weights only
            arrays["val_probs"] = np.stack([predict(model, w, data.X_train[val]) for w in weights])
            arrays["y_val"] = data.y_train[val]
        averaged = pd.DataFrame(columns=["model", "accuracy", "nll", "brier", "ece"])
        if meta["config"]["method_config"].get("ensemble", "snapshots") == "snapshots":
            arrays["swa_probs"] = predict(model, average_weights(weights), data.X_test)
            averaged = pd.DataFrame([{"model": "swa", **metrics_of(data.y_test, arrays["swa_probs"], ece_bins)}])
        with atomic_path(run_dir / "probabilities.npz") as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, **arrays)
        table = member_table(probs, data.y_test, epochs, ece_bins)
        write_csv(table, run_dir / "members.csv")
        write_csv(averaged, run_dir / "averaged.csv")
        log.info("%s: %d members, accuracy %s%s", run_dir, len(table),
                 " ".join(f"{a:.3f}" for a in table["accuracy"]),
                 f"; weight average {averaged['accuracy'].iloc[0]:.3f}" if len(averaged) else "")


def load_probabilities(path: str | Path, y_test: np.ndarray) -> np.ndarray:
    """Member probabilities from ``probabilities.npz``, checked against the test labels."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            probs = npz["probs"]
            epochs = npz["epochs"] if "epochs" in npz.files else None
    except (OSError, KeyError, ValueError, EOFError) as exc:
        raise ValueError(f"{path}: not a readable probabilities file ({exc})") from exc
    if epochs is not None and probs.ndim == 3 and len(epochs) != probs.shape[0]:
        raise ValueError(f"{path}: {probs.shape[0]} members' probabilities for {len(epochs)} snapshot epochs")
    if probs.ndim != 3 or probs.shape[1] != len(y_test) or probs.shape[2] <= int(y_test.max()):
        raise ValueError(
            f"{path}: probabilities have shape {probs.shape}, expected (members, {len(y_test)}, "
            f">{int(y_test.max())})"
        )
    if not np.all(np.isfinite(probs)) or np.any(probs < 0):
        raise ValueError(f"{path}: probabilities contain negative, NaN or infinite values")
    if not np.allclose(probs.sum(axis=-1), 1, atol=1e-4):
        raise ValueError(f"{path}: probabilities of a sample do not sum to 1")
    return probs


def aggregate(data_path, run_dirs: Sequence[str | Path], ece_bins: int = 15) -> None:
    """Per run: ``ensemble.csv`` (the last-k ensembles for k = 1..M),
    ``diversity.csv`` (disagreement and correlation of every pair of members)
    and ``weighted.csv`` (the full ensemble with member weights fitted on the
    run's validation rows; empty for runs trained without a validation split)."""
    from snapens.ensembling import diversity_table, fit_weights, last_k_table, weighted_average
    from snapens.metrics import evaluate as metrics_of

    y = load_dataset(data_path).y_test
    ready()
    for run_dir in map(Path, run_dirs):
        path = run_dir / "probabilities.npz"
        probs = load_probabilities(path, y)
        table = last_k_table(probs, y, ece_bins)
        write_csv(table, run_dir / "ensemble.csv")
        write_csv(diversity_table(probs), run_dir / "diversity.csv")
        weighted = pd.DataFrame(columns=["model", "accuracy", "nll", "brier", "ece", "weights"])
        with np.load(path) as npz:
            val = (npz["val_probs"], npz["y_val"]) if "val_probs" in npz.files else None
        if val is not None:
            w = fit_weights(*val)
            weighted = pd.DataFrame([{"model": "weighted", **metrics_of(y, weighted_average(probs, w), ece_bins),
                                      "weights": " ".join(f"{x:.6f}" for x in w)}])
        write_csv(weighted, run_dir / "weighted.csv")
        full = table.iloc[-1]
        log.info("%s: final %.3f, ensemble of %d %.3f%s", run_dir, table["accuracy"].iloc[0],
                 int(full["k"]), full["accuracy"],
                 f", weighted {weighted['accuracy'].iloc[0]:.3f}" if len(weighted) else "")


# the columns of each per-run table that the study tables use
RUN_TABLES = {
    "members": ("member", "epoch", "accuracy", "nll", "brier", "ece"),
    "ensemble": ("k", "accuracy", "nll", "brier", "ece", "vote_accuracy"),
    "averaged": ("model", "accuracy", "nll", "brier", "ece"),
    "diversity": ("i", "j", "disagreement", "correlation"),
    "training": ("epoch", "lr", "loss", "accuracy"),
    "weighted": ("model", "accuracy", "nll", "brier", "ece", "weights"),
}


def summarise(
    runs: Sequence[tuple[str, str, int, str | Path]],
    outputs: dict[str, str | Path],
    confidence: float,
    title: str,
    independent: dict[str, str] | None = None,
    study: dict[str, Any] | None = None,
) -> None:
    """Study tables from every run: ``runs``, ``summary`` (+ markdown), ``paired``,
    ``curves``, ``diversity`` and ``dee`` (deep ensemble equivalents against the
    method named for each dataset in ``independent``). ``study`` (the resolved
    config without ``execution``) is written with its hash to ``outputs["study"]``
    and the hash is quoted in the markdown and headline."""
    from snapens import tables
    from snapens.config import config_hash

    ready()

    def read(run_dir, method):
        members = study["methods"][method]["members"] if study else None
        return {
            name: read_table(Path(run_dir) / f"{name}.csv", RUN_TABLES[name], rows)
            for name, rows in (("members", members), ("ensemble", members), ("averaged", None),
                               ("diversity", members and members**2), ("training", None),
                               ("weighted", None))
        }

    records = [(ds, m, seed, read(d, m)) for ds, m, seed, d in runs]
    run_df = pd.DataFrame([
        tables.run_row(ds, m, seed, t["members"], t["ensemble"], t["averaged"], t["diversity"],
                       t["weighted"])
        for ds, m, seed, t in records
    ])
    summary = tables.summary_table(run_df, confidence)
    paired_df = tables.paired_table(run_df, confidence)
    write_csv(run_df, outputs["runs"])
    write_csv(summary, outputs["summary"])
    write_csv(paired_df, outputs["paired"])
    curves = tables.curve_table(
        ((ds, m, seed, t["members"], t["ensemble"]) for ds, m, seed, t in records), confidence
    )
    write_csv(curves, outputs["curves"])
    write_csv(
        tables.learning_curve_table((ds, m, seed, t["training"]) for ds, m, seed, t in records),
        outputs["learning"],
    )
    dee = tables.dee_table(run_df, curves, independent or {}, confidence)
    write_csv(dee, outputs["dee"])
    write_csv(
        tables.diversity_summary((ds, m, seed, t["diversity"]) for ds, m, seed, t in records),
        outputs["diversity"],
    )
    digest = config_hash(study) if study is not None else None
    if study is not None and "study" in outputs:
        write_json({"config_sha256": digest, "runs": len(run_df), "config": study}, outputs["study"])
    write_text(tables.summary_markdown(summary, paired_df, confidence, title, dee, digest), outputs["markdown"])
    write_text(tables.headline_rst(summary, paired_df, confidence, digest), outputs["headline"])
    log.info("summarised %d runs of %d dataset x method pairs", len(run_df), len(summary))


def decision_regions(data_path, runs: dict[str, str | Path], out_stem: str | Path,
                     title: str, resolution: int = 200, threads: int = 1) -> None:
    """Figure: decision regions of the final model and of the full ensemble of
    one run per method (``runs`` maps a method to its run directory)."""
    from snapens import runtime

    runtime.configure(threads)
    from snapens.ensembling import average
    from snapens.plotting import decision_regions as draw
    from snapens.plotting import save

    data = load_dataset(data_path)
    ready()
    if data.n_features != 2:
        raise ValueError(f"{data_path}: decision regions need 2 features, found {data.n_features}")
    X = np.concatenate([data.X_train, data.X_test])
    pad = 0.05 * (X.max(axis=0) - X.min(axis=0))
    axes = [np.linspace(lo, hi, resolution) for lo, hi in zip(X.min(axis=0) - pad, X.max(axis=0) + pad)]
    gx, gy = np.meshgrid(*axes)
    grid = np.column_stack([gx.ravel(), gy.ravel()]).astype(np.float32)
    panels = {}
    for method, run_dir in runs.items():
        run_dir = Path(run_dir)
        meta = read_json(run_dir / "run.json")
        probs = predict_snapshots(_snapshot_files(run_dir, len(meta["snapshot_epochs"])), grid)
        panels[f"{method}: final model"] = probs[-1]
        panels[f"{method}: ensemble of {len(probs)}"] = average(probs)
    save(draw(data.X_test, data.y_test, gx, gy, panels, title), out_stem)
