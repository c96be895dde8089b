"""Paired comparisons and their multiplicity: the rows of
``paired_tests.csv`` as they are added (:class:`PairedRows`), each an exact
paired test of a metric (:func:`compare`) with the divergence of both
sides' runs (:func:`divergence`), and, once every row is in, Holm's
adjustment, the simultaneous interval and the verdict within each family
(one dataset x metric x comparison x swept method).

Which comparisons the study makes is :mod:`snapens.analyse.paired_table`'s
(and :mod:`snapens.analyse.baselines`' for the equal-cost baselines).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from snapens.analyse.contract import TOO_FEW
from snapens.analyse.statistics import FLIPS, alpha_of, holm, mcnemar, paired, simultaneous
from snapens.evaluate.metrics import Metric, metric
from snapens.evaluate.scores import DIVERGED

PAIRED_KEYS = ["dataset", "metric", "comparison", "family", "a_method", "a_model", "b_method", "b_model"]
LIMIT_COLUMNS = ("limit_distance", "limit_share", "limit_share_ci_low", "limit_share_ci_high")
PAIRED_COLUMNS = [
    *PAIRED_KEYS,
    "selection",
    "b_chosen",
    "n",
    "mean_a",
    "mean_b",
    "mean_diff",
    "median_diff",
    "sd_diff",
    "se_diff",
    "ci_low",
    "ci_high",
    "p_value",
    "p_floor",
    "p_holm",
    "family_size",
    "sim_ci_low",
    "sim_ci_high",
    "verdict",
    "relative",
    "standardised",
    "wins",
    "ties",
    "losses",
    "diverged_a",
    "diverged_b",
    "diverged_p",
    "diverged_p_holm",
    *LIMIT_COLUMNS,
]


def paired_keys(
    dataset: str,
    metric: str,
    comparison: str,
    family: str,
    a_method: str,
    a_model: str,
    b_method: str,
    b_model: str,
) -> dict:
    """The key columns (:data:`PAIRED_KEYS`) of a comparison of ``a_model`` of
    ``a_method`` with ``b_model`` of ``b_method``; ``family`` is the swept
    method whose grid its Holm family spans (empty for a method not swept)."""
    return dict(zip(PAIRED_KEYS, (dataset, metric, comparison, family, a_method, a_model, b_method, b_model)))


class PairedRows:
    """Rows of ``paired_tests.csv`` as they are added; :meth:`table` adjusts
    them within their families. ``confidence`` and ``flips`` (random sign
    flips) hold for every test."""

    def __init__(self, confidence: float, flips: int):
        self.rows: list[dict] = []
        self.confidence, self.flips = confidence, flips

    def models(self, keys: dict, runs_a: pd.DataFrame, runs_b: pd.DataFrame, test_rows, tested: bool = True):
        """``a_model`` of ``runs_a`` against ``b_model`` of ``runs_b`` (the runs
        of each side, paired row by row) on all test rows (``test_rows`` per
        repeat; :func:`compare`), with the divergence of their runs
        (:func:`divergence`; no test between models of the same runs)."""
        name = keys["metric"]
        a, b = runs_a[f"{keys['a_model']}_{name}"], runs_b[f"{keys['b_model']}_{name}"]
        same = keys["a_method"] == keys["b_method"]
        flags = (runs_a.get(DIVERGED), runs_b.get(DIVERGED))
        result = compare(name, a, b, test_rows, self.confidence, self.flips) | divergence(*flags, same=same)
        self.append(keys, result, tested)

    def append(self, keys: dict, result: dict, tested: bool, extra: dict | None = None):
        """A row of ``keys`` (:func:`paired_keys`), a test's ``result`` and the
        ``extra`` columns (``selection``, ``b_chosen``, the limit's share);
        without its p-values unless ``tested``."""
        if not tested:  # a difference zero by construction is not a test
            result["p_value"], result["p_floor"], result["null"] = math.nan, math.nan, None
        self.rows.append({**keys, "selection": "", "b_chosen": "", **(extra or {}), **result})

    def table(self) -> pd.DataFrame:
        """The rows with their families' adjustment (:func:`_holm_columns`),
        as ``paired_tests.csv``."""
        _holm_columns(self.rows, self.confidence)
        return pd.DataFrame(self.rows, columns=PAIRED_COLUMNS)


def _holm_columns(rows: list[dict], confidence: float) -> None:
    """Holm-adjusted p-values, family sizes, Bonferroni intervals and verdicts
    of ``rows`` (in place), within each family: one dataset x metric x
    comparison x base. A family none of whose comparisons could reach Holm's
    first threshold, ``(1 - confidence) / m``, even with every difference of
    one sign (``p_floor``) gets the verdict :data:`TOO_FEW` throughout."""
    alpha = alpha_of(confidence)
    families: dict[tuple, list[dict]] = {}
    for r in rows:
        families.setdefault((r["dataset"], r["metric"], r["comparison"], r["family"]), []).append(r)
    for members in families.values():
        adjusted = holm([r["p_value"] for r in members])
        tested = int(np.count_nonzero(~np.isnan([r["p_value"] for r in members])))
        floors = [r["p_floor"] for r in members if not math.isnan(r["p_value"])]
        decidable = bool(floors) and min(floors) <= alpha / tested
        for r, p in zip(members, holm([r["diverged_p"] for r in members]), strict=True):
            r["diverged_p_holm"] = float(p)
        for r, p in zip(members, adjusted, strict=True):
            r["p_holm"], r["family_size"] = float(p), tested
            low, high = simultaneous(r.pop("null"), max(tested, 1), confidence)
            r["sim_ci_low"], r["sim_ci_high"] = (low, high) if not math.isnan(p) else (math.nan, math.nan)
            r["verdict"] = _verdict(r["mean_diff"], p, alpha, metric(r["metric"]).higher_is_better)
            if r["verdict"] == "unclear" and not decidable:
                r["verdict"] = TOO_FEW


def _verdict(mean_diff: float, p_holm: float, alpha: float, higher_is_better: bool) -> str:
    """``better``/``worse`` (a against b, in the metric's direction) when the
    Holm-adjusted p-value is at most ``alpha``; ``unclear`` otherwise;
    ``not tested`` without a p-value."""
    if math.isnan(p_holm):
        return "not tested"
    if p_holm > alpha or mean_diff == 0:
        return "unclear"
    return "better" if (mean_diff > 0) == higher_is_better else "worse"


def divergence(a, b, same: bool = False) -> dict:
    """Runs of each side with a diverged model (``diverged_a``, ``diverged_b``;
    per-seed flags ``a`` and ``b``, paired) and McNemar's exact test of equal
    divergence rates (``diverged_p``; NaN when both sides are the same runs
    or the flags are missing)."""
    if a is None or b is None:
        return {"diverged_a": math.nan, "diverged_b": math.nan, "diverged_p": math.nan}
    a, b = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
    return {
        "diverged_a": int(a.sum()),
        "diverged_b": int(b.sum()),
        "diverged_p": math.nan if same else mcnemar(a, b),
    }


def mean_or_nan(x) -> float:
    """The mean of ``x`` in float64; NaN when it is empty."""
    x = np.asarray(x, dtype=np.float64)
    return float(x.mean()) if len(x) else math.nan


def _defined(a, b, rows):
    """``a``, ``b`` and ``rows`` of the repeats where both values are defined
    (not NaN: a metric undefined for a run leaves that repeat out; ``n`` says
    how many). Infinite values are not left out: they cannot be compared
    exactly, and :meth:`snapens.evaluate.metrics.Metric.units` refuses them."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    rows = np.broadcast_to(np.asarray(rows), a.shape)
    keep = ~np.isnan(a) & ~np.isnan(b)
    return a[keep], b[keep], rows[keep]


def unit_scale(m: Metric, rows) -> float:
    """Units per unit of metric ``m``: test rows for a count metric (one
    number for every repeat, ``rows`` per repeat), else 1e9 (the grid of 1e-9)."""
    if not m.count:
        return 1e9
    sizes = np.unique(np.asarray(rows))
    if len(sizes) > 1:
        raise ValueError(f"{m.name}: repeats with different numbers of test rows ({sizes.tolist()})")
    return float(sizes[0]) if len(sizes) else 1.0


def compare(name: str, a, b, rows, confidence: float, flips: int = FLIPS) -> dict:
    """:func:`~snapens.analyse.statistics.paired` of metric ``name``, exact in
    its units (``rows``: the test rows of each repeat, which count metrics are
    fractions of). A repeat where either value is NaN is left out; ``n`` says
    how many pairs were compared."""
    m = metric(name)
    a, b, rows = _defined(a, b, rows)
    exact = (m.units(a, rows), m.units(b, rows))
    return paired(a, b, m.higher_is_better, confidence, exact, unit_scale(m, rows), flips)
