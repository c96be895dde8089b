"""The compiled training loop: seed formula, snapshots, reproducibility, and
equivalence with Keras' own ``model.fit``."""

import numpy as np
import pytest

from snapens.train.lanes import LANE
from snapens.train.schedules import Budget, learning_rates

COSINE = {"name": "cosine_epoch", "lr_max": 0.01}


@pytest.fixture(scope="module")
def training(tf_runtime):
    from snapens.train import loop as training

    return training


def small_spec(training, **kw):
    return training.RunSpec(**{"schedule": COSINE, "members": 4, "epochs": 20, "hidden_units": 16, **kw})


def snapshots_of(training, trainer, seeds, members=4, independent=False):
    """{(seed, i): weights} of every snapshot, and {seed: RunResult}."""
    snaps, results = {}, {}
    training.train_runs(
        trainer,
        seeds,
        members,
        independent,
        on_snapshot=lambda r, i, e, w: snaps.__setitem__((seeds[r], i), w),
        on_run=lambda r, res: results.__setitem__(seeds[r], res),
    )
    return snaps, results


def same(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_initial_weights_are_those_of_the_built_model(training):
    from snapens.train.model import build_mlp, initial_weights

    for seed in (0, 7, 123456):
        assert same(build_mlp(3, 4, 6, seed).get_weights(), initial_weights(3, 4, 6, seed))


def test_lr_history_and_snapshot_epochs(training, blobs):
    spec = small_spec(training)
    seen = []
    trainer = training.Trainer(spec, blobs.X_train, blobs.y_train, 3, jit_compile=False)
    training.train_runs(
        trainer,
        [3],
        4,
        False,
        on_snapshot=lambda r, i, e, w: seen.append((r, i, e)),
        on_run=lambda r, res: seen.append(res),
    )
    *snaps, res = seen
    assert snaps == [(0, 1, 4), (0, 2, 9), (0, 3, 14), (0, 4, 19)]
    assert res.snapshot_epochs == [4, 9, 14, 19]
    expected = learning_rates(COSINE, Budget(20, 4, 4), per="epoch")
    np.testing.assert_allclose(res.history["lr"], expected, rtol=1e-6)
    assert len(res.history["loss"]) == 20 and np.all(np.isfinite(res.history["loss"]))
    assert res.history["loss"][-1] < res.history["loss"][0]  # it learns


@pytest.mark.parametrize("jit", [False, True])
def test_a_run_does_not_depend_on_the_runs_it_shares_a_job_with(training, blobs, jit):
    """Seed 3 alone, among seeds 1-5, after other runs in the same process, and
    in lanes of 4 where seeds 2-5 span two lanes: the same bits at every
    snapshot; other seeds give other weights."""
    spec = small_spec(training)
    trainer = training.Trainer(spec, blobs.X_train, blobs.y_train, 3, jit_compile=jit)
    together, _ = snapshots_of(training, trainer, [1, 2, 3, 4, 5])
    alone, _ = snapshots_of(
        training, training.Trainer(spec, blobs.X_train, blobs.y_train, 3, jit_compile=jit), [3]
    )
    after, _ = snapshots_of(training, trainer, [3])  # the same trainer, after the five runs
    narrow = training.Trainer(spec, blobs.X_train, blobs.y_train, 3, jit_compile=jit, lane=4)
    spanning, _ = snapshots_of(training, narrow, [2, 3, 4, 5])  # slots 2, 3 | 4, 5: two lanes
    spanning_alone, _ = snapshots_of(training, narrow, [5])
    for i in range(1, 5):
        assert same(together[(3, i)], alone[(3, i)]) and same(after[(3, i)], alone[(3, i)])
        assert same(spanning[(5, i)], spanning_alone[(5, i)])
    assert not np.array_equal(together[(4, 4)][0], together[(3, 4)][0])
    # another lane width is another position in another shape: close, not necessarily the same bits
    for a, b in zip(spanning[(3, 4)], together[(3, 4)]):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4)


def test_independent_members_are_separate_full_runs(training, blobs):
    from snapens.train.model import member_seed

    spec = training.RunSpec(
        schedule={"name": "step_decay", "lr": 0.01, "factor": 0.1, "milestones": [0.5, 0.75]},
        members=1,
        epochs=8,
        hidden_units=8,
    )
    trainer = training.Trainer(spec, blobs.X_train, blobs.y_train, 3, jit_compile=False)
    finals, results = snapshots_of(training, trainer, [11], members=3, independent=True)
    res = results[11]
    assert res.snapshot_epochs == [7, 7, 7]
    assert list(res.history["member"]) == [1] * 8 + [2] * 8 + [3] * 8
    assert len({member_seed(11, j) for j in (1, 2, 3)}) == 3
    alone = {}  # member 2 as a model of its own, in its slot (11 * 3 + 1)
    trainer.train(
        [training.Model(0, 2, member_seed(11, 2), 34)], on_snapshot=lambda m, i, e, w: alone.setdefault(i, w)
    )
    assert same(finals[(11, 2)], alone[1])
    assert not np.array_equal(finals[(11, 1)][0], finals[(11, 2)][0])
    with pytest.raises(ValueError, match="two models in slot"):
        trainer.train([training.Model(0, 1, 1, 5), training.Model(1, 1, 2, 5)])


@pytest.fixture(scope="module")
def fit_reference(training, blobs):
    """A lane trainer (lr 0.01, 6 epochs, 2 members) and ``model.fit``'s
    training of the model of seed 5 under the same spec, in
    ``fit(shuffle=False)`` order: final weights and epoch losses and accuracies."""
    import keras

    from snapens.train.model import build_mlp
    from snapens.train.schedules import keras_schedule

    spec = small_spec(training, epochs=6, members=2)
    trainer = training.Trainer(spec, blobs.X_train, blobs.y_train, 3, jit_compile=False)
    model = build_mlp(2, 3, spec.hidden_units, 5)
    model.compile(
        optimizer=keras.optimizers.SGD(keras_schedule(COSINE, trainer.budget), momentum=0.9),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    hist = model.fit(
        blobs.X_train, np.eye(3)[blobs.y_train], batch_size=32, epochs=spec.epochs, shuffle=False, verbose=0
    )
    return trainer, model.get_weights(), hist.history


@pytest.mark.parametrize("pos", [0, LANE // 2, LANE - 1], ids=["first", "middle", "last"])
def test_same_algorithm_as_model_fit(training, blobs, fit_reference, pos):
    """Same initial weights, batch order and schedule: a model trained at
    lane position ``pos`` (first, middle, last) and by ``model.fit`` reach the
    same weights and report the same epoch losses and accuracies."""
    trainer, weights, history = fit_reference
    orders = trainer.reset({pos: training.Model(0, 1, 5, pos)})
    orders[:, pos] = np.arange(len(blobs.y_train), dtype=np.int32)  # fit(shuffle=False) order
    _, loss, acc = (t.numpy() for t in trainer.loop(orders))
    for a, b in zip([v.numpy()[pos] for v in trainer.variables], weights, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(loss[:, pos], history["loss"], rtol=1e-5)
    np.testing.assert_allclose(acc[:, pos], history["accuracy"], atol=1e-6)


def test_snapshot_saver_in_model_fit(training, blobs, tmp_path):
    import keras

    from snapens.train.model import build_mlp

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


def test_xla_and_graph_mode_train_on_the_same_rows(training, blobs):
    """100 rows in batches of 32 leave a last batch of 4 in every epoch: with
    and without XLA a model reaches the same weights (to float rounding), so
    both take each epoch's batches from that epoch's order."""
    spec = small_spec(training, epochs=4)
    graph, _ = snapshots_of(training, training.Trainer(spec, blobs.X_train, blobs.y_train, 3, False), [2])
    xla, _ = snapshots_of(training, training.Trainer(spec, blobs.X_train, blobs.y_train, 3, True), [2])
    for key in graph:
        for a, b in zip(graph[key], xla[key], strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_runs_with_their_own_draws_train_on_their_own_data(training, blobs):
    """Per-run data (a dataset redrawn per repeat): a run given the shared data
    as its draw gets the same bits as with the shared data; a run given other
    data does not, and its result is that of a trainer built on that data."""
    spec = small_spec(training)
    X, y = blobs.X_train, blobs.y_train
    rng = np.random.default_rng(0)
    X_other, y_other = (X + rng.normal(0, 1, X.shape)).astype(X.dtype), y[rng.permutation(len(y))]
    shared, _ = snapshots_of(training, training.Trainer(spec, X, y, 3, False), [1, 2])
    drawn = training.Trainer(spec, X, y, 3, False, draws=[(X, y), (X_other, y_other)])
    own, _ = snapshots_of(training, drawn, [1, 2])
    alone, _ = snapshots_of(training, training.Trainer(spec, X_other, y_other, 3, False), [2])
    for i in (1, 2, 3, 4):
        assert same(own[1, i], shared[1, i])
        assert not same(own[2, i], shared[2, i])
        assert same(own[2, i], alone[2, i])
    with pytest.raises(ValueError, match="a draw of shape"):
        training.Trainer(spec, X, y, 3, False, draws=[(X[:50], y[:50])])
