"""The sweeps in words, read from ``sweep.csv``: per judged swept method and
comparison, where on the grid its ensemble is better and where worse (the
Holm-adjusted verdicts), where runs diverged, where the last snapshot is
not annealed, whether two variants agree; and ``summary.md``'s section of
grid tables."""

from __future__ import annotations

import pandas as pd

from snapens.analyse.contract import COMPARISONS, DIVERGED_RUNS, PREFIXES, TOO_FEW, column
from snapens.analyse.grid import comparisons_of, headline_metrics, judged, point_text, points_text, verdict
from snapens.analyse.limit_text import limit_sentences, limit_values, share_text
from snapens.analyse.statistics import repeats_needed
from snapens.core import numbers
from snapens.core.sweeps import axes, value_label


def _counts(grid_rows: pd.DataFrame, comparison: str, rates: int = 1, confidence: float = 0.95) -> str:
    """Per headline metric: at how many of the grid points (``grid_rows``) the ensemble
    is better and worse, and where; that no verdict (or no "worse" verdict
    against the best of ``rates`` single models) is possible at the repeats."""
    n = len(grid_rows)
    parts = []
    for name, m in headline_metrics().items():
        rows = [r for _, r in grid_rows.iterrows()]
        if rows and all(verdict(r, name, comparison) == TOO_FEW for r in rows):
            needed = repeats_needed(n)
            parts.append(
                f"in {m.label} no verdict is possible at {int(grid_rows.repeats.min())} repeats (an exact test of a "
                f"family of {n} needs {needed} repeats of one sign, without ties, for a first verdict)"
            )
            continue
        better = [r for r in rows if verdict(r, name, comparison) == "better"]
        worse = [r for r in rows if verdict(r, name, comparison) == "worse"]
        better_at = f" ({points_text(grid_rows, better)})" if better else ""
        worse_at = f" ({points_text(grid_rows, worse)})" if worse and len(worse) <= n // 2 else ""
        parts.append(f"in {m.label} at {len(better)} of {n}{better_at}, worse at {len(worse)}{worse_at}")
    reps, needed = int(grid_rows.repeats.min()), repeats_needed(n * rates, confidence)
    if comparison == "single" and rates > 1 and (needed is None or needed > reps):
        parts.append(
            f'no "worse" verdict is possible at {reps} repeats (worse than one of {rates} rates, a family of '
            f"{n} needs {needed or 'more'} repeats of one sign)"
        )
    return "; ".join(parts)


def sweep_sentences(sweep: pd.DataFrame, dataset: str, confidence: float = 0.95) -> list[str]:
    """Per judged swept method of ``dataset`` (``sweep``: ``sweep.csv``) and comparison: where its
    ensemble is better and where worse (Holm-adjusted within each family),
    on each headline metric, counted over the grid points with more than one
    member (a one-member ensemble is its final model)."""
    out = []
    for base, grid_rows in judged(sweep[sweep.dataset == dataset]).groupby("base", sort=False):
        rates = int((grid_rows.members == 1).sum())  # the single models the best is sought among
        grid_rows = grid_rows[grid_rows.members > 1]
        if not len(grid_rows):
            continue
        reps = int(grid_rows.repeats.min())
        for comparison in comparisons_of(grid_rows):
            chosen = ""
            if comparison == "single":
                picks = sorted(
                    {
                        str(c)
                        for n in headline_metrics()
                        for c in grid_rows[column("single", n, "chosen")].dropna()
                    }
                )
                chosen = (
                    " (every single-model rate, nothing chosen: better than the best only if better than each "
                    f"rate, worse if worse than one; the rate of the best mean: {', '.join(picks)})"
                )
            out.append(
                f"``{base}`` on {dataset} ({len(grid_rows)} grid point{'s' if len(grid_rows) > 1 else ''} with more than one "
                f"member, {reps} repeats "
                f"each) against {COMPARISONS[comparison]}{chosen}: its ensemble is better (sign-flip test, "
                f"Holm-adjusted over the family of {len(grid_rows)}) "
                + _counts(grid_rows, comparison, rates, confidence)
                + "."
            )
            out += divergence_sentences(grid_rows, base, comparison, 1 - confidence)
        out += annealing_sentences(grid_rows, base)
    return out + variant_sentences(sweep, dataset)


def divergence_sentences(
    grid_rows: pd.DataFrame, base: str, comparison: str, alpha: float = 0.05
) -> list[str]:
    """Where the grid points of ``base`` (rows ``grid_rows``) or their baseline of
    ``comparison`` had runs that diverged, and where McNemar's exact test,
    Holm-adjusted over the grid, finds their divergence rates different."""
    prefix = PREFIXES[comparison]
    points_diverged = grid_rows.get(DIVERGED_RUNS)
    baselines_diverged = grid_rows.get(f"{prefix}_diverged_baseline")
    if points_diverged is None or baselines_diverged is None:
        return []
    if not (points_diverged.fillna(0).sum() + baselines_diverged.fillna(0).sum()):
        return []
    hit = [r for _, r in grid_rows.iterrows() if r[DIVERGED_RUNS] or r[f"{prefix}_diverged_baseline"]]
    parts = [
        f"{point_text(r)}: {int(r[DIVERGED_RUNS])} against {int(r[f'{prefix}_diverged_baseline'])}"
        + (" (different rates)" if r[f"{prefix}_diverged_p_holm"] <= alpha + 1e-12 else "")
        for r in hit
    ]
    return [
        f"Runs that diverged (a non-finite output, or a test row's loss beyond 744 nats), ``{base}`` against "
        f"{COMPARISONS[comparison]}, of {int(grid_rows.repeats.min())}: "
        + "; ".join(parts)
        + ". Rates are compared "
        "by McNemar's exact test, Holm-adjusted over the grid; diverged runs stay in every comparison, "
        "their rows counting at most 13.8 nats in the capped NLLs."
    ]


def annealing_sentences(grid_rows: pd.DataFrame, base: str) -> list[str]:
    """Which grid points of ``base`` (rows ``grid_rows``) take their last snapshot
    above :data:`snapens.train.schedules.ANNEALED` of the peak rate."""
    if "annealed" not in grid_rows or not grid_rows["annealed"].isin(["yes", "no"]).any():
        return []
    late = [r for _, r in grid_rows.iterrows() if r["annealed"] == "no"]
    if not late:
        return [f"Every grid point of ``{base}`` takes its last snapshot at or below 10% of its peak rate."]
    worst = max(late, key=lambda r: r["last_lr_fraction"])
    return [
        f"``{base}`` takes its last snapshot above 10% of the peak rate (not annealed; flagged in "
        f"sweep.csv's ``annealed`` and by a corner triangle in the heatmaps) at {len(late)} of {len(grid_rows)} "
        f"points ({points_text(grid_rows, late)}), up to {worst['last_lr_fraction']:.0%} at {point_text(worst)}."
    ]


def variant_sentences(sweep: pd.DataFrame, dataset: str) -> list[str]:
    """Whether the verdicts of two judged swept methods on the same grid (e.g.
    the per-epoch and the per-iteration cosine) agree: per comparison and
    headline metric, the grid points (more than one member) where they
    differ, the first judged method being the reference."""
    judged_rows = judged(sweep[sweep.dataset == dataset])
    judged_rows = judged_rows[judged_rows.members > 1]
    bases = list(dict.fromkeys(judged_rows["base"]))
    if len(bases) < 2:
        return []
    out = []
    first = judged_rows[judged_rows.base == bases[0]]
    keys = first["swept"].iloc[0].split()
    for other in bases[1:]:
        second = judged_rows[judged_rows.base == other]
        if second["swept"].iloc[0].split() != keys:
            continue
        pairs = first.merge(second, on=keys, suffixes=("", "_b"))
        parts = []
        rows = [(r, {k[:-2]: v for k, v in r.items() if k.endswith("_b")}) for _, r in pairs.iterrows()]
        for comparison in comparisons_of(first):
            for name, m in headline_metrics().items():
                differ = [
                    f"{point_text(a)}: {verdict(a, name, comparison)} vs {verdict(b, name, comparison)}"
                    for a, b in rows
                    if verdict(a, name, comparison) != verdict(b, name, comparison)
                ]
                parts.append(
                    f"against {SHORT_COMPARISON[comparison]}, {m.label}: the same at {len(rows) - len(differ)} "
                    f"of {len(rows)}" + (f" (differ: {'; '.join(differ)})" if differ else "")
                )
        out.append(
            f"Verdicts of ``{other}`` against those of ``{bases[0]}`` on {dataset}, grid point by grid point: "
            + "; ".join(parts)
            + "."
        )
    return out


SHORT_COMPARISON = {
    "single": "the best single model",
    "equal": "the equal-cost ensemble",
    "final": "its own final model",
}


def grid_digits(grid_rows: pd.DataFrame, comparison: str, name: str) -> int:
    """The shared decimals of a grid's differences against ``comparison``:
    from their simultaneous intervals."""
    lo, hi = column(comparison, name, "sim_ci_low"), column(comparison, name, "sim_ci_high")
    if lo not in grid_rows or hi not in grid_rows:
        return numbers.shared_decimals([])
    return numbers.shared_decimals(list((grid_rows[hi] - grid_rows[lo]).dropna()))


def _grid_table(grid_rows: pd.DataFrame, title: str, cell) -> list[str]:
    """A markdown table of one swept method's grid points, laid out by
    :func:`snapens.core.sweeps.axes`; ``cell(row)`` is each point's text."""
    cols, rows_key = axes(grid_rows["swept"].iloc[0])
    col_values = sorted(dict.fromkeys(grid_rows[cols]))
    lines = [
        f"#### {title}, columns: {cols}",
        "",
        "| "
        + (" ".join(rows_key) or "point")
        + " | "
        + " | ".join(value_label(v) for v in col_values)
        + " |",
        "|---|" + "---:|" * len(col_values),
    ]
    for key, row_points in grid_rows.groupby(rows_key or (lambda _: ""), sort=False):
        name = " ".join(value_label(v) for v in (key if isinstance(key, tuple) else (key,)))
        cells = {r[cols]: r for _, r in row_points.iterrows()}
        lines.append(
            f"| {name or '-'} | "
            + " | ".join("" if v not in cells else cell(cells[v]) for v in col_values)
            + " |"
        )
    return lines + [""]


def sweep_section(
    sweep: pd.DataFrame, dataset: str, pct: int, limits: pd.DataFrame | None = None
) -> list[str]:
    """Per judged swept method, comparison and headline metric: the
    ensemble minus the baseline over the grid; where the data's limit is
    known, the share of the best single model's distance to it closed."""
    part = judged(sweep[sweep.dataset == dataset])
    if not len(part):
        return []
    lines = [
        "### Sweeps",
        "",
        *sweep_sentences(sweep, dataset, pct / 100),
        "",
        *[line for text in limit_sentences(sweep, limits, dataset) for line in (text, "")],
        "Ensemble minus the baseline, mean over repeats; `+`/`-`: better/worse after Holm's "
        f"adjustment within the grid (sign-flip test, {pct}% family-wise); unmarked: unclear or "
        f"{TOO_FEW}; empty: not compared (a one-member ensemble is its final model).",
        "",
    ]
    for base, grid_rows in part.groupby("base", sort=False):
        for comparison in comparisons_of(grid_rows):
            for name, m in headline_metrics().items():
                title = f"{base} vs {COMPARISONS[comparison]}: {m.label} ({m.direction})"
                lines += _grid_table(grid_rows, title, _difference_cell(grid_rows, comparison, name))
        if limit_values(limits, dataset) is not None and "single" in comparisons_of(grid_rows):
            lines += _share_tables(grid_rows, base, pct)
    return lines


def _difference_cell(grid_rows: pd.DataFrame, comparison: str, name: str):
    """A grid table's cell: the point's mean difference against ``comparison``
    in metric ``name``, marked ``+``/``-`` by its verdict; empty if not tested."""
    digits = grid_digits(grid_rows, comparison, name)
    marks = {"better": "+", "worse": "-"}

    def text(row) -> str:
        found = verdict(row, name, comparison)
        if found == "not tested":
            return ""
        return numbers.fmt(row[column(comparison, name, "mean")], digits, True) + marks.get(found, "")

    return text


def _share_tables(grid_rows: pd.DataFrame, base: str, pct: int) -> list[str]:
    """Per headline metric, the share of the best single model's distance to
    the limit each grid point's ensemble closes."""
    lines = [
        "Share of the best single model's distance to the limit (Bayes-optimal classifier) that "
        "each ensemble closes, (ensemble - single) / (limit - single) summed over repeats, against "
        f"the single-model rate of the best mean, with its {pct}% interval for the best rate (the "
        "sign-flip test of the ratio inverted for every rate; unbounded where the distance itself is "
        "not clearly non-zero); every grid point, none picked.",
        "",
    ]
    for name, m in headline_metrics().items():
        lines += _grid_table(
            grid_rows[grid_rows.members > 1],
            f"{base}: share of the distance to the limit closed, {m.label}",
            lambda r, name=name: share_text(r, name),
        )
    return lines
