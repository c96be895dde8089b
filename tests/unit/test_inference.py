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


def _confidently_wrong(margin: float):
    """A linear softmax model whose logits are ``(margin * x, 0)`` for input x:
    on the row x = 1 with true class 1 it gives the true class log-probability
    ``-log(1 + e**margin)``, i.e. an NLL just above ``margin`` nats."""
    weights = [np.array([[margin, 0.0]], np.float32), np.zeros(2, np.float32)]
    return DensePredictor([("softmax", True)]), weights


def test_a_confidently_wrong_member_costs_its_full_nll_not_the_floor():
    from snapens.evaluate import ensemble_table, metrics

    # rows x = 1 (true class 1, wrong by 50 nats) and x = -1 (true class 1, right)
    X, y = np.array([[1.0], [-1.0]], np.float32), np.array([1, 1])
    predict, weights = _confidently_wrong(50.0)
    probs, log_probs = predict.both(weights, X)
    # by hand: log p(class 1 | x=1) = -log(1 + e^50) = -(50 + log1p(e^-50))
    wrong = 50.0 + math.log1p(math.exp(-50.0))
    right = math.log1p(math.exp(-50.0))  # x = -1: logits (-50, 0)
    assert log_probs[0, 1] == pytest.approx(-wrong, rel=1e-15)
    assert wrong > 40
    expected = (wrong + right) / 2  # the mean over both rows
    values = metrics.evaluate(y, log_probs=log_probs)
    assert values["nll"] == pytest.approx(expected, rel=1e-15)
    assert values["nll_even"] == pytest.approx(wrong, rel=1e-15)  # the wrong row is the even fold
    # from probabilities alone the row is floored at eps: ~36.04 nats, the cap this replaced
    floored = metrics.evaluate(y, probs)
    assert floored["nll_even"] == pytest.approx(-math.log(np.finfo(np.float64).eps), rel=1e-12)

    # an ensemble of two such members (margins 50 and 60): log of the mean
    # probability, by hand: -log((e^-50 + e^-60) / 2) for the wrong row
    other = _confidently_wrong(60.0)[1]
    stack = np.stack([log_probs, predict.log_probs(other, X)])
    table = ensemble_table.last_k_table(stack, y, subset_curves=True)
    by_hand = -(-50.0 + math.log((1 + math.exp(-10.0)) / 2))
    assert table["nll_even"].iloc[-1] == pytest.approx(by_hand, rel=1e-12)
    assert table["nll_even"].iloc[0] == pytest.approx(60.0 + math.log1p(math.exp(-60.0)), rel=1e-15)
    # the subset curve at k = 1: the members' mean NLL on that row
    assert table["subset_nll_even"].iloc[0] == pytest.approx((wrong + 60.0) / 2, rel=1e-12)


def test_log_mix_recovers_mixtures_too_far_apart_to_share_an_exponent():
    from snapens.evaluate.ensembling import log_mix

    # member 0 at -1, member 1 at -2000 nats: the mixture of member 1 alone
    # underflows against the maximum and is recomputed exactly
    lp = np.array([[-1.0], [-2000.0]])
    out = log_mix(np.array([[0.5, 0.5], [0.0, 1.0]]), lp)
    assert out[0, 0] == pytest.approx(-1.0 + math.log(0.5), rel=1e-15)
    assert out[1, 0] == -2000.0


def test_a_diverged_model_predicts_its_rows_uniformly_and_they_are_counted():
    from snapens.evaluate.rule_evaluate import finite_outputs
    from snapens.evaluate.scores import uniform_where_nonfinite

    lp = np.array([[np.nan, 0.0, -1.0], [-0.1, -2.5, -3.0], [np.inf, -1.0, -1.0], [-np.inf] * 3])
    clean, bad = uniform_where_nonfinite(lp)
    assert bad.tolist() == [True, False, True, True]
    np.testing.assert_array_equal(clean[1], lp[1])
    assert np.all(clean[[0, 2, 3]] == -math.log(3))
    # weights that diverged in training (NaN) give every row 1/3, log 3 nats each
    predict = DensePredictor([("relu", True), ("softmax", True)])
    weights = [
        np.full((2, 4), np.nan, np.float32),
        np.zeros(4, np.float32),
        np.ones((4, 3), np.float32),
        np.zeros(3, np.float32),
    ]
    with np.errstate(invalid="ignore"):
        p, lp, n = finite_outputs(predict, weights, np.ones((5, 2), np.float32))
    assert n == 5 and p.dtype == np.float32 and np.all(p == np.float32(1 / 3)) and np.all(lp == -math.log(3))
