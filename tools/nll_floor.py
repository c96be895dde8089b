"""What the float64 log-probabilities change: a finished study's paired
verdicts on NLL recomputed as they were before, from the stored float32
probabilities floored at float64 eps.

    python -m tools.nll_floor RESULTS_DIR [--out floored.csv]

``RESULTS_DIR`` is a study's root (``results/sweep``). For every run of
``tables/runs.csv`` the final model's and the full ensemble's NLL columns
(``nll`` and ``nll_calibrated``, all rows and per fold) are recomputed from
``probabilities.npz``'s float32 ``probs`` (the ensemble: their mean) with
:func:`snapens.evaluate.metrics.evaluate` given probabilities, whose log is
floored at ``EPS``: the study's metrics as computed before. The paired table is
then rebuilt from these runs with the study's own procedure
(:func:`snapens.analyse.paired_table.paired_table`, the config of
``tables/study.json``), and set beside ``paired_tests.csv``'s rows: one row
per dataset x comparison x metric with the verdicts that differ, and the
runs whose values the floor changed. Every other column of a run is left as
it is, so any difference is the floor's.
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd

from snapens.analyse.baselines import Baselines
from snapens.analyse.comparisons import PAIRED_KEYS
from snapens.analyse.paired_table import paired_table
from snapens.analyse.statistics import FLIPS
from snapens.core.sweeps import grid_points, point_name
from snapens.evaluate.metrics import evaluate, fold_columns

NLL_METRICS = ("nll", "nll_calibrated")
MODELS = ("final", "ensemble")  # the models whose NLLs are recomputed floored


def nll_columns() -> list[str]:
    """The NLL columns of a run row's final model or ensemble (without prefix)."""
    return [c for m in NLL_METRICS for c in (m, *fold_columns(m))]


def floored_values(probs: np.ndarray, y: np.ndarray, evaluation: dict) -> dict[str, float]:
    """``final_*`` and ``ensemble_*`` NLL columns from float32 probabilities,
    ``(members, rows, classes)``, floored at eps as the study did before."""
    out = {}
    for model, p in (("final", probs[-1]), ("ensemble", probs.astype(np.float64).mean(axis=0))):
        values = evaluate(y, probs=p, evaluation=evaluation)
        out |= {f"{model}_{c}": values[c] for c in nll_columns()}
    return out


def floored_runs(root: Path, runs: pd.DataFrame, evaluation: dict) -> pd.DataFrame:
    """``runs`` with every run's NLL columns recomputed from its floored probabilities."""
    rows = []
    for r in runs.itertuples(index=False):
        run_dir = root / "runs" / r.dataset / r.method / f"seed-{r.seed}"
        with np.load(run_dir / "probabilities.npz") as npz:
            probs, y = npz["probs"], npz["y_test"]
        rows.append({**r._asdict(), **floored_values(probs, y, evaluation)})
    return pd.DataFrame(rows, columns=runs.columns)


def changed_runs(exact: pd.DataFrame, floored: pd.DataFrame, tol: float = 1e-6) -> pd.DataFrame:
    """Per dataset x method: the runs whose final or ensemble NLL the floor
    changed by more than ``tol`` (float32 rounding alone moves a
    mean NLL by ~1e-7), and the largest change (floored minus exact)."""
    out = []
    for model in ("final", "ensemble"):
        diff = floored[f"{model}_nll"] - exact[f"{model}_nll"]
        g = pd.DataFrame({"dataset": exact.dataset, "method": exact.method, "diff": diff})
        for (d, m), part in g.groupby(["dataset", "method"], sort=True):
            hit = part["diff"].abs() > tol
            if hit.any():
                out.append(
                    {
                        "dataset": d,
                        "method": m,
                        "model": model,
                        "runs_changed": int(hit.sum()),
                        "largest_change": float(part["diff"].loc[part["diff"].abs().idxmax()]),
                    }
                )
    return pd.DataFrame(out, columns=["dataset", "method", "model", "runs_changed", "largest_change"])


def verdict_changes(exact: pd.DataFrame, floored: pd.DataFrame) -> pd.DataFrame:
    """Per dataset x comparison x metric (NLL metrics): the paired tests, and
    how many verdicts differ between the exact and the floored runs. Only
    tests between final models and ensembles count: the weight-averaged and
    weighted models keep their exact values in the floored runs."""
    keys = PAIRED_KEYS
    both = exact.merge(floored, on=keys, suffixes=("", "_floored"))
    both = both[both.metric.isin(NLL_METRICS) & both.a_model.isin(MODELS) & both.b_model.isin(MODELS)]
    both["changed"] = both["verdict"] != both["verdict_floored"]
    return (
        both.groupby(["dataset", "comparison", "metric"], sort=True)
        .agg(tests=("changed", "size"), verdicts_changed=("changed", "sum"))
        .reset_index()
    ), both[both.changed]


def study_points(sweeps: dict | None, methods) -> dict[str, dict]:
    """The grid points of ``sweeps`` named as the study's runs are:
    ``study.json`` keeps the config with its keys sorted, so a point's name
    is matched against ``methods`` in every order of its keys."""
    names = set(methods)
    out = {}
    for point in grid_points(sweeps).values():
        base, values = point["method"], {k: v for k, v in point.items() if k != "method"}
        for order in itertools.permutations(values):
            name = point_name(base, {k: values[k] for k in order})
            if name in names:
                out[name] = point
                break
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", type=Path, help="a finished study's results directory (e.g. results/sweep)")
    ap.add_argument("--out", type=Path, help="write the changed verdicts (CSV) here")
    args = ap.parse_args(argv)
    config = json.loads((args.root / "tables" / "study.json").read_text())["config"]
    evaluation = config["evaluation"]
    runs = pd.read_csv(args.root / "tables" / "runs.csv")
    floored = floored_runs(args.root, runs, evaluation)
    points = study_points(config.get("sweeps"), runs["method"].unique())
    plans = [Baselines(base, **spec) for base, spec in (config.get("baselines") or {}).items()]
    flips = evaluation.get("sign_flips", FLIPS)
    confidence = evaluation["confidence"]
    exact_paired = paired_table(runs, confidence, flips, points, plans)
    published = pd.read_csv(args.root / "tables" / "paired_tests.csv", keep_default_na=False)
    keys = PAIRED_KEYS
    same = published[[*keys, "verdict"]].merge(exact_paired[[*keys, "verdict"]], on=keys, how="outer")
    if len(same) != len(published) or (same["verdict_x"] != same["verdict_y"]).any():
        raise SystemExit(f"{args.root}: runs.csv does not reproduce paired_tests.csv's verdicts")
    floored_paired = paired_table(floored, confidence, flips, points, plans)
    counts, changed = verdict_changes(exact_paired, floored_paired)
    pd.set_option("display.width", 200)
    print("Runs whose NLL the eps floor changes (floored minus exact, nats):")
    print(changed_runs(runs, floored).to_string(index=False))
    print("\nPaired NLL verdicts, exact against floored:")
    print(counts.to_string(index=False))
    if len(changed):
        print("\nVerdicts that differ:")
        cols = ["dataset", "metric", "comparison", "a_method", "b_method", "verdict", "verdict_floored"]
        print(changed[cols].to_string(index=False))
    if args.out:
        changed.to_csv(args.out, index=False)


if __name__ == "__main__":
    main()
