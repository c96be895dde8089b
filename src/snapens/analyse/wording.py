"""How the front pages (``summary.md`` and ``headline.rst``) write numbers
and the procedure: an interval, a p-value (at its floor, "≤ x"), the shared
decimals of a table, a table cell of a mean and its interval, and the
sentences on how the paired comparisons are made, their multiplicity and
the study's config hash."""

from __future__ import annotations

import pandas as pd

from snapens.analyse.contract import TOO_FEW
from snapens.core import numbers


def procedure_text(pct: int) -> str:
    """How every paired comparison is made and what its verdict means (at ``pct`` % confidence)."""
    return (
        "Differences are ensemble minus final (or minus the named baseline), paired by seed and "
        "computed exactly (accuracy on counts of test rows, the other metrics on a grid of 1e-9). Each "
        "is tested by a sign-flip test of its mean (exact when the two methods do not differ: the two "
        f"runs of a seed are then exchangeable), and its {pct}% interval is that test inverted. "
        "p (Holm): adjusted within its family (one dataset x metric x comparison x swept method); the "
        f"verdict is the adjusted one: better or worse at p (Holm) <= {1 - pct / 100:.2f}, else unclear, "
        f"or {TOO_FEW} where even every repeat of one sign could not reach Holm's first threshold. "
        "A verdict says the methods differ and which way their mean difference points; where they "
        "differ in spread or skew but not in mean, the test rejects more often than its level "
        '(docs/inference.md measures how often). A p written "≤ x" is at the floor of a test '
        "resampled with random sign patterns (none reached the observed mean; x = 2 / (patterns + 1)): the "
        "p is at most x, and its Holm-adjusted p at most the one shown. Every number has the decimals "
        "that give its table's typical interval width two significant digits. The headline NLLs are capped: a test row counts at "
        "most 13.8 nats (probability 1e-6), so no confidently wrong row or diverged run decides a mean; "
        "the exact NLLs are reported beside them."
    )


def multiplicity_sentence(paired_df: pd.DataFrame, confidence: float) -> str:
    """The scope of the study's multiplicity control, counted from its
    paired tests (``paired_df``: ``paired_tests.csv``)."""
    tested = paired_df[paired_df.family_size.fillna(0) > 0] if "family_size" in paired_df else paired_df
    families = tested.groupby(["dataset", "metric", "comparison", "family"], dropna=False).ngroups
    alpha = 1 - confidence
    return (
        f"Holm's adjustment holds the chance of any false verdict at {alpha:.0%} within each family "
        f"(one dataset x metric x comparison x swept method), not across the study's {families} "
        "families: among them a few false verdicts are expected by chance."
    )


def provenance_line(config_hash: str | None) -> list[str]:
    """The lines naming the study's config hash (none without one)."""
    if not config_hash:
        return []
    return [
        f"Study config hash: `{config_hash}` (SHA-256 of the resolved config without "
        "`execution`; `results/tables/study.json` holds that config).",
        "",
    ]


def paragraphs(texts) -> list[str]:
    """Each text as a paragraph: its line, then an empty one."""
    return [line for text in texts for line in (text, "")]


def fmt_ci(mean, lo, hi, digits=3, signed: bool = False) -> str:
    """ "mean [low, high]" with ``digits`` decimals, signed if ``signed``
    (:mod:`snapens.core.numbers`)."""
    return numbers.fmt_interval(mean, lo, hi, digits, signed)


def p_text(p, holm: bool = False) -> str:
    """A paired row's (``p``, of ``paired_tests.csv``) p (or Holm-adjusted p): "≤ floor" where a resampled
    test's p is at its floor (:func:`snapens.core.numbers.fmt_p`)."""
    floor = getattr(p, "p_floor", float("nan"))
    at_floor = numbers.resampled_floor(p.n, floor) and p.p_value <= floor * (1 + 1e-9)
    return numbers.fmt_p(p.p_holm if holm else p.p_value, at_floor)


def cell(row, prefix: str, digits: int) -> str:
    """A table cell: ``row``'s mean of ``prefix`` (e.g. ``final_nll``) and its interval."""
    return fmt_ci(row[f"{prefix}_mean"], row[f"{prefix}_ci_low"], row[f"{prefix}_ci_high"], digits)


def interval_width(lo, hi) -> float:
    """``hi - lo``; NaN where either end is missing."""
    return float(hi - lo) if pd.notna(lo) and pd.notna(hi) else float("nan")


def row_digits(rows, prefixes, pairs=()) -> int:
    """The shared decimals of a table (:func:`snapens.core.numbers.shared_decimals`):
    from the intervals of ``rows``' columns ``{prefix}_ci_low/high`` and of the
    paired rows ``pairs``."""
    widths = [interval_width(r[f"{x}_ci_low"], r[f"{x}_ci_high"]) for r in rows for x in prefixes]
    widths += [interval_width(p.ci_low, p.ci_high) for p in pairs]
    return numbers.shared_decimals(widths)
