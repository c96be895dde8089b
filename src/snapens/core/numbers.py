"""One rule for every number the study writes in words or tables.

- An estimate and its interval are shown with the decimals that give the
  interval's width two significant digits (:func:`decimals`); the means and
  differences of one table share the decimals of its intervals
  (:func:`shared_decimals`).
- A p-value has two significant digits in plain decimals; one at the floor
  of a resampled test (no random sign pattern reached the observed mean) is
  shown as "≤ floor", since the procedure cannot say how much smaller it is
  (:func:`fmt_p`).
- No number is written as negative zero.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

MIN_DECIMALS, MAX_DECIMALS = 1, 6


def decimals(width: float, fallback: int = 3) -> int:
    """Decimals that show ``width`` (an interval's width) with two
    significant digits, within [MIN_DECIMALS, MAX_DECIMALS]; ``fallback``
    for a zero or undefined width."""
    if not math.isfinite(width) or width <= 0:
        return fallback
    return min(MAX_DECIMALS, max(MIN_DECIMALS, 1 - math.floor(math.log10(width))))


def shared_decimals(widths: Iterable[float], fallback: int = 3) -> int:
    """The decimals of a table: :func:`decimals` of the median of its
    positive, finite interval widths."""
    good = sorted(w for w in widths if math.isfinite(w) and w > 0)
    if not good:
        return fallback
    mid = len(good) // 2
    median = good[mid] if len(good) % 2 else (good[mid - 1] + good[mid]) / 2
    return decimals(median, fallback)


def fmt(x: float, digits: int, signed: bool = False) -> str:
    """``x`` with ``digits`` decimals, never "-0.000"; ``signed`` writes a
    leading "+" on positive values (a difference)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if math.isinf(x):
        return ("+" if signed and x > 0 else "-" if x < 0 else "") + "inf"
    text = f"{x:.{digits}f}"
    if float(text) == 0:
        return f"{0:.{digits}f}"
    return ("+" + text) if signed and x > 0 else text


def fmt_interval(mean: float, low: float, high: float, digits: int, signed: bool = False) -> str:
    """ "mean [low, high]" (just the mean if the interval is undefined)."""
    if low is None or (isinstance(low, float) and math.isnan(low)):
        return fmt(mean, digits, signed)
    return f"{fmt(mean, digits, signed)} [{fmt(low, digits, signed)}, {fmt(high, digits, signed)}]"


def resampled_floor(n: float, floor: float) -> bool:
    """Whether ``floor`` (a sign-flip test's smallest p at ``n`` repeats) is
    that of random sign patterns rather than of all 2**n of them."""
    if n is None or floor is None or any(isinstance(v, float) and math.isnan(v) for v in (n, floor)):
        return False
    return floor > 2.0 ** (1 - int(n)) * (1 + 1e-9)


def fmt_p(p: float, at_floor: bool = False) -> str:
    """A p-value with two significant digits in plain decimals ("1" for 1),
    "≤ p" where ``at_floor`` (the raw p of a resampled test at its floor)."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "n/a"
    if p >= 1:
        return "1"
    text = f"{p:.{max(2, 1 - math.floor(math.log10(p)))}f}" if p > 0 else "0"
    return f"≤ {text}" if at_floor else text
