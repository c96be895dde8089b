"""Temperature scaling and the calibrated metrics, checked against computations
that do not share the library's code path: closed forms on hand-made rows, a
bounded minimisation over log T, and the NLL written out in numpy."""

import math

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from snapens.evaluate import calibration, ensembling, metrics

EPS = np.finfo(np.float64).eps


def softmax_rows(a):
    a = a - a.max(axis=1, keepdims=True)
    e = np.exp(a)
    return e / e.sum(axis=1, keepdims=True)


def nll_at(probs, y, T):
    """Mean NLL of softmax(log p / T), with p floored at eps, written out."""
    z = np.log(np.maximum(probs, EPS)) / T
    z = z - z.max(axis=1, keepdims=True)
    return float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(y)), y]))


def minimise_over_log_t(probs, y):
    """The NLL-optimal T by bounded Brent minimisation over log T (not a root of a derivative)."""
    res = minimize_scalar(
        lambda v: nll_at(probs, y, math.exp(v)),
        method="bounded",
        bounds=(math.log(0.01), math.log(100)),
        options={"xatol": 1e-11},
    )
    return math.exp(res.x)


def sample_labels(rng, probs):
    return np.array([rng.choice(probs.shape[1], p=p) for p in probs])


@pytest.fixture(scope="module")
def overconfident():
    """True probabilities softmax(logits); the model reports softmax(3 logits): T* = 3."""
    rng = np.random.default_rng(20240611)
    logits = rng.normal(0.0, 1.5, size=(3000, 5))
    y = sample_labels(rng, softmax_rows(logits))
    return softmax_rows(3 * logits), y, softmax_rows(logits)


def test_folds_are_even_and_odd_positions():
    even, odd = calibration.folds(5)
    assert even.tolist() == [0, 2, 4] and odd.tolist() == [1, 3]
    even, odd = calibration.folds(2)
    assert even.tolist() == [0] and odd.tolist() == [1]


def test_fit_agrees_with_an_independent_minimisation(overconfident):
    probs, y, _ = overconfident
    for start in (0, 1):  # even rows, odd rows
        p, labels = probs[start::2], y[start::2]
        T = calibration.fit_temperature(p, labels)
        assert 2.5 < T < 3.5  # over-confident by a factor 3
        assert T == pytest.approx(minimise_over_log_t(p, labels), rel=1e-6)
        # a minimum: the hand-written NLL rises on both sides
        here = nll_at(p, labels, T)
        assert here < min(nll_at(p, labels, T * (1 - 1e-4)), nll_at(p, labels, T * (1 + 1e-4)))


def test_protocol_by_hand_on_synthetic_rows(overconfident):
    probs, y, true = overconfident
    res = calibration.temperature_scaled(y, probs, ece_bins=15)
    t_even = minimise_over_log_t(probs[0::2], y[0::2])
    t_odd = minimise_over_log_t(probs[1::2], y[1::2])
    assert res["temperature_even"] == pytest.approx(t_even, rel=1e-6)
    assert res["temperature_odd"] == pytest.approx(t_odd, rel=1e-6)
    # each fold scored with the other fold's temperature
    expected_nll = (nll_at(probs[1::2], y[1::2], t_even) + nll_at(probs[0::2], y[0::2], t_odd)) / 2
    assert res["nll_calibrated"] == pytest.approx(expected_nll, rel=1e-8)
    raw = metrics.nll(y, probs)
    assert res["nll_calibrated"] < raw
    # near the NLL of the true probabilities
    assert res["nll_calibrated"] == pytest.approx(metrics.nll(y, true), rel=0.02)
    assert res["ece_calibrated"] < metrics.ece(y, probs) / 3


# Six rows, two classes. Even positions: top probability 0.9, two of three
# right. Odd positions: top probability 0.6, two of three right.
HAND = np.array([[0.9, 0.1], [0.4, 0.6], [0.1, 0.9], [0.6, 0.4], [0.9, 0.1], [0.6, 0.4]])
HAND_Y = np.array([0, 1, 1, 0, 1, 1])


def top_after(odds, T):
    """Top probability of a two-class row with odds ``odds`` after scaling by T."""
    r = odds ** (1 / T)
    return r / (1 + r)


def nll_two_of_three(q):
    """NLL of three rows of top probability q, two of them right."""
    return -(2 * math.log(q) + math.log(1 - q)) / 3


def test_two_fold_protocol_by_closed_form():
    # Every row of a fold has the same odds c and 2/3 of them are right, so the
    # optimum puts 2/3 on the top class: c**(1/T) = 2, T = log c / log 2.
    t_even, t_odd = math.log(9) / math.log(2), math.log(1.5) / math.log(2)
    q_odd = top_after(1.5, t_even)  # odd rows, scaled with the even rows' temperature
    q_even = top_after(9, t_odd)
    assert 0.5 < q_odd < q_even < 1
    # all three rows of a fold share one confidence, so one ECE bin: |2/3 - q|
    expected = {
        "nll_calibrated": (nll_two_of_three(q_odd) + nll_two_of_three(q_even)) / 2,
        "ece_calibrated": (abs(2 / 3 - q_odd) + abs(2 / 3 - q_even)) / 2,
        "temperature_even": t_even,
        "temperature_odd": t_odd,
        # each fold measured with the other fold's temperature
        "nll_calibrated_even": nll_two_of_three(q_even),
        "nll_calibrated_odd": nll_two_of_three(q_odd),
        "ece_calibrated_even": abs(2 / 3 - q_even),
        "ece_calibrated_odd": abs(2 / 3 - q_odd),
        # and with its own: the optimum puts exactly 2/3 on the top class
        "nll_calibrated_even_insample": nll_two_of_three(2 / 3),
        "nll_calibrated_odd_insample": nll_two_of_three(2 / 3),
        "ece_calibrated_even_insample": 0.0,
        "ece_calibrated_odd_insample": 0.0,
    }
    # no row's loss comes near the 13.8-nat cap: the capped values are the same
    expected |= {
        key.replace("nll_calibrated", "nll_calibrated_capped"): value
        for key, value in expected.items()
        if key.startswith("nll_calibrated")
    }
    res = calibration.temperature_scaled(HAND_Y, HAND, ece_bins=15)
    assert res == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert calibration.fit_temperature(HAND[0::2], HAND_Y[0::2]) == pytest.approx(t_even, rel=1e-10)

    # swapping each pair of neighbours swaps the folds: the temperatures trade
    # places and the means of the two folds stay
    swap = [1, 0, 3, 2, 5, 4]
    swapped = calibration.temperature_scaled(HAND_Y[swap], HAND[swap], ece_bins=15)
    assert swapped["temperature_even"] == pytest.approx(t_odd, rel=1e-9)
    assert swapped["temperature_odd"] == pytest.approx(t_even, rel=1e-9)
    assert swapped["nll_calibrated"] == pytest.approx(expected["nll_calibrated"], rel=1e-9)
    assert swapped["ece_calibrated"] == pytest.approx(expected["ece_calibrated"], rel=1e-9)


def test_identical_folds_reach_the_in_sample_optimum():
    # rows repeated in pairs: both folds hold the same three rows (odds 9, two right)
    rows, labels = HAND[[0, 0, 2, 2, 4, 4]], HAND_Y[[0, 0, 2, 2, 4, 4]]
    res = calibration.temperature_scaled(labels, rows)
    T = math.log(9) / math.log(2)
    assert res["temperature_even"] == pytest.approx(T, rel=1e-10)
    assert res["temperature_odd"] == pytest.approx(T, rel=1e-10)
    # scaled top probability 2/3 on rows two thirds right: the entropy of (2/3, 1/3), zero ECE
    assert res["nll_calibrated"] == pytest.approx(math.log(3) - 2 / 3 * math.log(2), rel=1e-10)
    assert res["ece_calibrated"] == pytest.approx(0, abs=1e-12)


def test_well_calibrated_probabilities_keep_t_near_one():
    rng = np.random.default_rng(7)
    probs = softmax_rows(rng.normal(0.0, 1.5, size=(20000, 4)))
    y = sample_labels(rng, probs)
    res = calibration.temperature_scaled(y, probs)
    assert res["temperature_even"] == pytest.approx(1, abs=0.05)
    assert res["temperature_odd"] == pytest.approx(1, abs=0.05)
    assert res["nll_calibrated"] == pytest.approx(metrics.nll(y, probs), rel=1e-3)


def test_scale():
    p = np.random.default_rng(3).dirichlet(np.ones(4), size=50)
    np.testing.assert_allclose(calibration.scale(p, 1.0), p, rtol=1e-12)
    root = np.sqrt(p)
    np.testing.assert_allclose(calibration.scale(p, 2.0), root / root.sum(axis=1, keepdims=True), rtol=1e-12)
    # a zero probability is floored at eps before the log
    np.testing.assert_allclose(
        calibration.scale(np.array([[1.0, 0.0]]), 0.5), [[1 / (1 + EPS**2), EPS**2 / (1 + EPS**2)]]
    )


def test_bounds():
    rng = np.random.default_rng(5)
    p = rng.dirichlet(np.ones(3), size=40)
    # the true class the most probable in every row: sharper is always better
    assert calibration.fit_temperature(p, p.argmax(axis=1)) == calibration.T_MIN == 0.01
    # the least probable in every row: flatter is always better
    assert calibration.fit_temperature(p, p.argmin(axis=1)) == calibration.T_MAX == 100
    # half right at one confidence: the optimum is T = infinity, so the upper bound
    assert calibration.fit_temperature(np.array([[0.9, 0.1]] * 4), np.array([0, 1, 0, 1])) == 100
    # 501 of 1000 right at odds 9: the optimum T = log 9 / logit(0.501), about 549, beyond the bound
    y = np.r_[np.zeros(501, int), np.ones(499, int)]
    assert math.log(9) / math.log(501 / 499) > 100
    assert calibration.fit_temperature(np.array([[0.9, 0.1]] * 1000), y) == 100
    # uniform rows: the NLL does not depend on T
    assert calibration.fit_temperature(np.full((6, 3), 1 / 3), np.arange(6) % 3) == 1.0


def test_needs_two_rows():
    with pytest.raises(ValueError, match="at least 2 test rows"):
        calibration.temperature_scaled(np.array([0]), np.array([[0.7, 0.3]]))
    with pytest.raises(ValueError, match="shape"):
        calibration.temperature_scaled(np.array([0, 1, 1]), np.array([[0.7, 0.3]] * 2))
    res = calibration.temperature_scaled(np.array([0, 1]), np.array([[0.7, 0.3], [0.2, 0.8]]))
    assert res["temperature_even"] == res["temperature_odd"] == 0.01  # one right row each


def test_fit_is_deterministic(overconfident):
    probs, y, _ = overconfident
    assert len({calibration.fit_temperature(probs[:500], y[:500]) for _ in range(3)}) == 1


@pytest.fixture
def matrix():
    """Five members, 60 rows: over-confident by factors 1.5 to 2.5 of the labels' logits."""
    rng = np.random.default_rng(11)
    logits = rng.normal(0.0, 2.0, size=(60, 3))
    y = sample_labels(rng, softmax_rows(logits))
    probs = np.stack(
        [
            softmax_rows(f * (logits + rng.normal(0.0, 0.3, size=logits.shape)))
            for f in (1.5, 2.0, 2.5, 2.0, 1.5)
        ]
    )
    return probs, y


def test_evaluate_has_the_calibrated_columns(matrix):
    probs, y = matrix
    out = metrics.evaluate(y, probs[0], {"ece_bins": 10, "confidence": 0.95})
    assert list(out) == [
        "accuracy",
        "nll",
        "brier",
        "ece",
        "nll_calibrated",
        "ece_calibrated",
        "nll_capped",
        "nll_calibrated_capped",
        "temperature_even",
        "temperature_odd",
        *[f"{m}_{f}" for m in ("accuracy", "nll", "brier", "ece") for f in ("even", "odd")],
        *[f"nll_calibrated_{f}" for f in ("even", "odd", "even_insample", "odd_insample")],
        *[f"ece_calibrated_{f}" for f in ("even", "odd", "even_insample", "odd_insample")],
        *[f"nll_capped_{f}" for f in ("even", "odd")],
        *[f"nll_calibrated_capped_{f}" for f in ("even", "odd", "even_insample", "odd_insample")],
    ]
    # a fold's raw metric is the metric of its rows; a fitted one is measured
    # on the fold with the other fold's temperature (or its own: insample)
    even, odd = np.arange(0, len(y), 2), np.arange(1, len(y), 2)
    assert out["accuracy_odd"] == np.mean(probs[0][odd].argmax(axis=1) == y[odd])
    assert out["nll_even"] == pytest.approx(metrics.nll(y[even], probs[0][even]), rel=1e-12)
    t_odd = calibration.fit_temperature(probs[0][odd], y[odd])
    scaled = calibration.scale(probs[0][even], t_odd)
    assert out["nll_calibrated_even"] == pytest.approx(metrics.nll(y[even], scaled), rel=1e-9)
    assert out["nll_calibrated_odd_insample"] == pytest.approx(
        metrics.nll(y[odd], calibration.scale(probs[0][odd], t_odd)), rel=1e-9
    )
    # the in-sample fit is the optimum of its own rows
    assert out["nll_calibrated_odd_insample"] <= metrics.nll(y[odd], probs[0][odd]) + 1e-12
    direct = calibration.temperature_scaled(y, probs[0], ece_bins=10)
    assert out == pytest.approx(out | direct, rel=1e-12)
    # each metric alone (of log-probabilities) gives the same value (up to
    # evaluate()'s renormalising the rows first)
    lp = np.log(probs[0])
    assert metrics.nll_calibrated(y, lp, ece_bins=10) == pytest.approx(out["nll_calibrated"], rel=1e-12)
    assert metrics.ece_calibrated(y, lp, ece_bins=10, confidence=0.95) == pytest.approx(
        out["ece_calibrated"], rel=1e-12
    )
    assert 0.01 < out["temperature_even"] < 100 and 0.01 < out["temperature_odd"] < 100  # interior
    other = metrics.evaluate(y, probs[0], {"ece_bins": 3})
    assert other["ece_calibrated"] == pytest.approx(
        calibration.temperature_scaled(y, probs[0], ece_bins=3)["ece_calibrated"], rel=1e-12
    )
    assert other["ece_calibrated"] != out["ece_calibrated"]
    assert other["temperature_even"] == out["temperature_even"]


def test_evaluate_fits_once_per_matrix(matrix, monkeypatch):
    probs, y = matrix
    scaled, fits = [], []
    real_scaled, real_fit = calibration.temperature_scaled_log, calibration._fit
    monkeypatch.setattr(
        calibration, "temperature_scaled_log", lambda *a, **k: scaled.append(1) or real_scaled(*a, **k)
    )
    monkeypatch.setattr(calibration, "_fit", lambda *a: fits.append(1) or real_fit(*a))
    metrics.evaluate(y, probs[0])
    assert (len(scaled), len(fits)) == (1, 2)  # one protocol, one fit per fold
    table = ensembling.member_table(np.log(probs), y, epochs=range(5))
    assert (len(scaled), len(fits)) == (1 + 5, 2 + 10)
    assert {"temperature_even", "temperature_odd"} <= set(table.columns)
    metrics.nll_calibrated(y, np.log(probs[0]))  # alone, without a memo: fits again
    assert len(scaled) == 7


def test_the_lean_cross_fitted_nll_is_the_full_protocols(matrix):
    probs, y = matrix
    for p in [probs[0], probs.mean(axis=0), np.where(np.arange(3) == 0, 1.0, 0.0)[None].repeat(len(y), 0)]:
        full = calibration.temperature_scaled(y, p)  # the last: all mass on class 0, clipped at eps
        lean = calibration.crossfit_nll(calibration.log_probs(p), y)
        for fold in ("even", "odd"):
            assert lean[f"nll_calibrated_{fold}"] == pytest.approx(full[f"nll_calibrated_{fold}"], rel=1e-12)


def test_a_fold_without_errors_does_not_blow_up_the_other_folds_calibrated_nll():
    # the even rows are all right (their fit runs to T -> 0, the bound 0.01); the odd
    # rows have one wrong row at p = 0.2. Scaled with T = 0.01 that row would cost
    # 100 times log(0.7 / 0.2) more: instead the bound is recorded and T = 1 applied.
    n = 100
    y = np.zeros(n, dtype=np.int64)
    probs = np.tile([0.9, 0.05, 0.05], (n, 1))
    probs[1] = [0.2, 0.7, 0.1]  # odd position: wrong
    raw_odd = -(np.log(0.2) + 49 * np.log(0.9)) / 50
    out = calibration.temperature_scaled(y, probs)
    assert out["temperature_even"] == calibration.T_MIN  # the fit, at its bound, is what the table counts
    assert out["nll_calibrated_odd"] == pytest.approx(raw_odd, rel=1e-12)  # T = 1: the rows as they are
    assert out["nll_calibrated"] < 0.1  # raw 0.07; with T = 0.01 applied it was above 0.25
    blown = -np.mean(scipy_log_softmax(np.log(probs[1::2]) / 0.01)[np.arange(50), 0])
    assert blown > 0.25
    # the odd rows' own fit is interior: the even rows are scaled with it
    assert calibration.T_MIN < out["temperature_odd"] < calibration.T_MAX


def scipy_log_softmax(z):
    from scipy.special import log_softmax

    return log_softmax(z, axis=1)
