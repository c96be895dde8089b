"""Classification metrics on predicted probabilities, and the registry of the
metrics the study reports.

:data:`METRICS` is the one list every stage reads: evaluation writes a column
per entry to ``members.csv`` and ``ensemble.csv``; the run, summary and paired
tables, ``summary.md``, the headline and the figures follow it. Adding a
metric is one :func:`register` call (a function and how to read it) plus its
test.

The scores themselves are :mod:`snapens.evaluate.scores`. The calibrated NLL
and ECE are those of temperature-scaled probabilities, fitted and measured on
alternate halves of the test rows (:mod:`snapens.evaluate.calibration`);
:func:`evaluate` also returns the two fitted temperatures (:data:`TEMPERATURES`).

Every metric is also measured on each fold of the test rows (:data:`FOLDS`:
the rows at even and at odd positions), so that a choice made on one fold can
be measured on the other (:mod:`snapens.analyse.selection`):
``{metric}_{fold}`` is the metric on the fold's rows and, for a metric with a
fitted part (``fitted``: the calibrated ones), ``{metric}_{fold}_insample``
is the value fitted on the fold itself, the statistic a choice on that fold
reads (:func:`selection_column`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Callable

import numpy as np

from snapens.evaluate.scores import (  # noqa: F401 (EPS, nll, T_MIN, T_MAX: re-exported)
    EPS,
    T_MAX,
    T_MIN,
    accuracy,
    brier,
    check,
    check_log,
    ece,
    log_of,
    nll,
    nll_capped_log,
    nll_log,
)

DECIMALS = 9  # continuous metrics are compared on a grid of 10**-DECIMALS
EXACT = 2**52  # units below this are exact as float64 products; larger ones are taken from the decimal


def grid_units(values, decimals: int = DECIMALS) -> np.ndarray:
    """``values`` as integers on the ``10**-decimals`` grid, each on its own:
    ``round(v * 10**decimals)``, in int64 while that is below :data:`EXACT`,
    else (a diverged model's NLL of 1e30 nats) an exact Python integer from
    the value's shortest decimal form, so that one huge value changes no
    other value's units. An object array when any unit is that large."""
    v = np.asarray(values, dtype=np.float64)
    units = np.round(v * 10.0**decimals)
    if not len(v) or np.max(np.abs(units)) < EXACT:
        return units.astype(np.int64)
    factor = Decimal(10) ** decimals
    return np.array(
        [
            int(u)
            if abs(u) < EXACT
            else int((Decimal(repr(float(x))) * factor).to_integral_value(ROUND_HALF_EVEN))
            for x, u in zip(v.tolist(), units.tolist(), strict=True)
        ],
        dtype=object,
    )


SHARE, PROBABILITY, NATS = "share of test rows", "probability", "nats"  # units of metric values


@dataclass(frozen=True)
class Metric:
    """One metric of a probability matrix.

    ``function(y, probs, **evaluation)`` returns a float (``evaluation`` is the
    config's ``evaluation`` section, e.g. ``ece_bins``; take what you need and
    ignore the rest with ``**_``). ``count``: the value is a fraction of the
    test rows (``value * rows`` is an integer), so paired differences are taken
    on those integer counts; otherwise on values rounded to ``DECIMALS``
    decimal places. ``headline``: shown on the report's front page. ``log``:
    ``function`` takes the matrix's float64 log-probabilities instead of its
    probabilities (the NLLs, so that they are never floored). ``unit``: a
    value's unit (:data:`SHARE`, :data:`PROBABILITY`, :data:`NATS` or none).
    """

    name: str
    function: Callable[..., float] | None
    higher_is_better: bool
    label: str
    digits: int = 3
    count: bool = False
    headline: bool = False
    on_folds: Callable[..., dict[str, float]] | None = None
    log: bool = False
    unit: str = ""  # a value's unit in words and figures ("" for none)

    @property
    def difference_unit(self) -> tuple[float, str]:
        """How a difference is shown: the factor it is multiplied by and its
        unit (shares of rows and probabilities in percentage points)."""
        if self.unit in (SHARE, PROBABILITY):
            return 100.0, "percentage points"
        return 1.0, self.unit or "no unit"

    @property
    def fitted(self) -> bool:
        """Its value uses a fit to the rows it is measured on (a temperature)."""
        return self.on_folds is not None

    @property
    def direction(self) -> str:
        """ "higher is better" or "lower is better", for the tables."""
        return "higher is better" if self.higher_is_better else "lower is better"

    def units(self, values, rows=None) -> np.ndarray:
        """``values`` as exact integers: counts of test rows (``count``, with
        ``rows`` test rows per value) or multiples of ``10**-9``
        (:func:`grid_units`: an object array of Python integers when a value
        is too large for int64)."""
        v = np.asarray(values, dtype=np.float64)
        if not np.all(np.isfinite(v)):
            raise ValueError(f"{self.name}: NaN or infinite values cannot be compared exactly")
        if self.count:
            if rows is None:
                raise ValueError(f"{self.name}: counting needs the number of test rows")
            rows = np.asarray(rows, dtype=np.float64)
            counts = np.round(v * rows)
            # CSV keeps 10 significant digits: v * rows is within rows * 5e-11 of its count
            if np.any(np.abs(v * rows - counts) > 1e-6 + 1e-9 * rows):
                sizes = ", ".join(str(int(r)) for r in np.unique(rows))
                raise ValueError(f"{self.name}: values are not fractions of {sizes} test rows")
            return counts.astype(np.int64)
        return grid_units(v)


METRICS: dict[str, Metric] = {}
FOLDS = ("even", "odd")  # the test rows at even and at odd positions
# evaluate() returns these after the metrics: the temperatures fitted on the even / odd rows
TEMPERATURES = ("temperature_even", "temperature_odd")
# column names of the per-run tables that a metric may not take
RESERVED = {"member", "epoch", "k", "model", "weights", "vote_accuracy", "subset_nll", *TEMPERATURES}
SUBSET_NLL = "subset_nll"  # ensemble.csv: mean NLL of the ensembles of any k members


def register(metric: Metric) -> Metric:
    """Add ``metric`` to :data:`METRICS` (after the ones already there)."""
    if metric.name in METRICS or metric.name in RESERVED:
        raise ValueError(f"metric {metric.name!r} is already defined")
    METRICS[metric.name] = metric
    return metric


def calibrated(y, log_probs, ece_bins: int = 15, memo: dict | None = None, **_) -> dict[str, float]:
    """:func:`snapens.evaluate.calibration.temperature_scaled_log` of one
    matrix of log-probabilities.

    ``memo`` (a dict :func:`evaluate` makes per matrix) holds the result, so the
    temperatures are fitted once for all the metrics that need them.
    """
    # imported here: the jobs that only read METRICS (the figures) do without
    # SciPy's optimisers
    from snapens.evaluate.calibration import temperature_scaled_log

    if memo is None:
        return temperature_scaled_log(y, log_probs, ece_bins)
    if "calibrated" not in memo:
        memo["calibrated"] = temperature_scaled_log(y, log_probs, ece_bins)
    return memo["calibrated"]


def _calibrated_folds(name: str):
    def on_folds(y, log_probs, **evaluation) -> dict[str, float]:
        fitted = calibrated(y, log_probs, **evaluation)
        return {column: float(fitted[column]) for column in fold_columns(name)}

    return on_folds


def nll_calibrated(y, log_probs, **evaluation) -> float:
    """NLL after temperature scaling, cross-fitted on even and odd test rows."""
    return calibrated(y, log_probs, **evaluation)["nll_calibrated"]


def nll_calibrated_capped(y, log_probs, **evaluation) -> float:
    """Calibrated NLL with each row's loss capped at 13.8 nats (probability 1e-6)."""
    return calibrated(y, log_probs, **evaluation)["nll_calibrated_capped"]


def ece_calibrated(y, log_probs, **evaluation) -> float:
    """ECE after temperature scaling, cross-fitted on even and odd test rows."""
    return calibrated(y, log_probs, **evaluation)["ece_calibrated"]


# The headline NLLs are the capped ones (a rule fixed before any result: one
# confidently wrong row, or one diverged run, must not decide a verdict); the
# exact NLLs are reported beside them and define the deep ensemble equivalent.
register(Metric("accuracy", accuracy, True, "accuracy", count=True, headline=True, unit=SHARE))
register(Metric("nll", nll_log, False, "NLL", log=True, unit=NATS))
register(Metric("brier", brier, False, "Brier"))
register(Metric("ece", ece, False, "ECE", unit=PROBABILITY))
register(
    Metric(
        "nll_calibrated",
        nll_calibrated,
        False,
        "calibrated NLL",
        on_folds=_calibrated_folds("nll_calibrated"),
        log=True,
        unit=NATS,
    )
)
register(
    Metric(
        "ece_calibrated",
        ece_calibrated,
        False,
        "calibrated ECE",
        on_folds=_calibrated_folds("ece_calibrated"),
        log=True,
        unit=PROBABILITY,
    )
)

register(Metric("nll_capped", nll_capped_log, False, "capped NLL", headline=True, log=True, unit=NATS))
register(
    Metric(
        "nll_calibrated_capped",
        nll_calibrated_capped,
        False,
        "capped calibrated NLL",
        headline=True,
        on_folds=_calibrated_folds("nll_calibrated_capped"),
        log=True,
        unit=NATS,
    )
)

# Of the ensemble only (a function of the members, not of one probability
# matrix): the majority vote's accuracy, in ensemble.csv and the summary.
VOTE = Metric("vote_accuracy", None, True, "majority-vote accuracy", count=True, unit=SHARE)


def metric(name: str) -> Metric:
    """The registered metric ``name`` (or the ensemble-only ``vote_accuracy``)."""
    if name == VOTE.name:
        return VOTE
    try:
        return METRICS[name]
    except KeyError:
        raise KeyError(f"unknown metric {name!r}; known: {', '.join(METRICS)}") from None


def fold_rows(n: int) -> dict[str, np.ndarray]:
    """The indices of each fold of ``n`` test rows (:data:`FOLDS`)."""
    return {"even": np.arange(0, n, 2), "odd": np.arange(1, n, 2)}


def fold_columns(name: str) -> list[str]:
    """The fold columns of metric ``name``: ``{name}_{fold}`` per fold, then,
    for a fitted metric, ``{name}_{fold}_insample`` per fold."""
    columns = [f"{name}_{fold}" for fold in FOLDS]
    return columns + ([f"{name}_{fold}_insample" for fold in FOLDS] if metric(name).fitted else [])


def selection_column(name: str, fold: str) -> str:
    """The column a choice made on ``fold`` reads for metric ``name``: one that
    depends on that fold's rows alone."""
    return f"{name}_{fold}_insample" if metric(name).fitted else f"{name}_{fold}"


def evaluate(y, probs=None, evaluation: dict[str, Any] | None = None, *, log_probs=None) -> dict[str, float]:
    """Every registered metric of one matrix, then the two fitted temperatures
    (:data:`TEMPERATURES`), then every metric's fold columns
    (:func:`fold_columns`).

    Give the matrix as ``log_probs`` (float64 log-probabilities: the NLLs are
    then exact, however confident and wrong a row) or as ``probs`` (whose log
    is floored at ``EPS``, :func:`snapens.evaluate.scores.log_of`). The
    metric functions share a ``memo`` dict for this matrix: the temperatures
    are fitted once.
    """
    if (probs is None) == (log_probs is None):
        raise ValueError("evaluate needs probs or log_probs, not both")
    if log_probs is None:
        y, probs = check(y, probs)
        log_probs = log_of(probs)
    y, log_probs = check_log(y, log_probs)
    arrays = {False: np.exp(log_probs) if probs is None else probs, True: log_probs}
    settings = {**(evaluation or {}), "memo": {}}
    values = {name: float(m.function(y, arrays[m.log], **settings)) for name, m in METRICS.items()}
    fitted = calibrated(y, log_probs, **settings)
    values |= {t: float(fitted[t]) for t in TEMPERATURES}
    # each fold's rows taken once, so that the metrics check each fold's matrix once (memo)
    parts = {
        f: (y[r], {False: arrays[False][r], True: arrays[True][r]}) for f, r in fold_rows(len(y)).items()
    }
    for name, m in METRICS.items():
        if m.fitted:
            values |= m.on_folds(y, arrays[m.log], **settings)
        else:
            values |= {
                f"{name}_{f}": float(m.function(yf, a[m.log], **settings)) for f, (yf, a) in parts.items()
            }
    return values


def evaluated_columns() -> tuple[str, ...]:
    """The columns of an :func:`evaluate` row, in order."""
    return (*METRICS, *TEMPERATURES, *(c for name in METRICS for c in fold_columns(name)))


def subset_columns() -> list[str]:
    """``ensemble.csv``'s columns of the mean over k-member subsets: the NLL on
    all rows and per fold, then the calibrated NLL per fold."""
    return [
        SUBSET_NLL,
        *(f"{SUBSET_NLL}_{fold}" for fold in FOLDS),
        *(f"{SUBSET_NLL}_calibrated_{fold}" for fold in FOLDS),
    ]
