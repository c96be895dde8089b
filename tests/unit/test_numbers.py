"""The number rule, on values worked out by hand."""

import math

from snapens.core import numbers


def test_decimals_give_the_width_two_significant_digits():
    assert numbers.decimals(0.0042) == 4  # 0.0042
    assert numbers.decimals(0.033) == 3  # 0.033
    assert numbers.decimals(0.01) == 3  # 0.010
    assert numbers.decimals(0.5) == 2  # 0.50
    assert numbers.decimals(7.0) == 1  # at least one decimal
    assert numbers.decimals(1e-12) == 6  # at most six
    assert (
        numbers.decimals(0.0) == 3 and numbers.decimals(math.inf) == 3 and numbers.decimals(math.nan, 2) == 2
    )


def test_a_table_shares_the_decimals_of_its_median_width():
    assert numbers.shared_decimals([0.0042, 0.03, 0.5]) == 3  # median 0.03
    assert numbers.shared_decimals([0.004, 0.006]) == 4  # median 0.005
    assert numbers.shared_decimals([math.inf, math.nan, 0]) == 3  # nothing finite: the fallback


def test_no_negative_zero_and_signs_on_differences():
    assert numbers.fmt(-0.00004, 4) == "0.0000"
    assert numbers.fmt(-0.00004, 4, signed=True) == "0.0000"
    assert numbers.fmt(0.0201, 4, signed=True) == "+0.0201"
    assert numbers.fmt(-0.0201, 3, signed=True) == "-0.020"
    assert numbers.fmt(math.inf, 3, signed=True) == "+inf" and numbers.fmt(-math.inf, 3) == "-inf"
    assert numbers.fmt_interval(-0.0006, -0.0027, 0.0015, 4, signed=True) == "-0.0006 [-0.0027, +0.0015]"
    assert numbers.fmt_interval(0.5, math.nan, math.nan, 2) == "0.50"


def test_p_values_have_two_significant_digits_and_a_floor_is_a_bound():
    assert numbers.fmt_p(0.6123) == "0.61"
    assert numbers.fmt_p(0.0709) == "0.071"
    assert numbers.fmt_p(0.0014) == "0.0014"
    assert numbers.fmt_p(1.0) == "1"
    assert numbers.fmt_p(2 / 10_001, at_floor=True) == "≤ 0.00020"
    assert numbers.fmt_p(math.nan) == "n/a"


def test_a_floor_is_resampled_only_above_the_exact_test_s_smallest_p():
    assert numbers.resampled_floor(30, 2 / 10_001)  # 2**30 patterns: random ones
    assert not numbers.resampled_floor(10, 2 / 1024)  # all 1,024 patterns: exact
    assert not numbers.resampled_floor(math.nan, 0.1)
