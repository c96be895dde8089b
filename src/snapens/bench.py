"""Training speed: the tutorial's ``model.fit`` way against the project's loop.

``python -m snapens.bench`` (or ``make bench``) trains the seed configuration
(blobs, Dense(50), SGD momentum 0.9, batch 32, 500 epochs, cosine annealing
with 10 cycles, a snapshot at the end of each) in one process:

* the tutorial's way: ``model.fit`` on NumPy arrays with the test set as
  per-epoch validation data, a per-epoch learning-rate callback and a snapshot
  callback;
* the project's way: :class:`snapens.training.Trainer` (compiled loop), first
  run of the process (tracing and XLA compilation included) and further runs
  (what each packed run of the study costs).

It prints the time of each, the ratio, and both ways' test accuracy.
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

SEED_DATA = dict(kind="blobs", n_samples=1100, centers=3, n_features=2, cluster_std=2.0,
                 random_state=2, n_train=100)
SCHEDULE = {"name": "cosine_epoch", "lr_max": 0.01}


def tutorial_way(data, seed: int, epochs: int, members: int, out: Path) -> tuple[float, float, float]:
    """(seconds, final accuracy, ensemble accuracy) the tutorial's way."""
    import keras

    from snapens.ensembling import average
    from snapens.model import build_mlp
    from snapens.schedules import cosine_annealing, snapshot_epochs
    from snapens.training import SnapshotSaver

    keras.utils.set_random_seed(seed)
    start = time.perf_counter()
    model = build_mlp(data.n_features, data.n_classes, 50, seed)
    model.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    lr = keras.callbacks.LearningRateScheduler(
        lambda e: float(cosine_annealing(e, epochs, members, SCHEDULE["lr_max"])))
    saver = SnapshotSaver(out, snapshot_epochs("cosine_epoch", epochs, members))
    eye = np.eye(data.n_classes)
    model.fit(data.X_train, eye[data.y_train], validation_data=(data.X_test, eye[data.y_test]),
              epochs=epochs, batch_size=32, verbose=0, callbacks=[lr, saver])
    seconds = time.perf_counter() - start
    probs = np.stack([keras.saving.load_model(p)(data.X_test).numpy() for p in saver.saved])
    return seconds, _acc(probs[-1], data.y_test), _acc(average(probs), data.y_test)


def project_way(trainer, data, seed: int, out: Path) -> tuple[float, float, float, float]:
    """(seconds, final accuracy, ensemble accuracy, seconds spent saving snapshots)."""
    from snapens.ensembling import average
    from snapens.snapshots import snapshot_name
    from snapens.training import save_model

    probs, saving = [], [0.0]

    def snap(i, epoch, model):
        t = time.perf_counter()
        save_model(model, out / snapshot_name(i))
        saving[0] += time.perf_counter() - t
        probs.append(model(data.X_test).numpy())

    start = time.perf_counter()
    trainer.run(seed, on_snapshot=snap)
    seconds = time.perf_counter() - start
    probs = np.stack(probs)
    return seconds, _acc(probs[-1], data.y_test), _acc(average(probs), data.y_test), saving[0]


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
    from snapens import runtime

    runtime.configure(1)
    from snapens.data import make_dataset
    from snapens.training import RunSpec, Trainer

    print(f"import and configure TensorFlow: {time.perf_counter() - t0:.2f} s")
    data = make_dataset(SEED_DATA)
    spec = RunSpec(schedule=SCHEDULE, members=args.members, epochs=args.epochs)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        project, timings = {}, {}
        for jit in (True, False):
            t0 = time.perf_counter()
            trainer = Trainer(spec, data.X_train, data.y_train, data.n_classes, jit_compile=jit)
            build = time.perf_counter() - t0
            n = args.project_runs if jit else min(args.project_runs, 3)
            runs = [project_way(trainer, data, s, tmp / f"p{jit}{s}") for s in range(1, n + 1)]
            project[jit] = runs
            timings[jit] = (build + runs[0][0],
                            statistics.median(r[0] for r in runs[1:]) if n > 1 else math.nan,
                            statistics.median(r[3] for r in runs))
        tutorial = [tutorial_way(data, s, args.epochs, args.members, tmp / f"t{s}")
                    for s in range(1, args.tutorial_runs + 1)]

    tut = statistics.median(r[0] for r in tutorial)
    print(f"\nseed configuration: {args.epochs} epochs, {args.members} snapshots, each saved as .keras")
    print(f"tutorial's way (model.fit + per-epoch validation), median of {len(tutorial)}: "
          f"{tut:8.2f} s per run")
    for jit in (True, False):
        first, steady, saving = timings[jit]
        label = "XLA-compiled loop" if jit else "graph loop, no XLA (TensorFlow already warm)"
        print(f"project's way, {label}:")
        print(f"  first run in a process (tracing/compiling included): {first:8.3f} s   "
              f"ratio {tut / first:6.1f}x")
        print(f"  each further run (as in packed jobs), median:        {steady:8.3f} s   "
              f"ratio {tut / steady:6.1f}x   (of which saving snapshots {saving:.3f} s)")
    project = project[True]
    print("\ntest accuracy, final model / ensemble of all snapshots:")
    for name, runs in (("tutorial's way", tutorial), ("project's way", project)):
        fin = [r[1] for r in runs]
        ens = [r[2] for r in runs]
        print(f"  {name:15s} n={len(runs):3d}  final {np.mean(fin):.3f} (sd {np.std(fin):.3f})"
              f"  ensemble {np.mean(ens):.3f} (sd {np.std(ens):.3f})")
    print("  per seed (tutorial vs project, final): " + ", ".join(
        f"seed {s}: {t[1]:.3f} vs {p[1]:.3f}" for s, (t, p) in enumerate(zip(tutorial, project), 1)))


if __name__ == "__main__":
    main()
