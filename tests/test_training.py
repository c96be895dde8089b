"""The compiled training loop: seed formula, snapshots, reproducibility, and
equivalence with Keras' own ``model.fit``."""

import numpy as np
import pytest

from snapens.schedules import Budget, learning_rates

COSINE = {"name": "cosine_epoch", "lr_max": 0.01}


@pytest.fixture(scope="module")
def training(tf_runtime):
    from snapens import training

    return training


def small_spec(training, **kw):
    return training.RunSpec(**{"schedule": COSINE, "members": 4, "epochs": 20, "hidden_units": 16, **kw})


def test_lr_history_and_snapshot_epochs(training, blobs):
    spec = small_spec(training)
    seen = []
    trainer = training.Trainer(spec, blobs.X_train, blobs.y_train, 3, jit_compile=False)
    res = trainer.run(3, on_snapshot=lambda i, e, m: seen.append((i, e)))
    assert seen == [(1, 4), (2, 9), (3, 14), (4, 19)]
    assert res.snapshot_epochs == [4, 9, 14, 19]
    expected = learning_rates(COSINE, Budget(20, 4, 4), per="epoch")
    np.testing.assert_allclose(res.history["lr"], expected, rtol=1e-6)
    assert len(res.history["loss"]) == 20 and np.all(np.isfinite(res.history["loss"]))


@pytest.mark.parametrize("jit", [False, True])
def test_runs_do_not_depend_on_earlier_runs_in_the_process(training, blobs, jit):
    spec = small_spec(training)

    def weights_after(trainer, seed):
        out = {}
        trainer.run(seed, on_snapshot=lambda i, e, m: out.setdefault(i, m.get_weights()))
        return out

    packed = training.Trainer(spec, blobs.X_train, blobs.y_train, 3, jit_compile=jit)
    first = weights_after(packed, 1)
    second = weights_after(packed, 2)
    again = weights_after(packed, 1)
    alone = weights_after(training.Trainer(spec, blobs.X_train, blobs.y_train, 3, jit_compile=jit), 2)
    for i in first:
        for a, b in zip(first[i], again[i]):
            np.testing.assert_array_equal(a, b)
        for a, b in zip(second[i], alone[i]):
            np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[4][0], second[4][0])


def test_independent_members_are_separate_full_runs(training, blobs):
    from snapens.model import member_seed

    spec = training.RunSpec(schedule={"name": "step_decay", "lr": 0.01, "factor": 0.1,
                                      "milestones": [0.5, 0.75]}, members=1, epochs=8, hidden_units=8)
    trainer = training.Trainer(spec, blobs.X_train, blobs.y_train, 3, jit_compile=False)
    finals = {}
    res = training.train_independent(trainer, 11, 3, on_member=lambda j, e, m: finals.setdefault(j, m.get_weights()))
    assert res.snapshot_epochs == [7, 7, 7]
    assert list(res.history["member"]) == [1] * 8 + [2] * 8 + [3] * 8
    assert len({member_seed(11, j) for j in (1, 2, 3)}) == 3
    alone = {}
    trainer.run(member_seed(11, 2), on_snapshot=lambda i, e, m: alone.setdefault(i, m.get_weights()))
    for a, b in zip(finals[2], alone[1]):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(finals[1][0], finals[2][0])


def test_same_algorithm_as_model_fit(training, blobs):
    """Same initial weights, batch order and schedule: the compiled loop and
    ``model.fit`` reach the same weights and report the same epoch losses."""
    import keras

    from snapens.model import build_mlp
    from snapens.schedules import keras_schedule

    epochs, n = 6, len(blobs.y_train)
    spec = small_spec(training, epochs=epochs, members=2)
    trainer = training.Trainer(spec, blobs.X_train, blobs.y_train, 3, jit_compile=False)
    trainer.reset(5)
    orders = np.tile(np.arange(n, dtype=np.int32), (epochs, 1))  # fit(shuffle=False) order
    _, loss, acc = (t.numpy() for t in trainer.loop(orders))

    model = build_mlp(2, 3, spec.hidden_units, 5)
    model.compile(
        optimizer=keras.optimizers.SGD(keras_schedule(COSINE, trainer.budget), momentum=0.9),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    hist = model.fit(blobs.X_train, np.eye(3)[blobs.y_train], batch_size=32, epochs=epochs,
                     shuffle=False, verbose=0)
    for a, b in zip(trainer.model.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(loss, hist.history["loss"], rtol=1e-5)
    np.testing.assert_allclose(acc, hist.history["accuracy"], atol=1e-6)


def test_snapshot_saver_in_model_fit(training, blobs, tmp_path):
    import keras

    from snapens.model import build_mlp

    keras.utils.set_random_seed(0)  # fit's shuffling needs a seed under op determinism
    model = build_mlp(2, 3, 8, 0)
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    saver = training.SnapshotSaver(tmp_path / "snaps", [1, 3])
    model.fit(blobs.X_train, np.eye(3)[blobs.y_train], epochs=4, verbose=0, callbacks=[saver])
    names = sorted(p.name for p in (tmp_path / "snaps").iterdir())
    assert names == ["snapshot-01.keras", "snapshot-02.keras"]
    loaded = keras.saving.load_model(tmp_path / "snaps" / "snapshot-02.keras")
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)  # the last snapshot is the final model here


@pytest.mark.slow
def test_bench_runs_end_to_end():
    import subprocess
    import sys

    res = subprocess.run(
        [sys.executable, "-m", "snapens.bench", "--tutorial-runs", "1", "--project-runs", "2",
         "--epochs", "10", "--members", "2"],
        capture_output=True, text=True, timeout=600,
    )
    assert res.returncode == 0, res.stderr
    assert "tutorial's way" in res.stdout and "ratio" in res.stdout
