"""The study tables as their readers take them: the names the tables'
builders write and the markdown, the answer in words, the figures and the
tools read back, so that a reader imports this module and no builder.

``sweep.csv``'s comparisons of a grid point's full ensemble
(:data:`COMPARISONS`) and their columns (:func:`column`,
:data:`COMPARISON_STATS`); the models besides the final one and the
ensemble (:data:`EXTRA_MODELS`); the run counts of ``runs.csv`` and
``summary.csv``; the verdict of a family that cannot reject
(:data:`TOO_FEW`); the metrics of the deep ensemble equivalent
(:data:`DEE_METRICS`); and the row of ``paired_tests.csv`` comparing two
models (:func:`pair`).
"""

from __future__ import annotations

import pandas as pd

from snapens.evaluate.metrics import SUBSET_NLL

# models besides final and ensemble, and what each is compared with
# (swa: every snapshot's weights averaged; swa_tail: the last half's, as SWA does)
EXTRA_MODELS = {"swa": "final", "swa_tail": "swa", "weighted": "ensemble"}

BOUNDARY = "boundary_fits"  # temperatures fitted at a bound of the search (per model)
DIVERGED_MEMBERS = "diverged_members"  # runs.csv, summary.csv: trained models that diverged
DIVERGED_RUNS = "diverged_runs"  # summary.csv: runs with a diverged model

TOO_FEW = "too few repeats"  # the verdict of a family that cannot reject at its repeats

SWEEP_KEYS = ["dataset", "method", "base", "role", "swept"]
# sweep.csv's comparisons of a grid point's full ensemble: the ``comparison``
# of paired_tests.csv -> what it is measured against; their columns: :func:`column`
COMPARISONS = {
    "final": "its own final model",
    "single": "the best single model at equal cost",
    "equal": "the equal-cost independent ensemble of the same size",
}
SHORT = {"final": "own final model", "single": "best single model", "equal": "equal-cost ensemble"}  # figures
PREFIXES = {"final": "diff", "single": "vs_single", "equal": "vs_equal"}  # diff_: the contract's name


def column(comparison: str, metric: str, stat: str) -> str:
    """The ``sweep.csv`` column of a comparison's statistic, e.g.
    ``diff_nll_p_holm`` (ensemble minus its own final model) or
    ``vs_single_accuracy_mean``."""
    return f"{PREFIXES[comparison]}_{metric}_{stat}"


# a comparison's statistic in sweep.csv (:func:`column`) -> its column of paired_tests.csv
COMPARISON_STATS = {
    "mean": "mean_diff",
    "median": "median_diff",
    "ci_low": "ci_low",
    "ci_high": "ci_high",
    "p": "p_value",
    "p_holm": "p_holm",
    "sim_ci_low": "sim_ci_low",
    "sim_ci_high": "sim_ci_high",
    "verdict": "verdict",
    "relative": "relative",
    "standardised": "standardised",
    "wins": "wins",
    "ties": "ties",
    "losses": "losses",
    "baseline": "mean_b",
    "chosen": "b_chosen",
}

# the metrics of the deep ensemble equivalent, the primary first (Ashukha et
# al. 2020: calibrated), each with its reference curve's column prefix
DEE_METRICS = {"nll_calibrated": f"{SUBSET_NLL}_calibrated", "nll": SUBSET_NLL}


def pair(
    paired_df: pd.DataFrame,
    dataset: str,
    metric: str,
    method: str,
    a_model: str = "ensemble",
    b_model: str = "final",
    comparison: str | None = None,
) -> pd.Series:
    """The row of ``paired_df`` (``paired_tests.csv``) comparing ``a_model``
    of ``method`` with ``b_model`` (of the same method, unless ``comparison``
    names a baseline comparison of :data:`COMPARISONS`)."""
    sel = (paired_df.dataset == dataset) & (paired_df.metric == metric) & (paired_df.a_method == method)
    if comparison in (None, "final"):
        sel &= (
            (paired_df.b_method == method) & (paired_df.a_model == a_model) & (paired_df.b_model == b_model)
        )
    else:
        sel &= paired_df.comparison == comparison
    return paired_df[sel].iloc[0]
