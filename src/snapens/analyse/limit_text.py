"""The data's limit in words (the Bayes-optimal classifier, ``limits.csv``,
where the data's densities are known): its values, the best single model's
distance to it, and the share of that distance an ensemble closes
(``sweep.csv``)."""

from __future__ import annotations

import pandas as pd

from snapens.analyse.contract import column
from snapens.analyse.grid import headline_metrics, judged
from snapens.evaluate.metrics import METRICS


def limit_values(limits: pd.DataFrame | None, dataset: str) -> dict[str, float] | None:
    """The Bayes-optimal classifier's value of each metric on ``dataset``'s test
    rows (``limits``: ``limits.csv``), the mean of its two folds (the scale of
    a cross-fitted value); ``None`` without a known limit."""
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
    """A share in percent, signed; "n/a" where missing, "+inf" where unbounded."""
    return "n/a" if x is None or pd.isna(x) else (f"{x:+.0%}" if abs(x) != float("inf") else f"{x:+}")


def limit_sentences(sweep: pd.DataFrame, limits: pd.DataFrame | None, dataset: str) -> list[str]:
    """Where the data's limit is known (``limits``: ``limits.csv``; ``sweep``:
    ``sweep.csv``): its values and, per judged swept
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
    for base, grid_rows in part.groupby("base", sort=False) if len(part) else []:
        grid_rows = grid_rows[grid_rows.members > 1]
        parts = []
        for name, m in shown.items():
            distance = grid_rows.get(
                column("single", name, "limit_distance"), pd.Series(dtype=float)
            ).dropna()
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
