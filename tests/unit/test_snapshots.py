"""Snapshot files are taken in member order (their parsed index), also past 99:
``snapshot-100.keras`` sorts before ``snapshot-11.keras`` as a string."""

import json

import numpy as np
import pandas as pd
import pytest

from snapens.data.dataset import save_dataset
from snapens.data.kinds import make_dataset
from snapens.train.snapshots import snapshot_files, snapshot_name


def touch(directory, *names):
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        (directory / name).write_bytes(b"")


def test_files_come_in_index_order_past_99(tmp_path):
    touch(tmp_path / "snapshots", *(snapshot_name(i) for i in range(1, 101)))
    files = snapshot_files(tmp_path, 100)
    assert [f.name for f in files[9:12]] == ["snapshot-10.keras", "snapshot-11.keras", "snapshot-12.keras"]
    assert files[-1].name == "snapshot-100.keras"
    assert sorted(f.name for f in files)[10] == "snapshot-100.keras"  # string order: after snapshot-10


def test_missing_extra_and_duplicated_snapshots_are_named(tmp_path):
    touch(tmp_path / "snapshots", "snapshot-01.keras", "snapshot-03.keras", "snapshot-04.keras")
    with pytest.raises(
        ValueError,
        match=r"expected 3 snapshots .* missing snapshot-02.keras; "
        r"unexpected snapshot-04.keras",
    ):
        snapshot_files(tmp_path, 3)
    touch(tmp_path / "snapshots", "snapshot-02.keras", "snapshot-2.keras")
    with pytest.raises(ValueError, match="the same index twice: snapshot-02.keras, snapshot-2.keras"):
        snapshot_files(tmp_path, 4)


@pytest.mark.slow
def test_a_run_of_100_one_epoch_cycles_keeps_its_members_in_order(tmp_path, tf_runtime):
    """Train 100 one-epoch cycles, evaluate and aggregate: members.csv pairs each
    epoch with its own snapshot and k = 1 is the final model."""
    import keras

    from snapens.evaluate.rule_aggregate import aggregate
    from snapens.evaluate.rule_evaluate import evaluate
    from snapens.train.rule_train import train

    data = make_dataset(
        dict(
            kind="blobs", n_samples=260, centers=3, n_features=2, cluster_std=2.0, random_state=2, n_train=60
        )
    )
    save_dataset(data, tmp_path / "data.npz")
    run = tmp_path / "run"
    config = {
        "dataset": "blobs",
        "method": "many",
        "dataset_config": {},
        "method_config": {
            "members": 100,
            "ensemble": "snapshots",
            "schedule": {"name": "cosine_epoch", "lr_max": 0.05},
        },
        "training": {"epochs": 100, "batch_size": 32, "momentum": 0.9, "jit_compile": False},
        "model": {"hidden_units": 8},
    }
    train(tmp_path / "data.npz", [run], [3], config)
    evaluate(tmp_path / "data.npz", [run], {"ece_bins": 15})
    aggregate(tmp_path / "data.npz", [run], {"ece_bins": 15})

    assert json.loads((run / "run.json").read_text())["snapshot_epochs"] == list(range(100))
    members = pd.read_csv(run / "members.csv")
    assert list(members["member"]) == list(range(1, 101)) and list(members["epoch"]) == list(range(100))
    with np.load(run / "probabilities.npz") as npz:
        probs = npz["probs"]
    for i in (1, 10, 11, 99, 100):  # each member's row is the prediction of its own file
        model = keras.saving.load_model(run / "snapshots" / snapshot_name(i))
        np.testing.assert_allclose(probs[i - 1], np.asarray(model(data.X_test)), rtol=1e-6, atol=1e-7)
    assert not np.allclose(probs[99], probs[10])  # the members differ: the check above can fail
    ensemble = pd.read_csv(run / "ensemble.csv")
    assert ensemble["nll"].iloc[0] == members["nll"].iloc[-1]  # k = 1 is the final model


def _saved(model, path):
    from snapens.train.loop import save_model

    return save_model(model, path)


def _reference(files, X):
    """Each snapshot loaded alone with ``load_model`` and called eagerly."""
    import keras

    models = [keras.saving.load_model(f, compile=False) for f in files]
    return [m.get_weights() for m in models], np.stack([np.asarray(m(X, training=False)) for m in models])


@pytest.mark.parametrize("through_keras", [False, True])
def test_weights_read_are_those_keras_loads(tmp_path, tf_runtime, blobs, through_keras):
    """Three MLPs of different seeds: the loader reads (without Keras, or
    through Keras) the weights that loading each snapshot alone gives; through
    Keras the compiled forward pass gives the same bits as calling each."""
    from snapens.evaluate.inference import DensePredictor
    from snapens.evaluate.loading import Predictor, SnapshotLoader, load_snapshots
    from snapens.train.model import build_mlp

    files = [_saved(build_mlp(2, 3, 5, seed), tmp_path / snapshot_name(seed)) for seed in (1, 2, 3)]
    expected_weights, expected_probs = _reference(files, blobs.X_test)
    if through_keras:
        model, weights = load_snapshots(files)
        predict = Predictor(model)
    else:
        predict, weights = SnapshotLoader().load(files)
        assert isinstance(predict, DensePredictor)
    for got, want in zip(weights, expected_weights, strict=True):
        assert all(np.array_equal(g, w) for g, w in zip(got, want, strict=True))
    probs = np.stack([predict(w, blobs.X_test) for w in weights])
    if through_keras:
        assert np.array_equal(probs, expected_probs)
    else:  # float64 in NumPy against Keras's float32: equal to its rounding
        np.testing.assert_allclose(probs, expected_probs, rtol=1e-5, atol=1e-6)
    assert not np.array_equal(probs[0], probs[1])


def test_models_with_non_trainable_weights_fall_back_to_keras(tmp_path, tf_runtime, blobs):
    """A batch-normalised model (non-trainable moving statistics) is predicted
    through ``set_weights``; weights and probabilities equal loading each
    snapshot alone."""
    import keras

    from snapens.evaluate.loading import Predictor, SnapshotLoader, load_snapshots

    files = []
    for seed in (1, 2):
        keras.utils.set_random_seed(seed)
        model = keras.Sequential(
            [
                keras.Input(shape=(2,)),
                keras.layers.Dense(4),
                keras.layers.BatchNormalization(),
                keras.layers.Dense(3, activation="softmax"),
            ]
        )
        model.layers[1].moving_mean.assign(np.full(4, 0.1 * seed, dtype=np.float32))
        files.append(_saved(model, tmp_path / snapshot_name(seed)))
    expected_weights, expected_probs = _reference(files, blobs.X_test)
    model, weights = load_snapshots(files)
    for got, want in zip(weights, expected_weights, strict=True):
        assert all(np.array_equal(g, w) for g, w in zip(got, want, strict=True))
    predict = Predictor(model)
    assert np.array_equal(np.stack([predict(w, blobs.X_test) for w in weights]), expected_probs)
    predict, weights = SnapshotLoader().load(files)  # not a Dense stack: the loader goes through Keras
    assert isinstance(predict, Predictor)
    assert np.array_equal(np.stack([predict(w, blobs.X_test) for w in weights]), expected_probs)


@pytest.mark.parametrize("through_keras", [False, True])
def test_a_snapshot_of_another_architecture_is_named(tmp_path, tf_runtime, through_keras):
    from snapens.evaluate.loading import SnapshotLoader, load_snapshots
    from snapens.train.model import build_mlp

    files = [
        _saved(build_mlp(2, 3, 5, 1), tmp_path / snapshot_name(1)),
        _saved(build_mlp(2, 3, 7, 1), tmp_path / snapshot_name(2)),
    ]
    with pytest.raises(ValueError, match="snapshot-02.keras: cannot load snapshot"):
        load_snapshots(files) if through_keras else SnapshotLoader().load(files)
