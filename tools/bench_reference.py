"""The DEE reference's subset curves, fast against direct, on a finished study.

``python -m tools.bench_reference`` (or ``make bench-reference``) reads the
runs of a finished study's DEE reference (the default study's
``blobs/independent``: 30 runs of 10 members) and, for each, builds the
aggregation's ``ensemble.csv`` table twice, alternately: with
:func:`snapens.evaluate.reference_curves.subset_curves` (what ``aggregate``
runs) and with the direct computation per ``k``
(``ensembling.subset_nlls`` and ``subset_calibrated_nll``: a brentq fit per
subset and fold). It prints the seconds of each (the median of ``--repeats``
per run, summed over the runs), their ratio, the subsets whose digits fell
back to the direct computation, and whether both tables are written as the
run's own ``ensemble.csv`` is, byte for byte.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

from snapens.core.io import FLOAT_FORMAT
from snapens.data.dataset import load_draws
from snapens.evaluate import ensemble_table, ensembling, reference_curves
from snapens.evaluate.runfiles import load_log_probabilities


def csv_text(table: pd.DataFrame) -> str:
    """The table as ``write_csv`` writes it."""
    out = io.StringIO()
    table.to_csv(out, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
    return out.getvalue()


def direct_table(lp, y, evaluation) -> pd.DataFrame:
    """``last_k_table`` with the subset curves computed directly, per ``k``."""
    table = ensemble_table.last_k_table(lp, y, evaluation, subset_curves=False)
    for k in range(1, len(lp)):
        for column, value in (
            ensembling.subset_nlls(lp, y, k) | ensembling.subset_calibrated_nll(lp, y, k)
        ).items():
            table.loc[k - 1, column] = value
    last = len(lp) - 1
    for column in [c for c in table.columns if c.startswith("subset_nll")]:
        table.loc[last, column] = table.loc[last, column.replace("subset_nll", "nll")]
    return table


def timed(f, repeats: int, *args):
    """The median seconds of ``f(*args)`` over ``repeats`` calls, and its result."""
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = f(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", default="results", help="the finished study's results root")
    ap.add_argument("--dataset", default="blobs")
    ap.add_argument("--method", default="independent", help="the DEE reference's method")
    ap.add_argument("--ece-bins", type=int, default=15, help="the study's evaluation.ece_bins")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    root = Path(args.results)
    runs = sorted((root / "runs" / args.dataset / args.method).glob("seed-*"), key=lambda p: int(p.name[5:]))
    if not runs:
        raise SystemExit(f"no runs in {root / 'runs' / args.dataset / args.method}: run the study first")
    fixed = root / "data" / f"{args.dataset}.npz"  # else a redrawn dataset's draw directories
    data = [str(fixed)] if fixed.exists() else sorted(map(str, (root / "data" / args.dataset).iterdir()))
    evaluation = {"ece_bins": args.ece_bins}
    fast_s = direct_s = 0.0
    same_fast = same_direct = fallbacks = 0
    for run in runs:
        seed = int(run.name[5:])
        y = load_draws(data, [seed])[0].y_test
        _, lp = load_log_probabilities(run / "probabilities.npz", y)
        lp = np.asarray(lp, dtype=np.float64)
        seconds, fast = timed(ensemble_table.last_k_table, args.repeats, lp, y, evaluation, True)
        fast_s += seconds
        seconds, direct = timed(direct_table, args.repeats, lp, y, evaluation)
        direct_s += seconds
        record = {}
        reference_curves.subset_curves(lp, y, record=record)
        fallbacks += record["fallbacks"]
        written = (run / "ensemble.csv").read_text()
        same_fast += csv_text(fast) == written
        same_direct += csv_text(direct) == written
    print(
        f"# The DEE reference's subset curves: {len(runs)} runs of {root / 'runs' / args.dataset / args.method}"
    )
    print(
        f"- fast (reference_curves): {fast_s:.2f} s; direct (brentq per subset): {direct_s:.2f} s;"
        f" ratio {direct_s / fast_s:.2f}"
    )
    print(
        f"- written as the run's ensemble.csv: fast {same_fast}/{len(runs)}, direct {same_direct}/{len(runs)}"
    )
    print(f"- means left to the direct computation: {fallbacks} of {len(runs) * 2 * (lp.shape[0] - 1)}")


if __name__ == "__main__":
    main()
