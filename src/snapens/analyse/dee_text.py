"""The deep ensemble equivalent in words, read from
``deep_ensemble_equivalent.csv``: its reference (:func:`reference_text`),
its section of ``summary.md`` and the front page's sentence."""

from __future__ import annotations

import pandas as pd

from snapens.analyse.contract import DEE_METRICS
from snapens.analyse.grid import dee_label


def _text(value) -> str:
    """A table's text cell, empty for an empty cell (NaN once read back from CSV)."""
    return value if isinstance(value, str) else ""


def reference_text(row) -> str:
    """The DEE reference of a ``deep_ensemble_equivalent.csv`` row: method,
    its rate (chosen, or its only one) and how it was chosen."""
    rate = row.get("reference_rate") if hasattr(row, "get") else None
    if _text(row.reference_chosen):
        chosen = f" at {row.reference_chosen}"
    elif rate is not None and pd.notna(rate):
        chosen = f" (peak rate {rate:g})"
    else:
        chosen = ""
    how = (
        " (chosen on the odd seeds and one fold of the test rows, measured on the even seeds and the "
        "other fold; the pick for the even rows, then for the odd, when they differ)"
        if _text(row.selection)
        else ""
    )
    return f"`{row.reference}`{chosen}{how}"


def dee_section(dataset_dee: pd.DataFrame, pct: int) -> list[str]:
    """``summary.md``'s section on one dataset's deep ensemble equivalents
    (``dataset_dee``: its rows of ``deep_ensemble_equivalent.csv``; ``pct``:
    the confidence in percent): the primary metric's, then the others'."""
    if not len(dataset_dee):
        return []
    primary, *others = [name for name in DEE_METRICS if name in set(dataset_dee.metric)]
    by_method = dataset_dee[dataset_dee.metric == primary].set_index("method")
    r0 = by_method.iloc[0]
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
    for method, r in by_method.iterrows():
        cells = [f"{r.nll_mean:.4f}", r.dee_text]
        for o in others:
            other = dataset_dee[(dataset_dee.metric == o) & (dataset_dee.method == method)]
            cells.append(other.dee_text.iloc[0] if len(other) else "n/a")
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def dee_sentence(dee: pd.DataFrame | None, dataset: str, method: str) -> list[str]:
    """The front page's deep ensemble equivalent of ``method`` on ``dataset``
    (the primary metric; ``dee``: ``deep_ensemble_equivalent.csv``), or why
    it is not identifiable; no lines without one."""
    if dee is None or not len(dee):
        return []
    primary = next(iter(DEE_METRICS))
    found = dee[(dee.dataset == dataset) & (dee.method == method) & (dee.metric == primary)]
    if not len(found):
        return []
    r = found.iloc[0]
    return [
        f"Deep ensemble equivalent of ``{method}``'s ensemble on {dataset} ({dee_label(primary)}; reference "
        f"{reference_text(r).replace('`', '``')}): {r.dee_text}.",
        "",
    ]
