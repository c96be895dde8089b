"""The data drawn once against the data redrawn for every repeat: which
datasets are twins (:func:`snapens.data.kinds.redrawn_pairs`), and whether the
ensemble-minus-final verdicts of the one hold on the other, as a section of
``summary.md`` and as sentences of both front pages."""

from __future__ import annotations

from snapens.analyse.contract import pair
from snapens.analyse.grid import headline_metrics
from snapens.analyse.wording import fmt_ci, row_digits


def _draw_verdicts(summary, paired_df, redrawn: str, fixed: str):
    """Per method run on both and headline metric: the ensemble-minus-final
    pair of the fixed and of the redrawn dataset."""
    methods = [
        m
        for m in summary[summary.dataset == fixed].method
        if m in set(summary[summary.dataset == redrawn].method)
    ]
    for method in methods:
        for name, m in headline_metrics().items():
            yield (
                method,
                name,
                m,
                pair(paired_df, fixed, name, method),
                pair(paired_df, redrawn, name, method),
            )


def draw_section(summary, paired_df, pairs: dict[str, str], pct: int) -> list[str]:
    """``summary.md``: the fixed data and the data redrawn per repeat side by
    side, ensemble minus final model per method and headline metric, from
    ``summary`` and ``paired_df`` (``summary.csv``, ``paired_tests.csv``);
    ``pairs``: :func:`snapens.data.kinds.redrawn_pairs`; ``pct``: the confidence in percent."""
    lines = []
    for redrawn, fixed in pairs.items():
        lines += [
            f"## {fixed} (one draw) against {redrawn} (a new draw per repeat)",
            "",
            f"Ensemble minus final model, mean [{pct}% CI], Holm-adjusted verdict. The fixed data vary "
            "the seed only; the redrawn ones the seed and the data, so their intervals cover both.",
            "",
            f"| method | metric | {fixed} | verdict | {redrawn} | verdict |",
            "|---|---|---|---|---|---|",
        ]
        rows = list(_draw_verdicts(summary, paired_df, redrawn, fixed))
        for method, name, m, a, b in rows:
            same_metric = [side for _, n, _, *sides in rows if n == name for side in sides]
            digits = row_digits([], (), same_metric)
            lines.append(
                f"| {method} | {m.label} | {fmt_ci(a.mean_diff, a.ci_low, a.ci_high, digits, True)} "
                f"| {a.verdict} | {fmt_ci(b.mean_diff, b.ci_low, b.ci_high, digits, True)} | {b.verdict} |"
            )
        lines.append("")
    return lines


def draw_sentences(summary, paired_df, pairs: dict[str, str]) -> list[str]:
    """Whether the ensemble-minus-final verdicts survive a new draw of the
    data, per pair of :func:`snapens.data.kinds.redrawn_pairs` (``pairs``) that has methods on both."""
    out = []
    for redrawn, fixed in pairs.items():
        rows = list(_draw_verdicts(summary, paired_df, redrawn, fixed))
        if not rows:
            continue
        differ = [
            f"{method} {m.label}: {a.verdict} vs {b.verdict}"
            for method, _, m, a, b in rows
            if a.verdict != b.verdict
        ]
        out.append(
            f"Redrawn per repeat ({redrawn}), the ensemble-minus-final verdicts of {fixed} hold at "
            f"{len(rows) - len(differ)} of {len(rows)} method x metric pairs"
            + (f"; they differ at {'; '.join(differ)}." if differ else ".")
        )
    return out
