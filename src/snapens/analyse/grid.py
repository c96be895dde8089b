"""Reading ``sweep.csv`` and the metric registry the way every reader does
(the markdown, the answer in words and the figures): the metrics of the
front page, which rows a study judges, a row's verdict and gain against a
comparison, and grid points in words."""

from __future__ import annotations

import pandas as pd

from snapens.analyse.contract import COMPARISONS, column
from snapens.core.sweeps import axes, label, value_label
from snapens.evaluate.metrics import METRICS


def headline_metrics():
    """The metrics of the front page and of the SWA and weighting comparisons."""
    return {name: m for name, m in METRICS.items() if m.headline}


def dee_label(metric: str) -> str:
    """The label of a DEE metric (its name if it is not registered)."""
    return METRICS[metric].label if metric in METRICS else metric


def verdict(row, name: str, comparison: str = "final") -> str:
    """Of a ``sweep.csv`` row and metric: the Holm-adjusted verdict of its full
    ensemble against ``comparison`` (:data:`snapens.analyse.contract.COMPARISONS`):
    ``better``, ``worse``, ``unclear`` or ``not tested``."""
    value = row.get(column(comparison, name, "verdict")) if hasattr(row, "get") else None
    return value if isinstance(value, str) and value else "not tested"


def gain(row, name: str, comparison: str = "final") -> float:
    """Of a ``sweep.csv`` row and metric ``name``: ensemble minus
    ``comparison``, signed so that positive favours the ensemble."""
    d = row[column(comparison, name, "mean")]
    return d if METRICS[name].higher_is_better else -d


def point_text(row) -> str:
    """A ``sweep.csv`` row's grid point, e.g. "members 10, lr_max 0.1"."""
    keys = row["swept"].split()
    return label(keys, tuple(row[k] for k in keys))


def points_text(grid_rows: pd.DataFrame, rows) -> str:
    """Grid points (``rows`` of ``grid_rows``, one swept method's rows of
    ``sweep.csv``) as "lr_max 0.1: members 10, 25; lr_max 0.3: members 50"
    (grouped by every key but the one across, :func:`snapens.core.sweeps.axes`,
    whose values are listed)."""
    if not len(rows):
        return ""
    x, others = axes(grid_rows["swept"].iloc[0])
    groups: dict[str, list[str]] = {}
    for r in rows:
        groups.setdefault(label(others, tuple(r[k] for k in others)), []).append(value_label(r[x]))
    return "; ".join(
        f"{key}: {x} {', '.join(v)}" if key else f"{x} {', '.join(v)}" for key, v in groups.items()
    )


def judged(sweep: pd.DataFrame) -> pd.DataFrame:
    """The rows of the swept methods the study judges: those with baselines
    when any has them (not the baselines' own grids), else every sweep."""
    roles = sweep.get("role", pd.Series("", index=sweep.index)).fillna("")
    return sweep[roles == "judged"] if (roles == "judged").any() else sweep[roles == ""]


def comparisons_of(rows: pd.DataFrame) -> list[str]:
    """The comparisons of :data:`snapens.analyse.contract.COMPARISONS` that
    ``rows`` (of ``sweep.csv``) have, the equal-cost ones first."""
    have = [c for c in COMPARISONS if any(column(c, n, "verdict") in rows for n in METRICS)]
    have = [c for c in have if rows[column(c, next(iter(METRICS)), "verdict")].fillna("").ne("").any()]
    return [c for c in ("single", "equal", "final") if c in have]
