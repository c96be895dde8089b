"""The study's readable answers: ``summary.md`` and the report's front-page
``headline.rst``, written from the summary, paired-test and DEE tables.

Both follow :data:`snapens.evaluate.metrics.METRICS`: ``summary.md`` has a section per
metric, the headline the metrics marked ``headline``.
"""

from __future__ import annotations

import pandas as pd

from snapens.analyse import answer
from snapens.analyse.contract import (
    BOUNDARY,
    COMPARISONS,
    DEE_METRICS,
    DIVERGED_MEMBERS,
    DIVERGED_RUNS,
    EXTRA_MODELS,
    PREFIXES,
    TOO_FEW,
    column,
    pair,
)
from snapens.analyse.grid import (
    comparisons_of,
    dee_label,
    headline_metrics,
    judged,
    point_text,
    points_text,
    verdict,
)
from snapens.analyse.statistics import repeats_needed
from snapens.core import numbers
from snapens.core.sweeps import axes, label, value_label
from snapens.evaluate.metrics import METRICS, T_MAX, T_MIN, VOTE
from snapens.evaluate.scores import NONFINITE

EXTRA_TITLES = {
    "swa": ("All-snapshot weight average vs final model", "all-snapshot average", None),
    "swa_tail": (
        "Tail weight average vs all-snapshot weight average",
        "tail average",
        "The tail average takes the weights of the last half of the snapshots (rounded up), as SWA "
        "(Izmailov et al. 2018) averages late in training; the all-snapshot average includes the "
        "first, undertrained ones.",
    ),
    "weighted": (
        "Member weights fitted on a validation split vs equal weights",
        "weighted",
        "Weights minimise the log-loss on rows held out of the training data "
        "(never test data); these runs train on fewer rows, which the "
        "method-vs-method rows of paired_tests.csv price against the full-data methods.",
    ),
}


def procedure_text(pct: int) -> str:
    """How every paired comparison is made and what its verdict means."""
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
    """The scope of the study's multiplicity control, counted from its tables."""
    tested = paired_df[paired_df.family_size.fillna(0) > 0] if "family_size" in paired_df else paired_df
    families = tested.groupby(["dataset", "metric", "comparison", "family"], dropna=False).ngroups
    alpha = 1 - confidence
    return (
        f"Holm's adjustment holds the chance of any false verdict at {alpha:.0%} within each family "
        f"(one dataset x metric x comparison x swept method), not across the study's {families} "
        "families: among them a few false verdicts are expected by chance."
    )


def fmt_ci(mean, lo, hi, digits=3, signed: bool = False) -> str:
    """ "mean [low, high]" with ``digits`` decimals (:mod:`snapens.core.numbers`)."""
    return numbers.fmt_interval(mean, lo, hi, digits, signed)


def p_text(p, holm: bool = False) -> str:
    """A paired row's p (or Holm-adjusted p): "≤ floor" where a resampled
    test's p is at its floor (:func:`snapens.core.numbers.fmt_p`)."""
    floor = getattr(p, "p_floor", float("nan"))
    at_floor = numbers.resampled_floor(p.n, floor) and p.p_value <= floor * (1 + 1e-9)
    return numbers.fmt_p(p.p_holm if holm else p.p_value, at_floor)


def _cell(r, prefix: str, digits: int) -> str:
    return fmt_ci(r[f"{prefix}_mean"], r[f"{prefix}_ci_low"], r[f"{prefix}_ci_high"], digits)


def _width(lo, hi) -> float:
    return float(hi - lo) if pd.notna(lo) and pd.notna(hi) else float("nan")


def row_digits(rows, prefixes, pairs=()) -> int:
    """The shared decimals of a table (:func:`snapens.core.numbers.shared_decimals`):
    from the intervals of ``rows``' columns ``{prefix}_ci_low/high`` and of the
    paired rows ``pairs``."""
    widths = [_width(r[f"{x}_ci_low"], r[f"{x}_ci_high"]) for r in rows for x in prefixes]
    widths += [_width(p.ci_low, p.ci_high) for p in pairs]
    return numbers.shared_decimals(widths)


def provenance_line(config_hash: str | None) -> list[str]:
    if not config_hash:
        return []
    return [
        f"Study config hash: `{config_hash}` (SHA-256 of the resolved config without "
        "`execution`; `results/tables/study.json` holds that config).",
        "",
    ]


def _metric_section(sdf, paired_df, dataset, name, m) -> list[str]:
    lines = [
        f"### {m.label[0].upper() + m.label[1:]} ({m.direction})",
        "",
        "| method | repeats | final | ensemble | difference | p | p (Holm) | verdict | W/T/L |",
        "|---|---:|---|---|---|---:|---:|---|---|",
    ]
    rows = [r for _, r in sdf.iterrows()]
    pairs = [pair(paired_df, dataset, name, r.method) for r in rows]
    d = row_digits(rows, (f"final_{name}", f"ensemble_{name}"), pairs)
    for r, p in zip(rows, pairs, strict=True):
        diff = fmt_ci(p.mean_diff, p.ci_low, p.ci_high, d, signed=True)
        lines.append(
            f"| {r.method} | {r.repeats} | {_cell(r, f'final_{name}', d)} "
            f"| {_cell(r, f'ensemble_{name}', d)} | {diff} | {p_text(p)} "
            f"| {p_text(p, holm=True)} | {p.verdict} | {p.wins}/{p.ties}/{p.losses} |"
        )
    return [*lines, ""]


def redrawn_pairs(datasets: dict[str, dict]) -> dict[str, str]:
    """Each ``redraw: true`` dataset and the fixed dataset of the same
    generator (the same keys but ``redraw``, ``methods`` and the seed)."""

    def generator(spec):
        return {k: v for k, v in spec.items() if k not in ("redraw", "methods", "random_state")}

    out = {}
    for name, spec in datasets.items():
        if spec.get("redraw"):
            fixed = [
                f
                for f, other in datasets.items()
                if not other.get("redraw") and generator(other) == generator(spec)
            ]
            if fixed:
                out[name] = fixed[0]
    return out


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
    side, ensemble minus final model per method and headline metric."""
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
            d = row_digits([], (), [x for *_, n, _, xa, xb in rows if n == name for x in (xa, xb)])
            lines.append(
                f"| {method} | {m.label} | {fmt_ci(a.mean_diff, a.ci_low, a.ci_high, d, True)} "
                f"| {a.verdict} | {fmt_ci(b.mean_diff, b.ci_low, b.ci_high, d, True)} | {b.verdict} |"
            )
        lines.append("")
    return lines


def draw_sentences(summary, paired_df, pairs: dict[str, str]) -> list[str]:
    """Whether the ensemble-minus-final verdicts survive a new draw of the data."""
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


def _versus_section(sdf, paired_df, dataset, model) -> list[str]:
    """Rows comparing ``model`` with what it is measured against, for the methods that have it."""
    against = EXTRA_MODELS[model]
    title, label, note = EXTRA_TITLES[model]
    rows = [r for _, r in sdf.iterrows() if not pd.isna(r[f"{model}_{next(iter(METRICS))}_mean"])]
    if not rows:
        return []
    shown = headline_metrics()
    header = " | ".join(f"{label} {m.label} | difference | p (Holm)" for m in shown.values())
    lines = [
        f"### {title}",
        "",
        *([note, ""] if note else []),
        f"| method | {header} |",
        "|---|" + "---|---|---:|" * len(shown),
    ]
    digits = {
        name: row_digits(
            rows,
            (f"{model}_{name}",),
            [pair(paired_df, dataset, name, r.method, model, against) for r in rows],
        )
        for name in shown
    }
    for r in rows:
        cells = []
        for name in shown:
            p, d = pair(paired_df, dataset, name, r.method, model, against), digits[name]
            cells += [
                _cell(r, f"{model}_{name}", d),
                fmt_ci(p.mean_diff, p.ci_low, p.ci_high, d, True),
                p_text(p, holm=True),
            ]
        lines.append(f"| {r.method} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _text(value) -> str:
    """A table's text cell, empty for an empty cell (NaN once read back from CSV)."""
    return value if isinstance(value, str) else ""


def reference_text(r) -> str:
    """The DEE reference of a ``deep_ensemble_equivalent.csv`` row: method,
    its rate (chosen, or its only one) and how it was chosen."""
    rate = r.get("reference_rate") if hasattr(r, "get") else None
    if _text(r.reference_chosen):
        chosen = f" at {r.reference_chosen}"
    elif rate is not None and pd.notna(rate):
        chosen = f" (peak rate {rate:g})"
    else:
        chosen = ""
    how = (
        " (chosen on the odd seeds and one fold of the test rows, measured on the even seeds and the "
        "other fold; the pick for the even rows, then for the odd, when they differ)"
        if _text(r.selection)
        else ""
    )
    return f"`{r.reference}`{chosen}{how}"


def _dee_section(d: pd.DataFrame, pct: int) -> list[str]:
    if not len(d):
        return []
    primary, *others = [name for name in DEE_METRICS if name in set(d.metric)]
    p = d[d.metric == primary].set_index("method")
    r0 = p.iloc[0]
    top = int(r0.reference_members)
    other_cols = "".join(f" {dee_label(o)}: models of equal value |" for o in others)
    lines = [
        f"### Deep ensemble equivalent ({dee_label(primary)}; reference: {reference_text(r0)})",
        "",
        f"How many independently trained models of the reference give the mean {dee_label(primary)} of each "
        f"method's full ensemble (Ashukha et al. 2020: on calibrated NLL; the raw NLL beside it). The "
        f"reference curve is the mean over repeats of ensembles of any k of its {top} models; each "
        "value is measured on each half of the test rows (temperature fitted on the other half) and "
        f"averaged. The curve is read on its upper envelope (made non-increasing from the right, so the "
        f"reference's own value reads exactly {top}), and only where the reference's gain from 1 to {top} "
        f"models exceeds the uncertainty of placing the value on it (the half-widths of the {pct}% intervals "
        f'of the means over repeats of the curve\'s ends and of the value): elsewhere "not identifiable". '
        f"{pct}% percentile bootstrap interval over repeats ({int(r0.bootstrap_resamples)} "
        f'resamples). "> {top}": better than the whole reference ensemble; "< 1": worse than one model.',
        "",
        f"| method | mean {dee_label(primary)} | models of equal value [interval] |{other_cols}",
        "|---|---|---|" + "---|" * len(others),
    ]
    for method, r in p.iterrows():
        cells = [f"{r.nll_mean:.4f}", r.dee_text]
        for o in others:
            q = d[(d.metric == o) & (d.method == method)]
            cells.append(q.dee_text.iloc[0] if len(q) else "n/a")
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return [*lines, ""]


# --- sweeps ---------------------------------------------------------------------


def _counts(g: pd.DataFrame, comparison: str, rates: int = 1, confidence: float = 0.95) -> str:
    """Per headline metric: at how many of the grid points ``g`` the ensemble
    is better and worse, and where; that no verdict (or no "worse" verdict
    against the best of ``rates`` single models) is possible at the repeats."""
    n = len(g)
    parts = []
    for name, m in headline_metrics().items():
        rows = [r for _, r in g.iterrows()]
        if rows and all(verdict(r, name, comparison) == TOO_FEW for r in rows):
            needed = repeats_needed(n)
            parts.append(
                f"in {m.label} no verdict is possible at {int(g.repeats.min())} repeats (an exact test of a "
                f"family of {n} needs {needed} repeats of one sign, without ties, for a first verdict)"
            )
            continue
        better = [r for r in rows if verdict(r, name, comparison) == "better"]
        worse = [r for r in rows if verdict(r, name, comparison) == "worse"]
        where = f" ({points_text(g, better)})" if better else ""
        against = f" ({points_text(g, worse)})" if worse and len(worse) <= n // 2 else ""
        parts.append(f"in {m.label} at {len(better)} of {n}{where}, worse at {len(worse)}{against}")
    reps, needed = int(g.repeats.min()), repeats_needed(n * rates, confidence)
    if comparison == "single" and rates > 1 and (needed is None or needed > reps):
        parts.append(
            f'no "worse" verdict is possible at {reps} repeats (worse than one of {rates} rates, a family of '
            f"{n} needs {needed or 'more'} repeats of one sign)"
        )
    return "; ".join(parts)


def sweep_sentences(sweep: pd.DataFrame, dataset: str, confidence: float = 0.95) -> list[str]:
    """Per judged swept method of ``dataset`` and comparison: where its
    ensemble is better and where worse (Holm-adjusted within each family),
    on each headline metric, counted over the grid points with more than one
    member (a one-member ensemble is its final model)."""
    out = []
    for base, g in judged(sweep[sweep.dataset == dataset]).groupby("base", sort=False):
        rates = int((g.members == 1).sum())  # the single models the best is sought among
        g = g[g.members > 1]
        if not len(g):
            continue
        reps = int(g.repeats.min())
        for comparison in comparisons_of(g):
            chosen = ""
            if comparison == "single":
                picks = sorted(
                    {str(c) for n in headline_metrics() for c in g[column("single", n, "chosen")].dropna()}
                )
                chosen = (
                    " (every single-model rate, nothing chosen: better than the best only if better than each "
                    f"rate, worse if worse than one; the rate of the best mean: {', '.join(picks)})"
                )
            out.append(
                f"``{base}`` on {dataset} ({len(g)} grid point{'s' if len(g) > 1 else ''} with more than one "
                f"member, {reps} repeats "
                f"each) against {COMPARISONS[comparison]}{chosen}: its ensemble is better (sign-flip test, "
                f"Holm-adjusted over the family of {len(g)}) "
                + _counts(g, comparison, rates, confidence)
                + "."
            )
            out += divergence_sentences(g, base, comparison, 1 - confidence)
        out += annealing_sentences(g, base)
    return out + variant_sentences(sweep, dataset)


def divergence_sentences(g: pd.DataFrame, base: str, comparison: str, alpha: float = 0.05) -> list[str]:
    """Where the grid points of ``base`` (rows ``g``) or their baseline of
    ``comparison`` had runs that diverged, and where McNemar's exact test,
    Holm-adjusted over the grid, finds their divergence rates different."""
    prefix = PREFIXES[comparison]
    own, theirs = g.get(DIVERGED_RUNS), g.get(f"{prefix}_diverged_baseline")
    if own is None or theirs is None or not (own.fillna(0).sum() + theirs.fillna(0).sum()):
        return []
    hit = [r for _, r in g.iterrows() if r[DIVERGED_RUNS] or r[f"{prefix}_diverged_baseline"]]
    parts = [
        f"{point_text(r)}: {int(r[DIVERGED_RUNS])} against {int(r[f'{prefix}_diverged_baseline'])}"
        + (" (different rates)" if r[f"{prefix}_diverged_p_holm"] <= alpha + 1e-12 else "")
        for r in hit
    ]
    return [
        f"Runs that diverged (a non-finite output, or a test row's loss beyond 744 nats), ``{base}`` against "
        f"{COMPARISONS[comparison]}, of {int(g.repeats.min())}: " + "; ".join(parts) + ". Rates are compared "
        "by McNemar's exact test, Holm-adjusted over the grid; diverged runs stay in every comparison, "
        "their rows counting at most 13.8 nats in the capped NLLs."
    ]


def annealing_sentences(g: pd.DataFrame, base: str) -> list[str]:
    """Which grid points of ``base`` (rows ``g``) take their last snapshot
    above :data:`snapens.train.schedules.ANNEALED` of the peak rate."""
    if "annealed" not in g or not g["annealed"].isin(["yes", "no"]).any():
        return []
    late = [r for _, r in g.iterrows() if r["annealed"] == "no"]
    if not late:
        return [f"Every grid point of ``{base}`` takes its last snapshot at or below 10% of its peak rate."]
    worst = max(late, key=lambda r: r["last_lr_fraction"])
    return [
        f"``{base}`` takes its last snapshot above 10% of the peak rate (not annealed; flagged in "
        f"sweep.csv's ``annealed`` and by a corner triangle in the heatmaps) at {len(late)} of {len(g)} "
        f"points ({points_text(g, late)}), up to {worst['last_lr_fraction']:.0%} at {point_text(worst)}."
    ]


def variant_sentences(sweep: pd.DataFrame, dataset: str) -> list[str]:
    """Whether the verdicts of two judged swept methods on the same grid (e.g.
    the per-epoch and the per-iteration cosine) agree: per comparison and
    headline metric, the grid points (more than one member) where they
    differ, the first judged method being the reference."""
    g = judged(sweep[sweep.dataset == dataset])
    g = g[g.members > 1]
    bases = list(dict.fromkeys(g["base"]))
    if len(bases) < 2:
        return []
    out = []
    first = g[g.base == bases[0]]
    keys = first["swept"].iloc[0].split()
    for other in bases[1:]:
        second = g[g.base == other]
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


def limit_values(limits: pd.DataFrame | None, dataset: str) -> dict[str, float] | None:
    """The Bayes-optimal classifier's value of each metric on ``dataset``'s test
    rows, the mean of its two folds (the scale of a cross-fitted value); ``None``
    without a known limit."""
    if limits is None or not len(limits) or dataset not in set(limits.dataset):
        return None
    r = limits[limits.dataset == dataset].iloc[0]
    return {name: (float(r[f"{name}_even"]) + float(r[f"{name}_odd"])) / 2 for name in METRICS}


def share_text(row, name: str) -> str:
    """Of a ``sweep.csv`` row: the share of the best single model's distance to
    the limit that the ensemble closes, with its interval, e.g. ``+12% [+5%, +20%]``
    (empty where not compared)."""
    share = row.get(column("single", name, "limit_share"))
    if share is None or pd.isna(share):
        return ""
    low, high = (row.get(column("single", name, f"limit_share_ci_{end}")) for end in ("low", "high"))
    return f"{share:+.0%} [{_pct(low)}, {_pct(high)}]"


def _pct(x) -> str:
    return "n/a" if x is None or pd.isna(x) else (f"{x:+.0%}" if abs(x) != float("inf") else f"{x:+}")


def limit_sentences(sweep: pd.DataFrame, limits: pd.DataFrame | None, dataset: str) -> list[str]:
    """Where the data's limit is known: its values and, per judged swept
    method and headline metric, the best single model's distance to it (read
    from every grid point's own row: the same candidates and seeds give the
    same distance) and where the share of it that the ensembles close is
    reported (every grid point, with its interval: none is picked)."""
    values = limit_values(limits, dataset)
    part = judged(sweep[sweep.dataset == dataset]) if sweep is not None and len(sweep) else pd.DataFrame()
    if values is None:
        return []
    shown = headline_metrics()
    out = [
        f"**Limit on {dataset}**: the Bayes-optimal classifier of the generator's class densities, on the "
        "same test rows (mean of the two folds): "
        + ", ".join(f"{m.label} {values[n]:.{m.digits}f}" for n, m in shown.items())
        + "."
    ]
    for base, g in part.groupby("base", sort=False) if len(part) else []:
        g = g[g.members > 1]
        parts = []
        for name, m in shown.items():
            distance = g.get(column("single", name, "limit_distance"), pd.Series(dtype=float)).dropna()
            if not len(distance):
                continue
            low, high = distance.min(), distance.max()
            at = (
                f"{low:.{m.digits}f}"
                if f"{low:.{m.digits}f}" == f"{high:.{m.digits}f}"
                else (f"{low:.{m.digits}f} to {high:.{m.digits}f}")
            )
            parts.append(f"in {m.label} the best single model is {at} from it")
        if parts:
            out.append(
                f"``{base}`` on {dataset} at equal cost: "
                + "; ".join(parts)
                + ". The share of that distance each ensemble closes, (ensemble - single) / (limit - single) "
                "over repeats, is given for every grid point with its interval (the sign-flip test inverted) "
                "in summary.md."
            )
    return out


def _grid_table(g: pd.DataFrame, title: str, cell) -> list[str]:
    """A markdown table of one swept method's grid points, laid out by
    :func:`snapens.sweeps.axes`; ``cell(row)`` is each point's text."""
    cols, rows_key = axes(g["swept"].iloc[0])
    col_values = sorted(dict.fromkeys(g[cols]))
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
    for key, h in g.groupby(rows_key or (lambda _: ""), sort=False):
        name = " ".join(value_label(v) for v in (key if isinstance(key, tuple) else (key,)))
        cells = {r[cols]: r for _, r in h.iterrows()}
        lines.append(
            f"| {name or '-'} | "
            + " | ".join("" if v not in cells else cell(cells[v]) for v in col_values)
            + " |"
        )
    return lines + [""]


def _sweep_section(
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
    marks = {"better": "+", "worse": "-"}
    for base, g in part.groupby("base", sort=False):
        for comparison in comparisons_of(g):
            for name, m in headline_metrics().items():
                d = grid_digits(g, comparison, name)
                lines += _grid_table(
                    g,
                    f"{base} vs {COMPARISONS[comparison]}: {m.label} ({m.direction})",
                    lambda r, name=name, c=comparison, d=d: (
                        ""
                        if verdict(r, name, c) == "not tested"
                        else numbers.fmt(r[column(c, name, "mean")], d, True)
                        + marks.get(verdict(r, name, c), "")
                    ),
                )
        values = limit_values(limits, dataset)
        if values is not None and "single" in comparisons_of(g):
            lines += [
                "Share of the best single model's distance to the limit (Bayes-optimal classifier) that "
                "each ensemble closes, (ensemble - single) / (limit - single) summed over repeats, against "
                f"the single-model rate of the best mean, with its {pct}% interval for the best rate (the "
                "sign-flip test of the ratio inverted for every rate; unbounded where the distance itself is "
                "not clearly non-zero); every grid point, none picked.",
                "",
            ]
            for name, m in headline_metrics().items():
                lines += _grid_table(
                    g[g.members > 1],
                    f"{base}: share of the distance to the limit closed, {m.label}",
                    lambda r, name=name: share_text(r, name),
                )
    return lines


def summary_markdown(
    summary: pd.DataFrame,
    paired_df: pd.DataFrame,
    confidence: float,
    title: str,
    dee: pd.DataFrame | None = None,
    config_hash: str | None = None,
    sweep: pd.DataFrame | None = None,
    limits: pd.DataFrame | None = None,
    draws: dict[str, str] | None = None,
    study: dict | None = None,
) -> str:
    """A readable account of the headline comparison: the answer in words
    (:mod:`snapens.analyse.answer`) and the terms, then final model vs full
    ensemble; ``draws`` maps a redrawn dataset to its fixed twin
    (:func:`redrawn_pairs`); ``study`` (the resolved config) names the methods."""
    pct = int(round(confidence * 100))
    lines = [
        f"# {title}",
        "",
        *answer.answer_text(answer.answer_claims(summary, paired_df, sweep, draws, confidence)),
        *answer.glossary((study or {}).get("methods"), (study or {}).get("sweeps")),
        "## How the numbers are made",
        "",
        *provenance_line(config_hash),
        f"Means over repeats with {pct}% confidence intervals (Student t). "
        "*Final* is the last snapshot of each run (k = 1), *ensemble* the average of "
        "the probabilities of all M snapshots (declared in advance, not chosen on test data). "
        + procedure_text(pct)
        + " W/T/L counts repeats where the ensemble is better / equal / worse.",
        "",
        multiplicity_sentence(paired_df, confidence),
        "",
    ]
    for dataset, sdf in summary.groupby("dataset", sort=False):
        lines += [f"## {dataset}", ""]
        for name, m in METRICS.items():
            lines += _metric_section(sdf, paired_df, dataset, name, m)
        lines += [
            f"### {VOTE.label.capitalize()} of the full ensemble",
            "",
            "| method | vote accuracy |",
            "|---|---|",
            *[
                f"| {r.method} | {_cell(r, f'ensemble_{VOTE.name}', VOTE.digits)} |"
                for _, r in sdf.iterrows()
            ],
            "",
        ]
        lines += boundary_sentences(sdf) + nonfinite_sentences(sdf)
        for model in EXTRA_MODELS:
            lines += _versus_section(sdf, paired_df, dataset, model)
        if dee is not None:
            lines += _dee_section(dee[dee.dataset == dataset], pct)
        if sweep is not None and len(sweep):
            lines += _sweep_section(sweep, dataset, pct, limits)
    lines += draw_section(summary, paired_df, draws or {}, pct)
    return "\n".join(lines)


def nonfinite_sentences(sdf: pd.DataFrame) -> list[str]:
    """Which methods had runs that diverged (a model with non-finite outputs,
    predicted uniformly on those rows, or a test row's loss beyond 744 nats),
    counted per method; the runs stay in every comparison."""
    out = []
    if DIVERGED_RUNS in sdf:
        hit = sdf[sdf[DIVERGED_RUNS].fillna(0) > 0]
        if len(hit):
            listed = "; ".join(
                f"{r['method']}: {int(r[DIVERGED_RUNS])} of {int(r['repeats'])} runs "
                f"({int(r[DIVERGED_MEMBERS])} models)"
                for _, r in hit.iterrows()
            )
            out += [
                "Runs whose training diverged (a model with a non-finite output or a test row's loss beyond "
                f"744 nats, a probability below float64's smallest): {listed}. They stay in every "
                "comparison, scored as they predict; a capped NLL counts each of their rows at most 13.8 nats.",
                "",
            ]
    if NONFINITE in sdf:
        hit = sdf[sdf[NONFINITE].fillna(0) > 0]
        if len(hit):
            listed = "; ".join(f"{r['method']}: {int(r[NONFINITE])} rows" for _, r in hit.iterrows())
            out += [
                "Non-finite outputs are predicted uniformly, costing log C each; rows so predicted, over all "
                f"repeats and models: {listed}.",
                "",
            ]
    return out


def boundary_sentences(sdf: pd.DataFrame) -> list[str]:
    """Where temperature fits ended at a bound of the search (summary table's
    ``{model}_boundary_fits``; two fits per model and run), or that none did."""
    bounds = f"[{T_MIN:g}, {T_MAX:g}]"
    found = []
    for _, r in sdf.iterrows():
        for model in ("member", "final", "ensemble", *EXTRA_MODELS):
            n = r.get(f"{model}_{BOUNDARY}")
            if pd.notna(n) and n > 0:
                fits = 2 * int(r["repeats"]) * (int(r["members"]) if model == "member" else 1)
                found.append(f"{r['method']} {model}: {int(n)} of {fits}")
    if not found:
        return [f"Every temperature fit (calibrated metrics) found its optimum inside {bounds}.", ""]
    return [
        f"Temperature fits that ended at a bound of {bounds} (the optimum lies beyond it, so the "
        f"calibrated metrics of these models are what the bound allows): {'; '.join(found)}.",
        "",
    ]


def dee_sentence(dee: pd.DataFrame | None, dataset: str, method: str) -> list[str]:
    """The front page's deep ensemble equivalent of ``method`` on ``dataset``
    (the primary metric), or why it is not identifiable."""
    if dee is None or not len(dee):
        return []
    primary = next(iter(DEE_METRICS))
    d = dee[(dee.dataset == dataset) & (dee.method == method) & (dee.metric == primary)]
    if not len(d):
        return []
    r = d.iloc[0]
    return [
        f"Deep ensemble equivalent of ``{method}``'s ensemble on {dataset} ({dee_label(primary)}; reference "
        f"{reference_text(r).replace('`', '``')}): {r.dee_text}.",
        "",
    ]


def _lead_sentence(sdf, paired_df, dataset, pct, shown, swept: bool) -> list[str]:
    """Final model vs ensemble of ``snapshot`` (else the first method, unless a
    sweep speaks for the dataset)."""
    if "snapshot" in set(sdf.method):
        lead = "snapshot"
    elif swept:
        return []
    else:
        lead = sdf.method.iloc[0]
    n = int(sdf.set_index("method").loc[lead, "repeats"])
    parts = []
    for i, (name, m) in enumerate(shown.items()):
        p = pair(paired_df, dataset, name, lead)
        d = numbers.decimals(_width(p.ci_low, p.ci_high))
        mean, low, high = (numbers.fmt(x, d, True) for x in (p.mean_diff, p.ci_low, p.ci_high))
        parts.append(
            f"{mean} in {m.label} ({pct}% CI {low} to {high}, Holm-adjusted p = {p_text(p, True)}: "
            f"{p.verdict}, better in {p.wins} of {n} repeats)"
            if i == 0
            else f"{mean} in {m.label} (CI {low} to {high}, adjusted p = {p_text(p, True)}: {p.verdict}, "
            f"better in {p.wins} of {n})"
        )
    return [
        f"**{dataset}**, method ``{lead}``, {n} repeats: the ensemble of all snapshots "
        "minus the final model is " + " and ".join(parts) + ".",
        "",
    ]


BUDGET_METRICS = ("nll_calibrated_capped", "accuracy")  # the front page's table of the budget question


def _interval_cell(r, comparison: str, name: str, digits: int) -> str:
    if verdict(r, name, comparison) == "not tested":
        return ""
    mark = {"better": " +", "worse": " -"}.get(verdict(r, name, comparison), "")
    mean, low, high = (r[column(comparison, name, stat)] for stat in ("mean", "sim_ci_low", "sim_ci_high"))
    return fmt_ci(mean, low, high, digits, signed=True) + mark


def grid_digits(g: pd.DataFrame, comparison: str, name: str) -> int:
    """The shared decimals of a grid's differences against ``comparison``:
    from their simultaneous intervals."""
    lo, hi = column(comparison, name, "sim_ci_low"), column(comparison, name, "sim_ci_high")
    if lo not in g or hi not in g:
        return numbers.shared_decimals([])
    return numbers.shared_decimals(list((g[hi] - g[lo]).dropna()))


def budget_table(sweep: pd.DataFrame, dataset: str, pct: int) -> list[str]:
    """The front page's answer to the budget question, per judged swept method
    with equal-cost baselines: for every grid point with more than one member,
    its ensemble minus the best single model and minus the equal-cost ensemble,
    with simultaneous intervals over the grid and the Holm-adjusted verdict."""
    out = []
    for base, g in judged(sweep[sweep.dataset == dataset]).groupby("base", sort=False):
        g = g[g.members > 1]
        comparisons = [c for c in ("single", "equal") if c in comparisons_of(g)]
        names = [n for n in BUDGET_METRICS if n in METRICS]
        if not len(g) or not comparisons:
            continue
        keys = g["swept"].iloc[0].split()
        out += [
            f".. list-table:: {dataset}, ``{base}`` at equal training cost: ensemble minus baseline, mean "
            f"[{pct}% simultaneous interval over the grid]; + / -: better / worse after Holm's adjustment",
            "   :header-rows: 1",
            "",
            "   * - grid point",
        ]
        out += [
            f"     - vs {COMPARISONS[c].replace(' at equal cost', '')}: {METRICS[n].label}"
            for c in comparisons
            for n in names
        ]
        for _, r in g.iterrows():
            cells = [label(keys, tuple(r[k] for k in keys))]
            cells += [_interval_cell(r, c, n, grid_digits(g, c, n)) for c in comparisons for n in names]
            out.append("   * - " + "\n     - ".join(cells))
        out.append("")
    return out


def headline_rst(
    summary: pd.DataFrame,
    paired_df: pd.DataFrame,
    confidence: float,
    config_hash: str | None = None,
    sweep: pd.DataFrame | None = None,
    limits: pd.DataFrame | None = None,
    draws: dict[str, str] | None = None,
    dee: pd.DataFrame | None = None,
    study: dict | None = None,
) -> str:
    """The headline answer as reStructuredText (the report's front page includes it):
    final model vs full ensemble on the headline metrics, per dataset and method;
    then whether the verdicts survive a new draw of the data (``draws``)."""
    pct = int(round(confidence * 100))
    shown = headline_metrics()
    out = answer.answer_text(answer.answer_claims(summary, paired_df, sweep, draws, confidence), rst=True)
    out += answer.glossary((study or {}).get("methods"), (study or {}).get("sweeps"), rst=True)
    out += [line.replace("`", "``") for line in provenance_line(config_hash)]
    out += [multiplicity_sentence(paired_df, confidence), ""]
    out += [line for text in draw_sentences(summary, paired_df, draws or {}) for line in (text, "")]
    for dataset, sdf in summary.groupby("dataset", sort=False):
        swept = [] if sweep is None or not len(sweep) else sweep_sentences(sweep, dataset, confidence)
        lead = _lead_sentence(sdf, paired_df, dataset, pct, shown, bool(swept))
        out += [
            *lead,
            *(
                dee_sentence(
                    dee, dataset, "snapshot" if "snapshot" in set(sdf.method) else sdf.method.iloc[0]
                )
                if lead
                else []
            ),
            *[line for text in swept for line in (text, "")],
            *[line for text in limit_sentences(sweep, limits, dataset) for line in (text, "")],
        ]
        if swept:
            out += budget_table(sweep, dataset, pct)
            # the grid points are the sweep's sentences and tables; here the other methods
            sdf = sdf[~sdf.method.isin(set(sweep.method))]
        if not len(sdf):
            continue
        out += [
            f".. list-table:: {dataset}: final model vs ensemble of all members (mean [{pct}% CI])",
            "   :header-rows: 1",
            "",
            "   * - method",
        ]
        for m in shown.values():
            out += [f"     - final {m.label}", f"     - ensemble {m.label}", "     - difference (Holm p)"]
        rows = [r for _, r in sdf.iterrows()]
        digits = {
            name: row_digits(
                rows,
                (f"final_{name}", f"ensemble_{name}"),
                [pair(paired_df, dataset, name, r.method) for r in rows],
            )
            for name in shown
        }
        for r in rows:
            cells = [f"``{r.method}``"]
            for name in shown:
                p, d = pair(paired_df, dataset, name, r.method), digits[name]
                cells += [
                    _cell(r, f"final_{name}", d),
                    _cell(r, f"ensemble_{name}", d),
                    f"{numbers.fmt(p.mean_diff, d, True)} ({p_text(p, holm=True)})",
                ]
            out.append("   * - " + "\n     - ".join(cells))
        out.append("")
    return "\n".join(out) + "\n"
