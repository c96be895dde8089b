"""Where the time of the evaluation and aggregation jobs goes, per run.

``python -m tools.profile_jobs`` (or ``make profile-jobs``) reads a finished
study (``--configfile``, default ``config/config.yaml``: its ``results``) and,
for each of its chunks (``--jobs`` limits them), prints

* from the study's own logs: each job's seconds, and how many of them were
  start-up (interpreter, imports, reading the data) before its first run;
* from running the job's body again under ``cProfile`` on a copy of its runs
  (the study is not touched): the milliseconds per run of each call the
  per-run function makes (``evaluate_run``, ``aggregate_run``), largest first.

The per-run breakdown is what to cut next; the start-up is what only fewer
jobs (or fewer imports) remove.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import pstats
import re
import shutil
import tempfile
from pathlib import Path

import yaml
from snakemake.utils import validate

from snapens.core.logs import DONE, READY
from snapens.plan.config import check_config
from snapens.plan.study import Study

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
PER_RUN = {"evaluate": "evaluate_run", "aggregate": "aggregate_run"}


def plan(configfile: Path) -> Study:
    """The study of ``configfile``, checked and with the schema's defaults."""
    config = copy.deepcopy(yaml.safe_load(configfile.read_text()))
    check_config(config, SCHEMA)
    validate(config, str(SCHEMA))
    return Study(config)


def logged_seconds(log_file: Path) -> tuple[float, float] | None:
    """``(start-up, whole job)`` seconds from a job's log (None when absent)."""
    if not log_file.exists():
        return None
    text = log_file.read_text()
    ready = re.search(READY.replace("%.2f", r"([\d.]+)"), text)
    done = re.search(DONE.replace("%.2f", r"([\d.]+)"), text)
    if not (ready and done):
        return None
    return float(ready.group(1)), float(done.group(1))


def calls_of(stats: pstats.Stats, function: str) -> dict[str, float]:
    """Cumulative seconds of each call ``function`` makes, by callee."""
    out: dict[str, float] = {}
    for (file, line, name), (*_, callers) in stats.stats.items():
        for (_, _, caller), timing in callers.items():
            if caller == function:
                label = f"{Path(file).stem}.{name}" if file != "~" else name
                if name == "<genexpr>":
                    label = f"{Path(file).stem}:{line} <genexpr>"
                out[label] = out.get(label, 0.0) + timing[3]
    return out


def profiled(stage: str, body, runs: int) -> tuple[float, dict[str, float]]:
    """Run ``body()`` under cProfile: its seconds per run, and the
    per-run seconds of each call of the stage's per-run function."""
    profile = cProfile.Profile()
    profile.runcall(body)
    stats = pstats.Stats(profile)
    total = sum(t for (*_, name), (_, _, _, t, _) in stats.stats.items() if name == PER_RUN[stage])
    return total / runs, {k: v / runs for k, v in calls_of(stats, PER_RUN[stage]).items()}


def profile_chunk(study: Study, dataset: str, method: str, chunk: str, work: Path) -> list[str]:
    """The report lines of one chunk's evaluation and aggregation."""
    from snapens.evaluate.rule_aggregate import aggregate
    from snapens.evaluate.rule_evaluate import evaluate

    seeds = study.chunk_seeds(chunk)
    copies = []
    for seed in seeds:
        source = Path(study.layout.run_dir(dataset, method, seed))
        if not (source / "probabilities.npz").exists():
            raise SystemExit(f"{source}: not evaluated; run the study first")
        target = work / dataset / method / source.name
        shutil.copytree(source, target)
        copies.append(target)
    data = study.data_files(dataset, [chunk])
    evaluation = study.metric_settings()
    bodies = {
        "evaluate": lambda: evaluate(data, copies, evaluation),
        "aggregate": lambda: aggregate(data, copies, evaluation),
    }
    lines = []
    for stage, body in bodies.items():
        job = f"{dataset}/{method}/{chunk}"
        logged = logged_seconds(Path(study.layout.job_file("logs", stage, job, "log")))
        per_run, calls = profiled(stage, body, len(seeds))
        head = f"{stage} {job}: {len(seeds)} runs, {1e3 * per_run:.1f} ms per run (profiled)"
        if logged:
            head += f"; in the study {logged[1]:.2f} s, of which {logged[0]:.2f} s start-up"
        lines.append(head)
        for label, seconds in sorted(calls.items(), key=lambda kv: -kv[1])[:6]:
            lines.append(f"    {1e3 * seconds:7.2f} ms  {label}")
    return lines


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--configfile", type=Path, default=ROOT / "config" / "config.yaml")
    ap.add_argument("--jobs", type=int, default=0, help="profile only the first this many chunks (0: all)")
    args = ap.parse_args(argv)
    study = plan(args.configfile)
    chunks = [
        (d, m, c) for d in study.datasets for m in study.dataset_methods[d] for c in study.dataset_chunks[d]
    ]
    if args.jobs:
        chunks = chunks[: args.jobs]
    print(f"# Evaluation and aggregation of {study.layout.root}, per run")
    with tempfile.TemporaryDirectory(prefix="profile-jobs-") as work:
        for i, (d, m, c) in enumerate(chunks):
            for line in profile_chunk(study, d, m, c, Path(work) / str(i)):
                print(line, flush=True)


if __name__ == "__main__":
    main()
