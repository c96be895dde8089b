"""The compute floor `make bench` measures a run against, worked by hand."""

import pytest

from tools.bench_training import CORE_FLOPS, floor_seconds


def test_the_tutorials_run_is_about_a_tenth_of_a_gflop():
    """2-50-3: 303 weights; 100 rows in batches of 32 are 4 steps per epoch,
    2,000 steps in 500 epochs, each 6 x 303 x 32 = 58,176 FLOP."""
    flop, seconds = floor_seconds(2, 50, 3, 100, 32, 500)
    assert flop == 2000 * 58176 == 116_352_000
    assert seconds == pytest.approx(116_352_000 / CORE_FLOPS)
