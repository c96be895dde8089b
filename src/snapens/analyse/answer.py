"""The answer in words: the first lines of every study's front page
(``summary.md`` and the report's ``headline.rst``), and of the committed
findings, generated from the tables alone.

Per dataset it says whether the snapshot ensemble pays at equal training
cost (better than both the best single model and the equal-cost ensemble),
where on the grid, by how much (with the simultaneous interval over the
grid), how sure (the Holm-adjusted verdicts, the repeats), and whether the
answer survives a new draw of the data. A study without equal-cost baselines
answers the question it can (the ensemble against its own final model) and
names the configs that ask the other. Every sentence is a :class:`Claim`
naming the table row its numbers come from (a test checks them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from snapens.analyse.contract import SHORT, TOO_FEW, column, pair
from snapens.analyse.grid import comparisons_of, judged, point_text, points_text, verdict
from snapens.analyse.statistics import repeats_needed
from snapens.core.numbers import decimals, fmt
from snapens.evaluate.metrics import METRICS, NATS

# the metrics the answer speaks of, in its order (calibrated NLL first: the
# spec's primary measure of a probabilistic classifier; then accuracy)
ANSWER_METRICS = ("nll_calibrated_capped", "accuracy")
# a study without baselines names these for the equal-cost question
BUDGET_CONFIGS = (
    "`config/mnist1d-budget.yaml` (MNIST-1D, indicative, minutes)",
    "`config/sweep.yaml` (four datasets, the full grid, about an hour at --cores 2)",
)


@dataclass(frozen=True)
class Claim:
    """A sentence and where its numbers come from: ``table`` (a file name of
    the tables), the row whose columns ``key`` match, and the ``columns``
    whose values (times ``sign``) the sentence's decimals show."""

    text: str
    table: str = ""
    key: dict = field(default_factory=dict)
    columns: tuple[str, ...] = ()
    sign: int = 1


def _unit(name: str) -> str:
    """The unit written after a difference in words: nats; none for a share."""
    return METRICS[name].unit if METRICS[name].unit == NATS else ""


def _gain_interval(r, comparison: str, name: str) -> tuple[float, float, float, int]:
    """The ensemble's gain over ``comparison`` (positive favours the ensemble)
    with its simultaneous interval over the grid, and the sign applied to the
    table's difference."""
    sign = 1 if METRICS[name].higher_is_better else -1
    mean = sign * r[column(comparison, name, "mean")]
    a, b = (sign * r[column(comparison, name, s)] for s in ("sim_ci_low", "sim_ci_high"))
    return mean, min(a, b), max(a, b), sign


def judged_groups(sweep: pd.DataFrame | None, dataset: str):
    """``(base, rows)`` of each swept method of ``dataset`` judged against
    equal-cost baselines (:func:`snapens.analyse.grid.judged`), its grid
    points with more than one member."""
    if sweep is None or not len(sweep) or "role" not in sweep:
        return []
    out = []
    for base, grid_rows in judged(sweep[sweep.dataset == dataset]).groupby("base", sort=False):
        grid_rows = grid_rows[grid_rows.members > 1]
        if len(grid_rows) and "single" in comparisons_of(grid_rows):
            out.append((base, grid_rows))
    return out


def _comparisons(grid_rows: pd.DataFrame) -> list[str]:
    """The equal-cost comparisons rows ``grid_rows`` have: the best single model,
    then the equal-cost ensemble."""
    return [c for c in comparisons_of(grid_rows) if c != "final"]


def pays_rows(grid_rows: pd.DataFrame, name: str) -> list:
    """Grid points where the ensemble is better than every equal-cost
    baseline it is compared with (Holm-adjusted verdicts) on ``name``."""
    comparisons = _comparisons(grid_rows)
    return [
        r
        for _, r in grid_rows.iterrows()
        if comparisons and all(verdict(r, name, c) == "better" for c in comparisons)
    ]


def _largest_gain(grid_rows: pd.DataFrame, rows: list, name: str, dataset: str) -> Claim | None:
    """The point of ``rows`` with the largest gain over the best single model,
    with its simultaneous interval over the grid."""
    tested = [r for r in rows if verdict(r, name, "single") != "not tested"]
    if not tested:
        return None
    best = max(tested, key=lambda r: _gain_interval(r, "single", name)[0])
    mean, lo, hi, sign = _gain_interval(best, "single", name)
    d = decimals(hi - lo)
    unit = f" {_unit(name)}" if _unit(name) else ""
    cols = tuple(column("single", name, s) for s in ("mean", "sim_ci_low", "sim_ci_high"))
    return Claim(
        f", the largest gain over the best single model {fmt(mean, d, True)}{unit} "
        f"[{fmt(lo, d, True)}, {fmt(hi, d, True)}] at {point_text(best)}",
        "sweep.csv",
        {"dataset": dataset, "method": best["method"]},
        cols,
        sign,
    )


def _undecidable(grid_rows: pd.DataFrame, name: str) -> bool:
    """Whether every verdict of ``grid_rows`` on ``name`` is "too few repeats"."""
    verdicts = [verdict(r, name, c) for _, r in grid_rows.iterrows() for c in _comparisons(grid_rows)]
    return bool(verdicts) and all(v == TOO_FEW for v in verdicts)


def _pays_text(grid_rows: pd.DataFrame, name: str) -> str:
    """Where the ensembles of ``grid_rows`` pay ("pays at 2 of 20 grid points
    (lr_max 0.1: members 10, 50)"), or that nothing can be said."""
    if _undecidable(grid_rows, name):
        return f"no verdict is possible at {int(grid_rows.repeats.min())} repeats"
    pays = pays_rows(grid_rows, name)
    located = f" ({points_text(grid_rows, pays)})" if pays else ""
    return f"pays at {len(pays)} of {len(grid_rows)} grid points{located}"


def _metric_claims(
    grid_rows: pd.DataFrame, dataset: str, name: str, rates: int, confidence: float
) -> list[Claim]:
    """Whether ``grid_rows``'s ensembles pay on ``name``: the grid points where they
    beat every equal-cost baseline, the largest gain, the counts per baseline."""
    m = METRICS[name]
    out = [Claim(f"{m.label[0].upper() + m.label[1:]}: {_pays_text(grid_rows, name)}")]
    gain = _largest_gain(
        grid_rows, pays_rows(grid_rows, name) or [r for _, r in grid_rows.iterrows()], name, dataset
    )
    if gain is not None:
        out.append(gain)
    if _undecidable(grid_rows, name):
        return [*out, Claim(". ")]
    counts = []
    for c in _comparisons(grid_rows):
        better = sum(verdict(r, name, c) == "better" for _, r in grid_rows.iterrows())
        worse = sum(verdict(r, name, c) == "worse" for _, r in grid_rows.iterrows())
        counts.append(f"against the {SHORT[c]} it is better at {better}, worse at {worse}")
    reps, needed = int(grid_rows.repeats.min()), repeats_needed(len(grid_rows) * rates, confidence)
    if "single" in _comparisons(grid_rows) and rates > 1 and (needed is None or needed > reps):
        counts[0] += f' ("worse" than one of {rates} single-model rates needs {needed or "more"} repeats)'
    out.append(Claim("; " + "; ".join(counts) + ". "))
    return out


def sweep_claims(
    sweep: pd.DataFrame, dataset: str, twin: str | None = None, confidence: float = 0.95
) -> list[Claim]:
    """The answer for one dataset of a study with equal-cost baselines: in
    full for its first judged swept method, in short for the others; then
    whether the verdicts hold on ``twin`` (the data redrawn per repeat)."""
    groups = judged_groups(sweep, dataset)
    out = []
    for i, (base, grid_rows) in enumerate(groups):
        reps = int(grid_rows.repeats.min())
        rates = int(((sweep.dataset == dataset) & (sweep.base == base) & (sweep.members == 1)).sum())
        if i == 0:
            out.append(Claim(f"**{dataset}**, `{base}` ({reps} repeats). "))
            for name in ANSWER_METRICS:
                out += _metric_claims(grid_rows, dataset, name, rates, confidence)
        else:
            short = "; ".join(f"{METRICS[n].label} {_pays_text(grid_rows, n)}" for n in ANSWER_METRICS)
            out.append(Claim(f"`{base}` ({reps} repeats): {short}. "))
    if twin is not None and groups:
        out += redraw_claims(sweep, dataset, twin)
    return out


def redraw_claims(sweep: pd.DataFrame, fixed: str, redrawn: str) -> list[Claim]:
    """Whether the fixed draw's "pays" points hold on the data redrawn for
    every repeat (the same grid points of the same swept methods)."""
    out = []
    redrawn_groups = dict(judged_groups(sweep, redrawn))
    for base, grid_rows in judged_groups(sweep, fixed):
        redrawn_rows = redrawn_groups.get(base)
        if redrawn_rows is None:
            continue
        parts, fixed_count = [], []
        for name in ANSWER_METRICS:
            fixed_pays = {r["method"] for r in pays_rows(grid_rows, name)}
            redrawn_pays = {r["method"] for r in pays_rows(redrawn_rows, name)}
            same = (
                f", {len(fixed_pays & redrawn_pays)} of them among the fixed draw's"
                if fixed_pays and redrawn_pays
                else ""
            )
            parts.append(
                f"{METRICS[name].label} at {len(redrawn_pays)} of {len(redrawn_rows)} grid points{same}"
            )
            fixed_count.append(str(len(fixed_pays)))
        out.append(
            Claim(
                f"On data redrawn for every repeat ({redrawn}, {int(redrawn_rows.repeats.min())} repeats), `{base}` pays in "
                + " and in ".join(parts)
                + f" (on the fixed draw: {' and '.join(fixed_count)}). "
            )
        )
    return out


def _listing(items: list[str], word: str = "and") -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {word} {items[-1]}"


def overall_claim(sweep: pd.DataFrame, datasets: list[str]) -> Claim | None:
    """One sentence over the datasets: where the first judged method pays
    in the first of :data:`ANSWER_METRICS`, and where it does not."""
    name = ANSWER_METRICS[0]
    pays, not_pays, open_ = [], [], []
    for dataset in datasets:
        groups = judged_groups(sweep, dataset)
        if not groups:
            continue
        base, grid_rows = groups[0]
        if _undecidable(grid_rows, name):
            open_.append(f"{dataset} ({int(grid_rows.repeats.min())} repeats)")
            continue
        rows = pays_rows(grid_rows, name)
        (pays if rows else not_pays).append(
            f"{dataset} ({len(rows)} of {len(grid_rows)} grid points: {points_text(grid_rows, rows)})"
            if rows
            else dataset
        )
    if open_ and not pays and not not_pays:
        return Claim(
            f"At equal training cost, whether the snapshot ensemble pays cannot be judged: no verdict is "
            f"possible on {_listing(open_)}."
        )
    if not pays and not not_pays:
        return None
    head = (
        "At equal training cost, the snapshot ensemble pays (is better than the best single model and "
        f"than the equal-cost ensemble, Holm-adjusted) in {METRICS[name].label}"
    )
    if pays:
        text = f"{head} on {'; '.join(pays)}" + (
            f", and at no grid point on {_listing(not_pays, 'or')}" if not_pays else ""
        )
    else:
        text = f"{head} at no grid point on {_listing(not_pays, 'or')}"
    text += (f"; no verdict is possible on {_listing(open_)}" if open_ else "") + "."
    return Claim(text)


# --- a study without baselines: the ensemble against its own final model -------


def _phrase(verdict: str) -> str:
    """A verdict in words."""
    return {
        "better": "better",
        "worse": "worse",
        "unclear": "no clear difference",
        TOO_FEW: "too few repeats to judge",
    }.get(verdict, verdict)


FINAL_METRICS = ("accuracy", "nll_capped", "nll_calibrated_capped")  # a study without baselines


def final_claims(
    summary: pd.DataFrame, paired_df: pd.DataFrame, dataset: str, twin: str | None = None
) -> list[Claim]:
    """The answer a study without baselines can give on ``dataset`` (from
    ``summary.csv`` and ``paired_tests.csv``): the lead method's ensemble of
    all snapshots against its own final model; then the same on ``twin``
    (the data redrawn per repeat) where the lead method ran on it."""
    dataset_summary = summary[summary.dataset == dataset]
    if not len(dataset_summary):
        return []
    lead = "snapshot" if "snapshot" in set(dataset_summary.method) else dataset_summary.method.iloc[0]
    row = dataset_summary.set_index("method").loc[lead]
    n, members = int(row["repeats"]), int(row["members"]) if "members" in row else None
    out = [
        Claim(
            f"**{dataset}**, `{lead}` ({n} repeats): the average of its "
            + (f"{members} snapshots" if members else "snapshots")
            + " against its own final model (the same training run): "
        )
    ]
    names = [name for name in FINAL_METRICS if name in METRICS]
    for i, name in enumerate(names):
        out.append(_final_claim(pair(paired_df, dataset, name, lead), dataset, lead, name, n, i == 0))
    out.append(Claim(". "))
    if twin is not None and lead in set(summary[summary.dataset == twin].method):
        words = [
            f"{METRICS[name].label} {_phrase(pair(paired_df, twin, name, lead).verdict)}" for name in names
        ]
        out.append(
            Claim(
                f"On data redrawn for every repeat ({twin}), the same comparison gives: {', '.join(words)}. "
            )
        )
    return out


def _final_claim(p, dataset: str, lead: str, name: str, n: int, first: bool) -> Claim:
    """The ensemble's gain over the final model of ``lead`` in metric
    ``name`` (``p``: its row of ``paired_tests.csv``), with its interval,
    verdict and wins in ``n`` repeats."""
    sign = 1 if METRICS[name].higher_is_better else -1
    lo, hi = sorted((sign * p.ci_low, sign * p.ci_high))
    d = decimals(hi - lo)
    unit = f" {_unit(name)}" if _unit(name) else ""
    return Claim(
        ("" if first else "; ")
        + f"{METRICS[name].label}: {_phrase(p.verdict)} (gain {fmt(sign * p.mean_diff, d, True)}{unit} "
        f"[{fmt(lo, d, True)}, {fmt(hi, d, True)}], better in {int(p.wins)} of {n} repeats)",
        "paired_tests.csv",
        {
            "dataset": dataset,
            "metric": name,
            "comparison": "final",
            "a_method": lead,
            "a_model": "ensemble",
            "b_model": "final",
        },
        ("mean_diff", "ci_low", "ci_high"),
        sign,
    )


def answer_claims(
    summary: pd.DataFrame | None,
    paired_df: pd.DataFrame | None,
    sweep: pd.DataFrame | None = None,
    draws: dict[str, str] | None = None,
    confidence: float = 0.95,
) -> list[list[Claim]]:
    """The answer's paragraphs: one over the datasets (a study with
    equal-cost baselines), one per dataset (a redrawn dataset goes with its
    fixed twin, ``draws`` mapping the one to the other), then, for a study
    without baselines, where the equal-cost question is asked. Without
    ``summary`` and ``paired_df`` only ``sweep`` speaks (the committed findings)."""
    draws = draws or {}
    twin_of = {fixed: redrawn for redrawn, fixed in draws.items()}
    source = summary if summary is not None else sweep
    present = set(source.dataset)
    order = [d for d in dict.fromkeys(source.dataset) if not (d in draws and draws[d] in present)]
    has_sweep = sweep is not None and len(sweep) > 0
    overall = overall_claim(sweep, order) if has_sweep else None
    paragraphs = [[overall]] if overall is not None else []
    budget = False
    for dataset in order:  # a redrawn dataset is told with its fixed twin
        claims = sweep_claims(sweep, dataset, twin_of.get(dataset), confidence) if has_sweep else []
        budget = budget or bool(claims)
        if not claims and summary is not None and paired_df is not None:
            claims = final_claims(summary, paired_df, dataset, twin_of.get(dataset))
        if claims:
            paragraphs.append(claims)
    if not budget:
        paragraphs.append(
            [
                Claim(
                    "This study has no equal-cost baselines, so it cannot say whether the ensemble is the best use "
                    "of the training budget (against the best single model and k independent models sharing the "
                    f"budget); {' and '.join(BUDGET_CONFIGS)} ask that."
                )
            ]
        )
    return paragraphs


def answer_text(paragraphs: list[list[Claim]], rst: bool = False) -> list[str]:
    """The answer as lines: a heading, then one bullet per paragraph."""
    lines = ["**The answer.**" if rst else "## The answer", ""]
    for claims in paragraphs:
        text = "".join(c.text for c in claims).strip().replace(". .", ".").replace(" .", ".")
        if rst:
            text = text.replace("`", "``")
        lines += [f"- {text}", ""]
    return lines
