"""A lane step with TensorFlow's oneDNN kernels on and off, per model size.

``python -m tools.bench_lanes`` (or ``make bench-lanes``) trains a full lane
of :data:`~snapens.train.lanes.LANE` models of each of the study's MLP sizes
(the tutorial's 2-50-3, MNIST-1D's 40-100-10, MNIST's 784-16-10) on random
data for a few epochs, once in a process started with
``TF_ENABLE_ONEDNN_OPTS=1`` and once with ``0``, one thread each. It prints
the milliseconds per lane step (the median of three timed lanes, after one
untimed lane that traces the loop) and whether the two settings trained the
same bits (a hash of every model's final weights).

With ``--widths 32 64 128 256`` it measures instead, with the kernels on, a
lane of each width: the milliseconds per lane step and the microseconds per
model step (the step is overhead-bound while the second falls as the lane
widens), and whether the lane's first 32 models (seeds 0-31, at the same
positions) end with the bits of the first width's lane (another shape may
round differently).

``snapens.core.runtime.configure`` turns the kernels on unless the user set
the variable; TensorFlow's x86 builds turn them on by default only on Intel
CPUs, so the default that this measures against is the CPU's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

SIZES = {
    "tutorial (2-50-3)": (2, 50, 3),
    "MNIST-1D (40-100-10)": (40, 100, 10),
    "MNIST (784-16-10)": (784, 16, 10),
}

CHILD = """
import hashlib, json, statistics, sys, time
import numpy as np
from snapens.core import runtime
runtime.configure(1)
from snapens.train.lanes import LANE, Model
from snapens.train.loop import RunSpec, Trainer
features, hidden, classes, rows, epochs, width = map(int, sys.argv[1:])
rng = np.random.default_rng(0)
X, y = rng.normal(size=(rows, features)).astype(np.float32), rng.integers(0, classes, rows)
spec = RunSpec({"name": "cosine_epoch", "lr_max": 0.1}, members=1, epochs=epochs, hidden_units=hidden)
trainer = Trainer(spec, X, y, classes, jit_compile=False, lane=width)
models = [Model(i, 1, i, i) for i in range(width)]
final = {}
trainer.train(models[:1])
times = []
for _ in range(3):
    start = time.perf_counter()
    trainer.train(models, on_snapshot=lambda m, i, e, w: final.__setitem__(m.seed, w))
    times.append(time.perf_counter() - start)
digest = hashlib.sha256(b"".join(w.tobytes() for s in sorted(final)[:LANE] for w in final[s])).hexdigest()[:12]
steps = epochs * trainer.budget.steps_per_epoch
print(json.dumps({"ms": 1000 * statistics.median(times) / steps, "weights": digest}))
"""


def measure(size: tuple[int, int, int], onednn: str, rows: int, epochs: int, width: int = 32) -> dict:
    env = os.environ | {"TF_ENABLE_ONEDNN_OPTS": onednn, "TF_CPP_MIN_LOG_LEVEL": "3"}
    args = [str(v) for v in (*size, rows, epochs, width)]
    res = subprocess.run([sys.executable, "-c", CHILD, *args], capture_output=True, text=True, env=env)
    if res.returncode:
        raise SystemExit(res.stderr)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=4000, help="training rows (125 steps per epoch)")
    ap.add_argument("--epochs", type=int, default=10, help="epochs per timed lane")
    ap.add_argument("--widths", type=int, nargs="*", help="lane widths to compare (oneDNN on)")
    args = ap.parse_args(argv)
    if args.widths:
        return widths(args)
    print("| MLP | ms per lane step, oneDNN off | on | off / on | same weights |")
    print("|---|---:|---:|---:|---|")
    for name, size in SIZES.items():
        off, on = (measure(size, flag, args.rows, args.epochs) for flag in ("0", "1"))
        same = "yes" if off["weights"] == on["weights"] else "no"
        print(f"| {name} | {off['ms']:.3f} | {on['ms']:.3f} | {off['ms'] / on['ms']:.2f} | {same} |")


def widths(args) -> None:
    """The ``--widths`` table (see the module's docstring)."""
    print(
        f"| MLP | lane width | ms per lane step | us per model step | first 32 models as in the lane of {args.widths[0]} |"
    )
    print("|---|---:|---:|---:|---|")
    for name, size in SIZES.items():
        base = None
        for width in args.widths:
            got = measure(size, "1", args.rows, args.epochs, width)
            base = base or got["weights"]
            same = "yes" if got["weights"] == base else "no"
            print(
                f"| {name} | {width} | {got['ms']:.3f} | {1000 * got['ms'] / width:.1f} | {same} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
