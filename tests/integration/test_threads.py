"""TensorFlow's thread pools follow the rule's ``threads``: a one-thread job
uses one CPU, whatever the machine has (Snakemake's OMP_NUM_THREADS does not
reach TensorFlow's own pools). A measurement of CPU time against wall time:
the integration tier."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

# Train in a fresh process (pools are fixed at TensorFlow's first op) and
# report the CPU time the training used against its wall time.
CHILD = textwrap.dedent("""
    import json, resource, sys, time
    from snapens.core import runtime
    runtime.configure(int(sys.argv[1]))
    from snapens.data.kinds import make_dataset
    from snapens.train.loop import RunSpec, Trainer, train_runs
    data = make_dataset(dict(kind="blobs", n_samples=2100, centers=3, n_features=2,
                             cluster_std=2.0, random_state=2, n_train=2000))
    spec = RunSpec(schedule={"name": "cosine_epoch", "lr_max": 0.01}, members=2, epochs=40,
                   batch_size=500, hidden_units=512)
    trainer = Trainer(spec, data.X_train, data.y_train, 3, jit_compile=bool(int(sys.argv[2])), lane=2)
    train_runs(trainer, [1], 2, False)  # compile outside the measurement
    def cpu():
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime
    c0, t0 = cpu(), time.perf_counter()
    train_runs(trainer, [2, 3, 4, 5], 2, False)
    print(json.dumps({"cpu": cpu() - c0, "wall": time.perf_counter() - t0}))
""")


def cpu_per_wall(threads: int, jit: bool) -> float:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "TF_CPP_MIN_LOG_LEVEL": "2"}
    res = subprocess.run(
        [sys.executable, "-c", CHILD, str(threads), str(int(jit))],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    used = json.loads(res.stdout.strip().splitlines()[-1])
    return used["cpu"] / used["wall"]


@pytest.mark.parametrize("jit", [False, True])
def test_one_thread_job_uses_one_cpu(jit):
    # wide layers and large batches: work that TensorFlow would spread over
    # every core if its pools were left at their default size
    assert cpu_per_wall(1, jit) < 1.2


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two cores")
def test_two_thread_job_may_use_two_cpus():
    # the same work is allowed, and able, to use a second core: the check above can
    # fail (XLA's CPU code runs these ops on one thread, so the loop without it is used)
    assert cpu_per_wall(2, jit=False) > 1.2
