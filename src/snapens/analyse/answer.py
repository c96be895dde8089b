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
from snapens.core.settings import independent, shares_budget
from snapens.evaluate.metrics import METRICS, NATS
from snapens.train.schedules import CYCLIC

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
    for base, g in judged(sweep[sweep.dataset == dataset]).groupby("base", sort=False):
        g = g[g.members > 1]
        if len(g) and "single" in comparisons_of(g):
            out.append((base, g))
    return out


def _comparisons(g: pd.DataFrame) -> list[str]:
    """The equal-cost comparisons rows ``g`` have: the best single model,
    then the equal-cost ensemble."""
    return [c for c in comparisons_of(g) if c != "final"]


def pays_rows(g: pd.DataFrame, name: str) -> list:
    """Grid points where the ensemble is better than every equal-cost
    baseline it is compared with (Holm-adjusted verdicts) on ``name``."""
    comparisons = _comparisons(g)
    return [
        r
        for _, r in g.iterrows()
        if comparisons and all(verdict(r, name, c) == "better" for c in comparisons)
    ]


def _largest_gain(g: pd.DataFrame, rows: list, name: str, dataset: str) -> Claim | None:
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


def _undecidable(g: pd.DataFrame, name: str) -> bool:
    """Whether every verdict of ``g`` on ``name`` is "too few repeats"."""
    verdicts = [verdict(r, name, c) for _, r in g.iterrows() for c in _comparisons(g)]
    return bool(verdicts) and all(v == TOO_FEW for v in verdicts)


def _pays_text(g: pd.DataFrame, name: str) -> str:
    """Where the ensembles of ``g`` pay ("pays at 2 of 20 grid points
    (lr_max 0.1: members 10, 50)"), or that nothing can be said."""
    if _undecidable(g, name):
        return f"no verdict is possible at {int(g.repeats.min())} repeats"
    pays = pays_rows(g, name)
    where = f" ({points_text(g, pays)})" if pays else ""
    return f"pays at {len(pays)} of {len(g)} grid points{where}"


def _metric_claims(g: pd.DataFrame, dataset: str, name: str, rates: int, confidence: float) -> list[Claim]:
    """Whether ``g``'s ensembles pay on ``name``: the grid points where they
    beat every equal-cost baseline, the largest gain, the counts per baseline."""
    m = METRICS[name]
    out = [Claim(f"{m.label[0].upper() + m.label[1:]}: {_pays_text(g, name)}")]
    gain = _largest_gain(g, pays_rows(g, name) or [r for _, r in g.iterrows()], name, dataset)
    if gain is not None:
        out.append(gain)
    if _undecidable(g, name):
        return [*out, Claim(". ")]
    counts = []
    for c in _comparisons(g):
        better = sum(verdict(r, name, c) == "better" for _, r in g.iterrows())
        worse = sum(verdict(r, name, c) == "worse" for _, r in g.iterrows())
        counts.append(f"against the {SHORT[c]} it is better at {better}, worse at {worse}")
    reps, needed = int(g.repeats.min()), repeats_needed(len(g) * rates, confidence)
    if "single" in _comparisons(g) and rates > 1 and (needed is None or needed > reps):
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
    for i, (base, g) in enumerate(groups):
        reps = int(g.repeats.min())
        rates = int(((sweep.dataset == dataset) & (sweep.base == base) & (sweep.members == 1)).sum())
        if i == 0:
            out.append(Claim(f"**{dataset}**, `{base}` ({reps} repeats). "))
            for name in ANSWER_METRICS:
                out += _metric_claims(g, dataset, name, rates, confidence)
        else:
            short = "; ".join(f"{METRICS[n].label} {_pays_text(g, n)}" for n in ANSWER_METRICS)
            out.append(Claim(f"`{base}` ({reps} repeats): {short}. "))
    if twin is not None and groups:
        out += redraw_claims(sweep, dataset, twin)
    return out


def redraw_claims(sweep: pd.DataFrame, fixed: str, redrawn: str) -> list[Claim]:
    """Whether the fixed draw's "pays" points hold on the data redrawn for
    every repeat (the same grid points of the same swept methods)."""
    out = []
    theirs = dict(judged_groups(sweep, redrawn))
    for base, g in judged_groups(sweep, fixed):
        h = theirs.get(base)
        if h is None:
            continue
        parts, fixed_count = [], []
        for name in ANSWER_METRICS:
            mine = {r["method"] for r in pays_rows(g, name)}
            other = {r["method"] for r in pays_rows(h, name)}
            same = f", {len(mine & other)} of them among the fixed draw's" if mine and other else ""
            parts.append(f"{METRICS[name].label} at {len(other)} of {len(h)} grid points{same}")
            fixed_count.append(str(len(mine)))
        out.append(
            Claim(
                f"On data redrawn for every repeat ({redrawn}, {int(h.repeats.min())} repeats), `{base}` pays in "
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
        base, g = groups[0]
        if _undecidable(g, name):
            open_.append(f"{dataset} ({int(g.repeats.min())} repeats)")
            continue
        rows = pays_rows(g, name)
        (pays if rows else not_pays).append(
            f"{dataset} ({len(rows)} of {len(g)} grid points: {points_text(g, rows)})" if rows else dataset
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
    return {
        "better": "better",
        "worse": "worse",
        "unclear": "no clear difference",
        TOO_FEW: "too few repeats to judge",
    }.get(verdict, verdict)


def final_claims(
    summary: pd.DataFrame, paired_df: pd.DataFrame, dataset: str, twin: str | None = None
) -> list[Claim]:
    """The answer a study without baselines can give on ``dataset``: the
    lead method's ensemble of all snapshots against its own final model."""
    sdf = summary[summary.dataset == dataset]
    if not len(sdf):
        return []
    lead = "snapshot" if "snapshot" in set(sdf.method) else sdf.method.iloc[0]
    row = sdf.set_index("method").loc[lead]
    n, members = int(row["repeats"]), int(row["members"]) if "members" in row else None
    out = [
        Claim(
            f"**{dataset}**, `{lead}` ({n} repeats): the average of its "
            + (f"{members} snapshots" if members else "snapshots")
            + " against its own final model (the same training run): "
        )
    ]
    names = ("accuracy", "nll_capped", "nll_calibrated_capped")
    for i, name in enumerate(n for n in names if n in METRICS):
        p = pair(paired_df, dataset, name, lead)
        sign = 1 if METRICS[name].higher_is_better else -1
        lo, hi = sorted((sign * p.ci_low, sign * p.ci_high))
        d = decimals(hi - lo)
        unit = f" {_unit(name)}" if _unit(name) else ""
        out.append(
            Claim(
                ("" if i == 0 else "; ")
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
        )
    out.append(Claim(". "))
    if (
        twin is not None
        and twin in set(summary.dataset)
        and lead in set(summary[summary.dataset == twin].method)
    ):
        words = []
        for name in (n for n in names if n in METRICS):
            p = pair(paired_df, twin, name, lead)
            words.append(f"{METRICS[name].label} {_phrase(p.verdict)}")
        out.append(
            Claim(
                f"On data redrawn for every repeat ({twin}), the same comparison gives: {', '.join(words)}. "
            )
        )
    return out


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


# --- the glossary ------------------------------------------------------------------

SCHEDULE_WORDS = {
    "cosine_epoch": "cosine annealing from {lr_max} restarted at every cycle, the rate set once per epoch",
    "cosine_step": "cosine annealing from {lr_max} restarted at every cycle, the rate set every iteration",
    "triangular": "a triangular cyclical rate between {lr_min} and {lr_max}, each cycle ending at its minimum",
    "step_decay": "a rate of {lr} multiplied by {factor} at {milestones} of training",
    "constant": "a constant rate of {lr}",
}


def _schedule_text(schedule: dict) -> str:
    params = {k: f"{v:g}" if isinstance(v, float) else v for k, v in schedule.items()}
    if "milestones" in params:
        params["milestones"] = " and ".join(f"{m:.0%}" for m in params["milestones"])
    return SCHEDULE_WORDS[schedule["name"]].format(**params)


def method_line(name: str, spec: dict, grid: dict | None = None) -> str:
    """One line saying what a method trains and averages, from its config."""
    grid = grid or {}
    k = "M" if "members" in grid else spec["members"]
    params = {**spec["schedule"], **({"lr_max": "lr_max"} if "lr_max" in grid else {})}
    schedule = _schedule_text(params)
    if independent(spec):
        schedule = schedule.replace(" restarted at every cycle", " (one cycle per model)")
        if shares_budget(spec):
            text = (
                f"{k} independent models sharing one model's epoch budget (each trains 1/{k} of it) with {schedule}, "
                "averaged: the equal-cost ensemble"
            )
        else:
            text = f"{k} independent models of the full epoch budget each ({k}x one model's cost) with {schedule}, averaged"
    else:
        taken = (
            f"one at the end of each of {k} equal cycles"
            if spec["schedule"]["name"] in CYCLIC
            else f"taken at the ends of {k} equal parts of training"
        )
        text = f"one training run with {schedule}; its {k} snapshots, {taken}, averaged"
        if spec.get("validation_fraction"):
            text += f", with member weights fitted on {spec['validation_fraction']:.0%} of the training rows held out"
    if grid:
        text += "; swept over " + " x ".join(
            f"{key} in {', '.join(f'{v:g}' for v in values)}" for key, values in grid.items()
        )
    return f"`{name}`: {text}."


TERMS = (
    "*final model*: the last snapshot of a run (the model one would deploy without ensembling); *ensemble*: "
    "the average of the predicted probabilities of all of a method's members, fixed in advance.",
    "*best single model*: the one-member runs of a swept method at every peak rate; the ensemble is better "
    "than it only if better than the single model at each rate, worse if worse than one.",
    "*equal-cost ensemble*: independent models sharing one model's epoch budget, of the same size and peak "
    "rate as the snapshot ensemble; *pays*: better than both at equal training cost.",
    "*capped NLL*: the mean negative log-likelihood of the test rows, each row counting at most 13.8 nats "
    "(probability 1e-6); *calibrated*: after temperature scaling (the logits divided by one temperature, "
    "fitted on one half of the test rows and scored on the other, then the other way round).",
    "*DEE* (deep ensemble equivalent): how many independently trained models of the reference would give "
    "the same calibrated NLL.",
    "*verdict*: better or worse when the Holm-adjusted p of a sign-flip test of the mean paired difference "
    "is at most 0.05, else unclear; a *Holm family* is one dataset x metric x comparison x swept method.",
    "*SWA*: stochastic weight averaging, the average of the snapshots' weights (one model) rather than "
    "of their predictions.",
)


def glossary(methods: dict | None, sweeps: dict | None = None, rst: bool = False) -> list[str]:
    """The front page's terms: each method of the study in one line, then
    the words the tables use."""
    lines = ["**Terms.**" if rst else "## Terms", ""]
    for name, spec in (methods or {}).items():
        lines.append(f"- {method_line(name, spec, (sweeps or {}).get(name))}")
    lines += [f"- {t}" for t in TERMS] + [""]
    return [line.replace("`", "``") for line in lines] if rst else lines
