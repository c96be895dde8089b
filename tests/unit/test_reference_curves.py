"""The DEE reference's subset curves (snapens.evaluate.reference_curves) are
written with the digits of the direct computation (a temperature fitted by
brentq per subset and fold, ensembling.subset_calibrated_nll), on data built
to strain the fast fit: confidently wrong rows, probabilities of exactly 0,
a temperature at the end of the search, uniform rows, large and weak logits,
two and ten classes, sampled subsets. Each subset's fast value is within its
stated bound of the direct one, and the fallback gives the direct values."""

import numpy as np
import pytest

from snapens.core.io import FLOAT_FORMAT
from snapens.evaluate import reference_curves
from snapens.evaluate.calibration import crossfit_nll
from snapens.evaluate.ensembling import log_mix, subset_calibrated_nll, subset_nlls, subset_weights


def log_softmax(x):
    x = x - x.max(axis=-1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=-1, keepdims=True))


def members(m, n, c, scale=3.0, seed=0, signal=1.0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, c, n)
    logits = rng.normal(0, scale, (m, n, c))
    logits[:, np.arange(n), y] += signal * scale
    return log_softmax(logits), y, rng


def confidently_wrong(lp, y, rng):  # rows where every member puts ~800 nats on a wrong class
    lp = lp.copy()
    for r in rng.choice(lp.shape[1], 5, replace=False):
        z = np.full(lp.shape[2], -800.0)
        z[(y[r] + 1) % lp.shape[2]] = 0.0
        lp[:, r] = log_softmax(z + rng.normal(0, 1, (lp.shape[0], lp.shape[2])))
    return lp, y


def zero_probabilities(lp, y, rng):
    lp, c = lp.copy(), lp.shape[2]
    lp[0, np.arange(7), (y[:7] + 1) % c] = -np.inf
    lp[:, 9, (y[9] + 2) % c] = -np.inf
    return lp - np.log(np.exp(lp).sum(axis=-1, keepdims=True)), y


def separable(lp, y, rng):  # the true class the most probable everywhere: T at the search's lower end
    z = rng.normal(0, 1, lp.shape)
    z[:, np.arange(lp.shape[1]), y] += 20
    return log_softmax(z), y


def uniform_rows(lp, y, rng):
    lp = lp.copy()
    lp[:, :50] = -np.log(lp.shape[2])
    return lp, y


CASES = {
    "three classes": dict(m=6, n=400, c=3),
    "odd rows": dict(m=6, n=399, c=3, seed=1),
    "two classes": dict(m=6, n=400, c=2, seed=2),
    "ten classes": dict(m=5, n=300, c=10, seed=3),
    "sampled subsets": dict(m=12, n=120, c=3, seed=5),
    "confidently wrong rows": dict(m=6, n=400, c=3, seed=6, tweak=confidently_wrong),
    "zero probabilities": dict(m=6, n=400, c=3, seed=7, tweak=zero_probabilities),
    "separable": dict(m=6, n=200, c=3, seed=8, tweak=separable),
    "uniform rows": dict(m=6, n=400, c=3, seed=9, tweak=uniform_rows),
    "large logits": dict(m=6, n=400, c=3, scale=30.0, seed=10),
    "weak signal": dict(m=6, n=400, c=3, scale=0.3, seed=11, signal=0.2),
}


def case(name):
    spec = dict(CASES[name])
    tweak = spec.pop("tweak", None)
    lp, y, rng = members(**spec)
    return tweak(lp, y, rng) if tweak else (lp, y)


def written(row):
    return {column: FLOAT_FORMAT % value for column, value in row.items()}


@pytest.mark.parametrize("name", CASES)
def test_every_value_is_written_as_the_direct_computation_writes_it(name):
    lp, y = case(name)
    with np.errstate(invalid="ignore"):
        fast = reference_curves.subset_curves(lp, y)
    assert sorted(fast) == list(range(1, len(lp)))
    for k, row in fast.items():
        with np.errstate(invalid="ignore"):
            direct = subset_nlls(lp, y, k) | subset_calibrated_nll(lp, y, k)
        assert written(row) == written(direct), (name, k)


@pytest.mark.parametrize("name", CASES)
def test_each_subsets_fast_value_is_within_its_bound_of_the_direct_one(name):
    lp, y = case(name)
    record = {}
    with np.errstate(invalid="ignore"):
        reference_curves.subset_curves(lp, y, record=record)
    for fold in ("even", "odd"):
        direct = []
        for k in range(1, len(lp)):
            with np.errstate(invalid="ignore"):
                mixed = log_mix(subset_weights(len(lp), k), lp)
            for z in mixed:
                direct.append(crossfit_nll(z, y)[f"nll_calibrated_{fold}"])
        fast, bounds = (np.concatenate(record[key][fold]) for key in ("values", "bounds"))
        assert len(fast) == len(direct)
        assert np.all(np.abs(fast - np.array(direct)) <= bounds), name


def test_a_mean_whose_digits_are_not_proved_is_the_direct_computations(monkeypatch):
    lp, y = case("three classes")
    monkeypatch.setattr(reference_curves, "_safe", lambda mean, bound: False)
    record = {}
    fast = reference_curves.subset_curves(lp, y, record=record)
    assert record["fallbacks"] == 2 * (len(lp) - 1)
    for k, row in fast.items():
        assert row == subset_nlls(lp, y, k) | subset_calibrated_nll(lp, y, k)


def test_the_written_digits_decide_whether_a_mean_is_proved():
    assert reference_curves._safe(0.123456789012, 1e-13)
    assert not reference_curves._safe(0.12345678905, 1e-12)  # straddles the tenth digit's rounding
