import math

import numpy as np
import pytest

from snapens.train.schedules import Budget, keras_schedule, learning_rates, snapshot_epochs

SEED_BUDGET = Budget(epochs=500, members=10, steps_per_epoch=4)
SCHEDULES = {
    "cosine_epoch": {"name": "cosine_epoch", "lr_max": 0.01},
    "cosine_step": {"name": "cosine_step", "lr_max": 0.01},
    "triangular": {"name": "triangular", "lr_min": 0.001, "lr_max": 0.01},
    "step_decay": {"name": "step_decay", "lr": 0.01, "factor": 0.1, "milestones": [0.5, 0.75]},
    "constant": {"name": "constant", "lr": 0.01},
}


def seed_formula(epoch, n_epochs, n_cycles, lrate_max):
    """The tutorial's cosine_annealing(), verbatim in meaning."""
    epochs_per_cycle = math.floor(n_epochs / n_cycles)
    cos_inner = (math.pi * (epoch % epochs_per_cycle)) / epochs_per_cycle
    return lrate_max / 2 * (math.cos(cos_inner) + 1)


def test_cosine_epoch_equals_seed_formula_at_every_epoch():
    lr = learning_rates(SCHEDULES["cosine_epoch"], SEED_BUDGET, per="epoch")
    expected = [seed_formula(e, 500, 10, 0.01) for e in range(500)]
    assert len(lr) == 500
    np.testing.assert_allclose(lr, expected, rtol=1e-12, atol=0)
    assert lr[0] == pytest.approx(0.01) and lr[50] == pytest.approx(0.01)
    assert lr[49] < 1e-5


def test_cosine_step_is_paper_eq2():
    # alpha(t) = a0/2 (cos(pi mod(t-1, ceil(T/M)) / ceil(T/M)) + 1), t = 1..T
    T, M = SEED_BUDGET.total_steps, SEED_BUDGET.members
    period = math.ceil(T / M)
    expected = [0.01 / 2 * (math.cos(math.pi * ((t - 1) % period) / period) + 1) for t in range(1, T + 1)]
    np.testing.assert_allclose(learning_rates(SCHEDULES["cosine_step"], SEED_BUDGET), expected, rtol=1e-12)


def test_step_decay_switches_at_half_and_three_quarters():
    lr = learning_rates(SCHEDULES["step_decay"], SEED_BUDGET, per="epoch")
    assert set(lr[:250]) == {0.01}
    np.testing.assert_allclose(lr[250:375], 0.001)
    np.testing.assert_allclose(lr[375:], 0.0001)


def test_seed_snapshot_epochs():
    assert snapshot_epochs("cosine_epoch", 500, 10) == [49, 99, 149, 199, 249, 299, 349, 399, 449, 499]
    for name in SCHEDULES:
        assert snapshot_epochs(name, 500, 10)[-1] == 499


def test_snapshot_epochs_equally_spaced_when_not_divisible():
    assert snapshot_epochs("constant", 10, 3) == [3, 6, 9]
    assert snapshot_epochs("cosine_epoch", 10, 3) == [2, 5, 8]  # cycle ends, P = floor(10/3)
    with pytest.raises(ValueError, match="members"):
        snapshot_epochs("constant", 5, 6)


@pytest.mark.parametrize("name", SCHEDULES)
def test_keras_schedule_matches_formula_at_every_iteration(tf_runtime, name):
    sched = keras_schedule(SCHEDULES[name], SEED_BUDGET)
    expected = learning_rates(SCHEDULES[name], SEED_BUDGET)
    if isinstance(sched, float):
        got = np.full_like(expected, sched)
    else:
        import tensorflow as tf

        got = tf.vectorized_map(lambda s: sched(s), tf.range(SEED_BUDGET.total_steps, dtype=tf.int64)).numpy()
    # Keras computes in float32: equal to the formula to single precision, i.e.
    # within a few float32 ulps of the schedule's peak (cos loses relative
    # precision near its minimum, where the rate is ~1e-6 of the peak)
    np.testing.assert_allclose(got, expected, rtol=2e-6, atol=4e-6 * expected.max())


def test_keras_cosine_step_is_keras_own_class(tf_runtime):
    import keras

    assert isinstance(
        keras_schedule(SCHEDULES["cosine_step"], SEED_BUDGET), keras.optimizers.schedules.CosineDecayRestarts
    )


def test_triangular_cycles_end_at_their_minimum():
    lr = learning_rates(SCHEDULES["triangular"], SEED_BUDGET)  # 10 cycles of 200 iterations
    assert lr[0] == pytest.approx(0.001) and lr[100] == pytest.approx(0.01)
    assert lr[200] == pytest.approx(0.001) and lr[150] == pytest.approx(0.0055)
    assert lr[199] == pytest.approx(0.001 + 0.009 * 2 / 200)  # last iteration of a cycle
    assert np.all(np.diff(lr[:100]) > 0) and np.all(np.diff(lr[100:200]) < 0)
    assert snapshot_epochs("triangular", 500, 10) == snapshot_epochs("cosine_epoch", 500, 10)


def test_the_last_snapshots_rate_as_a_fraction_of_the_peak_by_hand():
    from snapens.train.schedules import Budget, last_snapshot_fraction

    cos = {"name": "cosine_epoch", "lr_max": 0.1}
    # 2-epoch cycles: epochs 0, 1 at 0.1 and 0.05; the snapshot after epoch 1 is at half the peak
    assert last_snapshot_fraction(cos, Budget(100, 50, 125)) == 0.5
    # 50-epoch cycles: the last epoch of a cycle at (1 + cos(49 pi / 50)) / 2
    assert last_snapshot_fraction(cos, Budget(500, 10, 4)) == pytest.approx(
        (1 + math.cos(49 * math.pi / 50)) / 2
    )
    # per iteration, 2 epochs of 125 steps: the last of 250 steps
    step = {"name": "cosine_step", "lr_max": 0.1}
    assert last_snapshot_fraction(step, Budget(100, 50, 125)) == pytest.approx(
        (1 + math.cos(249 * math.pi / 250)) / 2
    )
    assert last_snapshot_fraction(step, Budget(100, 50, 125)) < 2e-4
    # a constant rate never anneals; step decay ends at factor**2
    assert last_snapshot_fraction({"name": "constant", "lr": 0.01}, Budget(10, 2, 4)) == 1.0
    decay = {"name": "step_decay", "lr": 0.01, "factor": 0.1, "milestones": [0.5, 0.75]}
    assert last_snapshot_fraction(decay, Budget(500, 10, 4)) == pytest.approx(0.01)
