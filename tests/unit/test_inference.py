"""NumPy inference of Dense stacks: against a hand computation, and against
Keras's own forward pass of the loaded snapshot."""

import math

import numpy as np
import pytest

from snapens.evaluate.inference import DensePredictor


def by_hand(weights, x):
    """The MLP's probabilities for one row with Python floats and math.fsum."""
    W1, b1, W2, b2 = (np.asarray(w, dtype=np.float64).tolist() for w in weights)
    hidden = [max(0.0, math.fsum([*(x[i] * W1[i][j] for i in range(len(x))), b1[j]])) for j in range(len(b1))]
    logits = [math.fsum([*(hidden[j] * W2[j][k] for j in range(len(hidden))), b2[k]]) for k in range(len(b2))]
    top = max(logits)
    e = [math.exp(z - top) for z in logits]
    total = math.fsum(e)
    return [v / total for v in e]


def test_probabilities_are_the_hand_computed_ones():
    rng = np.random.default_rng(3)
    weights = [rng.normal(size=(2, 4)), rng.normal(size=4), rng.normal(size=(4, 3)), rng.normal(size=3)]
    weights = [w.astype(np.float32) for w in weights]
    X = rng.normal(size=(20, 2)).astype(np.float32)
    probs = DensePredictor([("relu", True), ("softmax", True)])(weights, X)
    assert probs.dtype == np.float32
    for row, got in zip(X.tolist(), probs):
        # float64 throughout, then rounded once to float32
        np.testing.assert_array_equal(got, np.asarray(by_hand(weights, row), dtype=np.float32))


def test_a_unit_with_every_input_negative_is_switched_off_by_relu():
    weights = [
        np.array([[1.0, -1.0]], np.float32),
        np.zeros(2, np.float32),
        np.array([[1.0, 0.0], [0.0, 1.0]], np.float32),
        np.zeros(2, np.float32),
    ]
    probs = DensePredictor([("relu", True), ("softmax", True)])(weights, np.array([[2.0]], np.float32))
    # hidden (2, 0), logits (2, 0): softmax = (e^2, 1) / (e^2 + 1)
    np.testing.assert_allclose(probs[0], [math.e**2 / (math.e**2 + 1), 1 / (math.e**2 + 1)], rtol=1e-7)


def test_wrong_number_of_weight_arrays_is_refused():
    with pytest.raises(ValueError, match="3 weight arrays for 2 Dense layers"):
        DensePredictor([("relu", True), ("softmax", True)])([np.zeros((2, 2))] * 3, np.zeros((1, 2)))


def test_agrees_with_keras_on_the_loaded_snapshot(tf_runtime, tmp_path, blobs):
    """Keras computes in float32: agreement to its rounding, the same predicted
    classes, and the check can fail (another snapshot's weights differ)."""
    import keras

    from snapens.evaluate.loading import SnapshotLoader
    from snapens.train.loop import save_model
    from snapens.train.model import build_mlp
    from snapens.train.snapshots import snapshot_name

    files = []
    for seed in (1, 2):
        model = build_mlp(2, 3, 50, seed)
        model.set_weights([w * 3 for w in model.get_weights()])  # confident, like a trained model
        files.append(save_model(model, tmp_path / snapshot_name(seed)))
    predict, weights = SnapshotLoader().load(files)
    assert isinstance(predict, DensePredictor)
    for file, w in zip(files, weights):
        expected = np.asarray(keras.saving.load_model(file)(blobs.X_test))
        got = predict(w, blobs.X_test)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
        assert np.array_equal(got.argmax(axis=1), expected.argmax(axis=1))
    assert not np.allclose(predict(weights[0], blobs.X_test), predict(weights[1], blobs.X_test), atol=1e-3)
