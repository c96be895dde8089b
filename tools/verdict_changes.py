"""Which verdicts two runs of a study's tables disagree on: a study's
``paired_tests.csv`` before and after a change of procedure, set side by side.

    python -m tools.verdict_changes BEFORE_TABLES AFTER_TABLES [--metrics accuracy nll ...]
        [--pair nll_capped=nll ...] [--out changes.md]

``BEFORE_TABLES`` and ``AFTER_TABLES`` are two ``tables/`` directories of the
same study (e.g. a copy of ``results/sweep/tables`` made before the change, and
the new one). Comparisons are matched by their keys (dataset, metric,
comparison, family, the two methods and models); a metric only one side has
is left out. Printed: per dataset, comparison and metric, how many verdicts
each side gives of each kind and how many changed, then every changed verdict
with both sides' mean difference, p-value, Holm-adjusted p-value, n and
wins/ties/losses, so the reason can be read off (a different test, fewer
repeats after a choice on the other seeds, a temperature no longer applied at
its bound).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

KEYS = ["dataset", "metric", "comparison", "family", "a_method", "a_model", "b_method", "b_model"]
SHOWN = ["n", "mean_diff", "p_value", "p_holm", "wins", "ties", "losses", "verdict"]
VERDICTS = ("better", "worse", "unclear", "too few repeats")


def read(tables: Path) -> pd.DataFrame:
    """The tested rows of a ``paired_tests.csv`` (a verdict other than ``not tested``)."""
    df = pd.read_csv(
        tables / "paired_tests.csv", dtype={"family": str}, keep_default_na=False, na_values=[""]
    )
    df["family"] = df["family"].fillna("")
    return df[df["verdict"] != "not tested"]


def matched(before: pd.DataFrame, after: pd.DataFrame, metrics=None) -> pd.DataFrame:
    """The comparisons both tables have (on ``metrics`` when given), side by side."""
    both = before[[*KEYS, *SHOWN]].merge(after[[*KEYS, *SHOWN]], on=KEYS, suffixes=("_before", "_after"))
    if metrics:
        both = both[both["metric"].isin(metrics)]
    return both.reset_index(drop=True)


def counts(both: pd.DataFrame) -> pd.DataFrame:
    """Per dataset x comparison x metric: tests, each side's verdicts by kind, and changes."""
    rows = []
    for (dataset, comparison, metric), g in both.groupby(["dataset", "comparison", "metric"], sort=False):
        row = {"dataset": dataset, "comparison": comparison, "metric": metric, "tests": len(g)}
        for side in ("before", "after"):
            row |= {f"{v} ({side})": int((g[f"verdict_{side}"] == v).sum()) for v in VERDICTS}
        row["changed"] = int((g["verdict_before"] != g["verdict_after"]).sum())
        rows.append(row)
    return pd.DataFrame(rows)


def changes(both: pd.DataFrame) -> pd.DataFrame:
    """The comparisons whose verdict differs."""
    return both[both["verdict_before"] != both["verdict_after"]].reset_index(drop=True)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before", type=Path, help="the tables/ directory before the change")
    ap.add_argument("after", type=Path, help="the tables/ directory after it")
    ap.add_argument("--metrics", nargs="*", help="only these metrics (default: every metric both have)")
    ap.add_argument(
        "--pair",
        nargs="*",
        default=[],
        metavar="AFTER=BEFORE",
        help="read the after-table's metric AFTER as BEFORE (e.g. nll_capped=nll: a new headline metric "
        "set beside the one it replaced)",
    )
    ap.add_argument("--out", type=Path, help="write both tables here as markdown")
    args = ap.parse_args(argv)
    after = read(args.after)
    renames = dict(pair.split("=", 1) for pair in args.pair)
    if renames:
        after = after[~after["metric"].isin(set(renames.values()))].replace({"metric": renames})
    both = matched(read(args.before), after, args.metrics)
    summary, changed = counts(both), changes(both)
    text = "\n\n".join(
        [
            summary.to_markdown(index=False),
            changed.to_markdown(index=False, floatfmt=".4g") if len(changed) else "No verdict changed.",
        ]
    )
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
