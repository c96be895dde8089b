"""Training speed: the tutorial's ``model.fit`` way against the project's loop.

``python -m tools.bench_training`` (or ``make bench``) trains the seed configuration
(blobs, Dense(50), SGD momentum 0.9, batch 32, 500 epochs, cosine annealing
with 10 cycles, a snapshot at the end of each) in one process:

* the tutorial's way: ``model.fit`` on NumPy arrays with the test set as
  per-epoch validation data, a per-epoch learning-rate callback and a snapshot
  callback;
* the project's way: :class:`snapens.train.loop.Trainer` (lanes of models in a
  compiled loop, with and without XLA), the first runs of a process (tracing
  and compilation included) and further runs (what each run of a job costs),
  every snapshot saved as ``.keras``;
* the evaluation of those snapshots as the ``evaluate`` rule does it, per
  snapshot: reading the weights, predicting, the metrics.

It prints the time of each, the ratio, and both ways' test accuracy.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

SEED_DATA = dict(
    kind="blobs", n_samples=1100, centers=3, n_features=2, cluster_std=2.0, random_state=2, n_train=100
)
SCHEDULE = {"name": "cosine_epoch", "lr_max": 0.01}
# a core's sustained float32 rate the floor is measured against (FLOP per second)
CORE_FLOPS = 20e9


def floor_seconds(
    features: int, hidden: int, classes: int, rows: int, batch: int, epochs: int
) -> tuple[float, float]:
    """``(FLOP, seconds)`` of one run's training at :data:`CORE_FLOPS`: each
    optimizer step a forward and backward pass of its batch through the MLP,
    about 6 FLOP per weight and row (a multiply-add is 2; the backward pass
    twice the forward), the SGD update aside."""
    weights = (features + 1) * hidden + (hidden + 1) * classes
    steps = epochs * -(-rows // batch)
    flop = steps * 6 * weights * batch
    return flop, flop / CORE_FLOPS


def tutorial_way(data, seed: int, epochs: int, members: int, out: Path) -> tuple[float, float, float]:
    """(seconds, final accuracy, ensemble accuracy) the tutorial's way."""
    import keras

    from snapens.evaluate.ensembling import average
    from snapens.train.loop import SnapshotSaver
    from snapens.train.model import build_mlp
    from snapens.train.schedules import cosine_annealing, snapshot_epochs

    keras.utils.set_random_seed(seed)
    start = time.perf_counter()
    model = build_mlp(data.n_features, data.n_classes, 50, seed)
    model.compile(
        optimizer=keras.optimizers.SGD(0.01, momentum=0.9),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    lr = keras.callbacks.LearningRateScheduler(
        lambda e: float(cosine_annealing(e, epochs, members, SCHEDULE["lr_max"]))
    )
    saver = SnapshotSaver(out, snapshot_epochs("cosine_epoch", epochs, members))
    eye = np.eye(data.n_classes)
    model.fit(
        data.X_train,
        eye[data.y_train],
        validation_data=(data.X_test, eye[data.y_test]),
        epochs=epochs,
        batch_size=32,
        verbose=0,
        callbacks=[lr, saver],
    )
    seconds = time.perf_counter() - start
    probs = np.stack([keras.saving.load_model(p)(data.X_test).numpy() for p in saver.saved])
    return seconds, _acc(probs[-1], data.y_test), _acc(average(probs), data.y_test)


def project_way(trainer, data, seeds, out: Path) -> tuple[float, list[float], list[float], float]:
    """Train ``seeds`` in the trainer's lanes, saving every snapshot as
    ``.keras``: (seconds, final accuracies, ensemble accuracies, seconds
    spent saving snapshots)."""
    from snapens.evaluate.ensembling import average
    from snapens.evaluate.inference import DensePredictor
    from snapens.train.archives import ArchiveWriter
    from snapens.train.loop import train_runs
    from snapens.train.snapshots import snapshot_name

    writer, saving = ArchiveWriter(trainer.model), [0.0]
    predict = DensePredictor([("relu", True), ("softmax", True)])
    probs: dict[int, list[np.ndarray]] = {}

    def snap(run, i, epoch, weights):
        t = time.perf_counter()
        writer.save(out / f"seed-{seeds[run]}" / snapshot_name(i), weights)
        saving[0] += time.perf_counter() - t
        probs.setdefault(run, []).append(predict(weights, data.X_test))

    start = time.perf_counter()
    train_runs(trainer, seeds, trainer.spec.members, False, on_snapshot=snap)
    seconds = time.perf_counter() - start
    runs = [np.stack(probs[r]) for r in range(len(seeds))]
    return (
        seconds,
        [_acc(p[-1], data.y_test) for p in runs],
        [_acc(average(p), data.y_test) for p in runs],
        saving[0],
    )


def evaluation_way(data, run_dirs: list[Path], members: int) -> dict[str, float]:
    """Milliseconds per snapshot of evaluating the saved runs as the
    ``evaluate`` rule does: reading the weights, predicting, the metrics."""
    from snapens.evaluate.loading import SnapshotLoader
    from snapens.evaluate.metrics import evaluate
    from snapens.train.snapshots import snapshot_name

    loader, t = SnapshotLoader(), {"read": 0.0, "predict": 0.0, "metrics": 0.0}
    for run in run_dirs:
        t0 = time.perf_counter()
        predict, weights = loader.load([run / snapshot_name(i) for i in range(1, members + 1)])
        t1 = time.perf_counter()
        probs = [predict(w, data.X_test) for w in weights]
        t2 = time.perf_counter()
        for p in probs:
            evaluate(data.y_test, p, {"ece_bins": 15})
        t3 = time.perf_counter()
        t["read"] += t1 - t0
        t["predict"] += t2 - t1
        t["metrics"] += t3 - t2
    snapshots = len(run_dirs) * members
    return {k: 1000 * v / snapshots for k, v in t.items()}


def _acc(p, y) -> float:
    return float(np.mean(p.argmax(axis=1) == y))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tutorial-runs", type=int, default=2, help="seeds trained the tutorial's way")
    ap.add_argument("--project-runs", type=int, default=30, help="seeds trained the project's way")
    ap.add_argument("--epochs", type=int, default=500)
    ap.add_argument("--members", type=int, default=10)
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    from snapens.core import runtime

    runtime.configure(1)
    from snapens.data.kinds import make_dataset
    from snapens.train.loop import LANE, RunSpec, Trainer

    print(f"import and configure TensorFlow: {time.perf_counter() - t0:.2f} s")
    data = make_dataset(SEED_DATA)
    spec = RunSpec(schedule=SCHEDULE, members=args.members, epochs=args.epochs)
    seeds = list(range(1, args.project_runs + 1))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        timings, project = {}, None
        for jit in (False, True):
            t0 = time.perf_counter()
            trainer = Trainer(spec, data.X_train, data.y_train, data.n_classes, jit_compile=jit)
            first = project_way(trainer, data, seeds, tmp / f"first-{jit}")
            again = project_way(trainer, data, seeds, tmp / f"again-{jit}")
            timings[jit] = (time.perf_counter() - t0 - again[0], again[0] / len(seeds), again[3] / len(seeds))
            project = project or again
        evaluation = evaluation_way(data, [tmp / "again-False" / f"seed-{s}" for s in seeds], args.members)
        tutorial = [
            tutorial_way(data, s, args.epochs, args.members, tmp / f"t{s}")
            for s in range(1, args.tutorial_runs + 1)
        ]

    tut = statistics.median(r[0] for r in tutorial)
    print(f"\nseed configuration: {args.epochs} epochs, {args.members} snapshots, each saved as .keras")
    print(
        f"tutorial's way (model.fit + per-epoch validation), median of {len(tutorial)}: {tut:8.2f} s per run"
    )
    for jit in (False, True):
        first, steady, saving = timings[jit]
        label = "XLA-compiled loop" if jit else "graph loop, no XLA"
        print(f"project's way, {label}, {len(seeds)} runs in lanes of {LANE}:")
        print(f"  the first {len(seeds)} runs of a process (tracing/compiling included): {first:8.3f} s")
        print(
            f"  further runs, per run:  {steady:8.3f} s   ratio {tut / steady:6.1f}x   "
            f"(of which saving its {args.members} snapshots {saving:.4f} s)"
        )
    flop, floor = floor_seconds(
        data.n_features, spec.hidden_units, data.n_classes, len(data.y_train), spec.batch_size, args.epochs
    )
    print(
        f"compute floor of a run: {flop / 1e9:.3f} GFLOP, {floor * 1e3:.1f} ms at {CORE_FLOPS / 1e9:g} GFLOP/s per core; "
        f"a further run (graph loop) takes {timings[False][1] * 1e3:.1f} ms, {timings[False][1] / floor:.1f}x the floor"
    )
    print(
        "evaluation per snapshot (ms), as the evaluate rule does it: "
        + ", ".join(f"{k} {v:.2f}" for k, v in evaluation.items())
        + f"; total {sum(evaluation.values()):.2f}"
    )
    print("\ntest accuracy, final model / ensemble of all snapshots:")
    runs = {
        "tutorial's way": ([r[1] for r in tutorial], [r[2] for r in tutorial]),
        "project's way": (project[1], project[2]),
    }
    for name, (fin, ens) in runs.items():
        print(
            f"  {name:15s} n={len(fin):3d}  final {np.mean(fin):.3f} (sd {np.std(fin):.3f})"
            f"  ensemble {np.mean(ens):.3f} (sd {np.std(ens):.3f})"
        )
    print(
        "  per seed (tutorial vs project, final): "
        + ", ".join(
            f"seed {s}: {t[1]:.3f} vs {p:.3f}" for s, (t, p) in enumerate(zip(tutorial, project[1]), 1)
        )
    )


if __name__ == "__main__":
    main()
