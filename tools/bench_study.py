"""Wall time, scaling and start-up cost of the whole study.

``python -m tools.bench_study`` (or ``make bench-study``) runs the default
study (``config/config.yaml``) from an empty directory at ``--cores 1`` and at
``--cores 2``, checks that both give byte-identical tables, and prints:

* the wall time of each run and the speed-up between them;
* per rule, from the ``benchmark:`` files: jobs, median and total wall time,
  peak memory (max RSS);
* the share of the jobs' time that is start-up (interpreter, imports, thread
  set-up, reading the data; logged by every job as ``ready after ...``) rather
  than training, evaluation or drawing;
* the CPU time of the Snakemake process itself, against all CPU time;
* the study's predicted wall time on a SLURM cluster of 16, 64 and 256 cores,
  from the measured job times and the latency ``make test-slurm`` measured
  (:mod:`tools.cluster`, which states the assumptions), with its critical path.

``--configfile`` benchmarks another study (``config/sweep.yaml``; with
``--datasets blobs`` only its blobs part), ``--repeats 300`` the config with
``study.repeats`` replaced, ``--runs-per-job 5`` with
``execution.runs_per_job`` replaced (the chunk size's cost on a workstation,
and its predicted wall time on a cluster). ``--baseline REV`` instead runs the
study of an earlier git revision and this tree's alternately (``--pairs``
times, at the largest ``--cores``), from empty each time, and reports each
pair's wall times and their ratio: two trees compared on the same machine in
the same hour, whatever its speed that day. Each is checked against its targets (:data:`TARGETS`)
and written to ``results/bench/{tag}/bench-study.md``. Jobs run with one thread
each, so a job's wall time is its CPU time.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

from snapens.core.logs import DONE, EVALUATED, READY, REQUEST, TRAINED

ROOT = Path(__file__).resolve().parents[1]
# The targets, per benchmark (its tag): the default study at --cores 2 in half
# the time of the layout before chunked jobs (a245225: one job per dataset x
# method, per-run outputs declared, models trained one at a time, TensorFlow
# in evaluation) and within 10% of the release before the package was split
# by stage (231d7bd), each measured against it with --baseline, and in
# absolute terms half the 208 s it once took on the machine this was built
# on; the blobs part of the sweep within 10 minutes; 300 repeats at 0.3 s per
# run; Snakemake's own share of the CPU below 10% anywhere.
TARGETS = {
    "speedup": 1.8,
    "peak_rss_mb": 1024.0,
    "snakemake_share": 0.10,
    "wall_cores2_s": {"default": 104.0, "sweep-blobs": 600.0},
    # --baseline REV: this tree's wall over the baseline's, median of the pairs
    "baseline_ratio": {"a245225": 0.5, "231d7bd": 1.1},
    "per_run_cores2_s": {"default-repeats-300": 0.3},
}
PROCESS_UP = re.compile(r"job process up after ([0-9.]+)s")


def pattern(line: str) -> re.Pattern:
    """A regular expression reading back a log line written with ``line`` (%-format)."""
    fields = {"%.2f": "([0-9.]+)", "%d": "([0-9]+)", "%s": "(.*)"}
    text = re.escape(line)
    for field, group in fields.items():
        text = text.replace(re.escape(field), group)
    return re.compile(text)


READY_RE, DONE_RE, REQUEST_RE = pattern(READY), pattern(DONE), pattern(REQUEST)
TRAINED_RE, EVALUATED_RE = pattern(TRAINED), pattern(EVALUATED)


def children_cpu() -> float:
    """CPU seconds of this process's finished children and everything they waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# Snakemake run through this launcher writes its own process's CPU time (all
# its threads, not its jobs) to the file named by the first argument at exit.
LAUNCHER = (
    "import atexit, json, resource, runpy, sys\n"
    "out = sys.argv.pop(1)\n"
    "def record():\n"
    "    u = resource.getrusage(resource.RUSAGE_SELF)\n"
    "    open(out, 'w').write(json.dumps({'cpu_s': u.ru_utime + u.ru_stime}))\n"
    "atexit.register(record)\n"
    "sys.argv[0] = 'snakemake'\n"
    "runpy.run_module('snakemake', run_name='__main__', alter_sys=True)\n"
)


def results_root(configfiles: list[Path]) -> str:
    """The ``results`` root of a study's config files (the last that sets it)."""
    root = "results"
    for path in configfiles:
        root = (yaml.safe_load(Path(path).read_text()) or {}).get("results", root)
    return root


def run_study(
    workdir: Path, cores: int, configfiles: list[Path], snakefile: Path, library: Path | None = None
) -> tuple[float, float, float]:
    """Run the study from an empty ``workdir`` (with the library from the
    ``src`` directory ``library`` before the installed one, for Snakemake and
    every job, if given); return its wall time, the CPU time of Snakemake and
    all its jobs, and that of the Snakemake process alone (scheduling,
    bookkeeping, starting and benchmarking jobs), in seconds."""
    if (workdir / results_root(configfiles)).exists():
        raise SystemExit(
            f"{workdir / results_root(configfiles)} exists: the benchmark starts from an empty directory"
        )
    workdir.mkdir(parents=True, exist_ok=True)
    own = workdir / "snakemake-cpu.json"
    args = [
        "-s",
        str(snakefile),
        "--directory",
        str(workdir),
        "--cores",
        str(cores),
        "--configfile",
        *map(str, configfiles),
    ]
    print(f"[bench-study] snakemake {' '.join(args)}", flush=True)
    cmd = [sys.executable, "-c", LAUNCHER, str(own), *args]
    start, cpu = time.perf_counter(), children_cpu()
    env = dict(os.environ)
    if library is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(library), *filter(None, [os.environ.get("PYTHONPATH")])])
    with open(workdir / "snakemake.log", "w") as out:
        proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    wall, cpu = time.perf_counter() - start, children_cpu() - cpu
    if proc.returncode:
        raise SystemExit(f"snakemake failed (exit {proc.returncode}); see {workdir / 'snakemake.log'}")
    print(f"[bench-study] --cores {cores}: {wall:.1f} s", flush=True)
    return wall, cpu, json.loads(own.read_text())["cpu_s"]


def job_times(results: Path) -> pd.DataFrame:
    """One row per job of the study under ``results``: rule, wall seconds,
    CPU seconds (the benchmark's last sample, and the job process's own count
    from its log), peak RSS (MB), start-up seconds and requested memory (its
    log's request line)."""
    rows = []
    bench = results / "benchmarks"
    for tsv in sorted(bench.rglob("*.tsv")):
        rel = tsv.relative_to(bench)
        rule = rel.parts[0].removesuffix(".tsv")  # <rule>/... or <rule>.tsv
        b = pd.read_csv(tsv, sep="\t").iloc[-1]
        log = results / "logs" / rel.with_suffix(".log")
        text = log.read_text() if log.exists() else ""
        rows.append(
            {
                "rule": rule,
                "job": str(rel.with_suffix("")),
                "wall_s": float(b["s"]),
                "cpu_s": float(b["cpu_time"]),
                "max_rss_mb": float(b["max_rss"]),
                "own_cpu_s": own_cpu(text),
                "startup_s": startup(text),
                "mem_mb": requested(text).get("resources", {}).get("mem_mb", float("nan")),
            }
        )
    return pd.DataFrame(rows)


def own_cpu(log: str) -> float:
    """The CPU seconds a job's process counted itself (its ``done after`` line)."""
    found = DONE_RE.findall(log)
    return float(found[-1][1]) if found else float("nan")


def startup(log: str) -> float:
    """A job's start-up from its log: the ``ready after`` mark if it logs one,
    else the time its process took to reach the job's code."""
    for pattern in (READY_RE, PROCESS_UP):
        found = pattern.findall(log)
        if found:
            return float(found[0])
    return float("nan")


def requested(log: str) -> dict:
    """What a job asked Snakemake for (its log's request line): rule, threads, resources."""
    found = REQUEST_RE.findall(log)
    return json.loads(found[0]) if found else {}


def memory_requests(jobs: pd.DataFrame) -> dict[str, int]:
    """The largest ``mem_mb`` any job of each rule requested."""
    return {rule: int(mem) for rule, mem in jobs.groupby("rule")["mem_mb"].max().items() if mem == mem}


def detailed_summary(workdir: Path, configfiles: list[Path], snakefile: Path) -> str:
    """Snakemake's ``--detailed-summary`` of the finished study in ``workdir``:
    every output file with the rule, log and input files of its job."""
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(snakefile),
        "--directory",
        str(workdir),
        "--detailed-summary",
        "--configfile",
        *map(str, configfiles),
    ]
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


CLUSTER_CORES = (16, 64, 256)
REMOTE_RULES = ("train", "evaluate", "aggregate", "decision_grid")  # profiles/slurm: not local
STATUS_INTERVAL = 40  # s: the SLURM plugin's default time between job-status checks
LATENCY_FILE = ROOT / "results" / "bench" / "slurm-latency.json"  # written by make test-slurm


def cluster_latency(path: Path = LATENCY_FILE) -> tuple[float, str]:
    """Seconds a cluster job adds to its own time: the median submit-to-start
    latency measured by ``make test-slurm`` plus half the SLURM plugin's
    status-check interval (the mean wait before Snakemake sees a job end)."""
    if path.exists():
        waits = json.loads(path.read_text())["submit_to_start_s"]
        start, source = statistics.median(waits), f"measured by make test-slurm ({path})"
    else:
        start, source = 1.0, "assumed 1 s: run make test-slurm to measure it"
    return start + STATUS_INTERVAL / 2, (
        f"{start:.0f} s from submission to start ({source}) + "
        f"{STATUS_INTERVAL / 2:.0f} s, half the SLURM plugin's status-check "
        f"interval of {STATUS_INTERVAL} s"
    )


def cluster_prediction(
    workdir: Path,
    summary_text: str,
    latency: float,
    latency_text: str,
    cores: tuple[int, ...] = CLUSTER_CORES,
) -> list[str]:
    """Markdown lines: the study of ``workdir`` predicted on clusters of
    ``cores`` cores from its DAG (``summary_text``: :func:`detailed_summary`)
    and measured job times (:mod:`tools.cluster`)."""
    from tools import cluster

    jobs = cluster.parse_summary(summary_text)
    dag = cluster.tasks(jobs, cluster.benchmark_seconds(workdir, jobs), REMOTE_RULES)
    remote = [t for t in dag.values() if t.remote]
    work = sum(t.seconds for t in remote)
    length, path = cluster.critical_path(dag, latency)
    lines = [
        f"- on a SLURM cluster (profiles/slurm; {len(remote)} cluster jobs, {work:.0f} s of their "
        f"measured time; {len(dag) - len(remote)} jobs on the submitting host, 2 cores; a cluster job "
        f"adds {latency:.0f} s: {latency_text}):"
    ]
    for n in cores:
        wall, _ = cluster.schedule(dag, n, latency)
        lines.append(f"  - {n} cores: {wall:.0f} s ({wall / 60:.1f} min)")
    steps = " -> ".join(f"{name} ({dag[name].seconds:.1f} s)" for name in path)
    lines.append(f"  - critical path, {length:.0f} s with latencies: {steps}")
    lines.append("  - assumptions: " + "; ".join(cluster.ASSUMPTIONS) + ".")
    return lines


def cost_model(results: Path, jobs: pd.DataFrame) -> list[str]:
    """Markdown lines: the cost model's constants (:mod:`snapens.plan.cost`)
    beside the same quantities measured on the jobs of this run."""
    from snapens.plan.cost import COSTS, lane_step_seconds

    logs = {
        row.job: (results / "logs" / f"{row.job}.log").read_text()
        for row in jobs.itertuples()
        if (results / "logs" / f"{row.job}.log").exists()
    }
    by_rule = jobs.set_index("job")["rule"]
    startups = jobs.groupby(jobs["rule"] == "train")["startup_s"].median()
    steps: dict[int, list[float]] = {}
    for text in logs.values():
        for _runs, seconds, lanes, n, weights, snapshots in TRAINED_RE.findall(text):
            if int(lanes) and int(n):
                saved = int(snapshots) * COSTS.save_snapshot
                steps.setdefault(int(weights), []).append((float(seconds) - saved) / (int(lanes) * int(n)))
    members = [
        float(s) / int(m)
        for job, text in logs.items()
        if by_rule[job] == "evaluate"
        for m, _, s in EVALUATED_RE.findall(text)
        if int(m)
    ]
    lines = [
        "",
        "Cost model (snapens.plan.cost) against this run, medians over its jobs:",
        "",
        "| quantity | model | measured |",
        "|---|---|---|",
        f"| training job start-up (s) | {COSTS.train_startup:g} | {startups.get(True, float('nan')):.2f} |",
        f"| other job start-up (s) | {COSTS.job_startup:g} | {startups.get(False, float('nan')):.2f} |",
    ]
    for weights, values in sorted(steps.items()):
        lines.append(
            f"| lane step, {weights} weights per lane (ms) | {1e3 * lane_step_seconds(weights):.3f} | "
            f"{1e3 * statistics.median(values):.3f} |"
        )
    if members:
        lines.append(
            f"| evaluating a member (ms) | {1e3 * COSTS.evaluate_member:g} | "
            f"{1e3 * statistics.median(members):.2f} |"
        )
    return lines


def per_rule(jobs: pd.DataFrame) -> pd.DataFrame:
    g = jobs.groupby("rule", sort=False)
    out = pd.DataFrame(
        {
            "jobs": g.size(),
            "median_wall_s": g["wall_s"].median(),
            "total_wall_s": g["wall_s"].sum(),
            "peak_rss_mb": g["max_rss_mb"].max(),
            "startup_s": g["startup_s"].sum(),
        }
    )
    return out.sort_values("total_wall_s", ascending=False)


def identical_tables(a: Path, b: Path) -> list[str]:
    """Names of the tables that differ (or exist in one run only) between two results roots."""
    ta, tb = a / "tables", b / "tables"
    names = sorted({p.name for p in ta.iterdir()} | {p.name for p in tb.iterdir()})
    out = []
    for n in names:
        if not (ta / n).exists() or not (tb / n).exists():
            out.append(f"{n} (only in the {'second' if not (ta / n).exists() else 'first'} run)")
        elif not filecmp.cmp(ta / n, tb / n, shallow=False):
            out.append(n)
    return out


def n_runs(results: Path) -> int:
    """Run directories of the study (a grid point's method is two levels deep)."""
    return sum(p.is_dir() for p in (results / "runs").rglob("seed-*"))


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def report(
    walls: dict[int, float],
    jobs: pd.DataFrame,
    results: Path,
    differ: list[str] | None,
    requests: dict[str, int] | None = None,
    cpu: float | None = None,
    tag: str = "default",
    own: float | None = None,
    prediction: list[str] | None = None,
    costs: list[str] | None = None,
) -> str:
    """The benchmark as markdown. ``walls`` maps cores to wall seconds; ``jobs``,
    ``results`` (the run's results root), ``cpu`` (Snakemake and its jobs) and
    ``own`` (the Snakemake process alone) are of the run at the most cores;
    ``tag`` names the benchmark, whose targets (:data:`TARGETS`) are checked."""
    rules = per_rule(jobs)
    requests = requests or {}
    runs = n_runs(results)
    lines = [f"# Study benchmark `{tag}` ({runs} runs)", ""]
    for cores, wall in walls.items():
        lines.append(f"- `--cores {cores}`: {wall:.1f} s wall, {wall / runs:.3f} s per run")
    if 1 in walls and 2 in walls:
        speedup = walls[1] / walls[2]
        lines.append(
            f"- speed-up `--cores 2` over `--cores 1`: {speedup:.2f}x "
            f"(target >= {TARGETS['speedup']}x: {verdict(speedup >= TARGETS['speedup'])})"
        )
    if 2 in walls and tag in TARGETS["wall_cores2_s"]:
        limit = TARGETS["wall_cores2_s"][tag]
        lines.append(
            f"- `--cores 2` wall {walls[2]:.1f} s (target <= {limit:.0f} s: {verdict(walls[2] <= limit)})"
        )
    if 2 in walls and tag in TARGETS["per_run_cores2_s"]:
        limit = TARGETS["per_run_cores2_s"][tag]
        lines.append(
            f"- `--cores 2` wall per run {walls[2] / runs:.3f} s (target <= {limit} s: "
            f"{verdict(walls[2] / runs <= limit)})"
        )
    peak = jobs["max_rss_mb"].max()
    lines.append(
        f"- largest job peak RSS {peak:.0f} MB (target < {TARGETS['peak_rss_mb']:.0f} MB: "
        f"{verdict(peak < TARGETS['peak_rss_mb'])})"
    )
    over = [rule for rule, r in rules.iterrows() if rule in requests and r.peak_rss_mb > requests[rule]]
    if requests:
        lines.append(
            "- every rule's peak RSS within its `mem_mb` request: "
            + ("yes" if not over else f"NO: {', '.join(over)}")
        )
    if differ is not None:
        lines.append("- tables of the runs byte-identical: " + ("yes" if not differ else f"NO: {differ}"))
    if cpu is not None:
        in_jobs = jobs["cpu_s"].sum()
        share = (cpu - in_jobs) / cpu
        lines.append(
            f"- CPU time at `--cores {max(walls)}`: {cpu:.1f} s, of which the jobs {in_jobs:.1f} s "
            f"(their benchmark files) and the rest {cpu - in_jobs:.1f} s ({100 * share:.0f}%; "
            f"target < {100 * TARGETS['snakemake_share']:.0f}%: {verdict(share < TARGETS['snakemake_share'])}). "
            "The rest counts Snakemake's own work and the jobs' CPU after their last benchmark "
            "sample, which Snakemake takes every 0.5 s for a job's first 15 s and every 30 s after"
        )
    if cpu is not None and jobs["own_cpu_s"].notna().all():
        counted = jobs["own_cpu_s"].sum()
        share = (cpu - counted) / cpu
        lines.append(
            f"- the same with each job's CPU as its process counts it (its log's last line): "
            f"the jobs {counted:.1f} s, the rest {cpu - counted:.1f} s ({100 * share:.1f}%; target "
            f"< {100 * TARGETS['snakemake_share']:.0f}%: {verdict(share < TARGETS['snakemake_share'])}): "
            "Snakemake and the shell and interpreter start of each job before it counts"
        )
    if cpu is not None and own is not None:
        lines.append(
            f"- the Snakemake process's own CPU time (its rusage: scheduling, bookkeeping, starting "
            f"and benchmarking jobs; no job): {own:.1f} s ({100 * own / cpu:.1f}% of all CPU; target "
            f"< {100 * TARGETS['snakemake_share']:.0f}%: {verdict(own / cpu < TARGETS['snakemake_share'])})"
        )
    lines += prediction or []
    total, start = jobs["wall_s"].sum(), jobs["startup_s"].sum()
    lines += [
        f"- job time (sum of the jobs' wall time; one thread each): {total:.1f} s; start-up "
        f"{start:.1f} s ({100 * start / total:.0f}%: interpreter, imports, TensorFlow, reading the "
        f"data); the rest, {total - start:.1f} s ({100 * (total - start) / total:.0f}%), is training, "
        "evaluation, tables and figures",
        "",
        "| rule | jobs | median wall (s) | total wall (s) | peak RSS (MB) | mem_mb request | start-up (s) |",
        "|---|---|---|---|---|---|---|",
    ]
    for rule, r in rules.iterrows():
        lines.append(
            f"| {rule} | {int(r.jobs)} | {r.median_wall_s:.2f} | {r.total_wall_s:.1f} | "
            f"{r.peak_rss_mb:.0f} | {requests.get(rule, '')} | {r.startup_s:.1f} |"
        )
    lines += costs or []
    return "\n".join(lines) + "\n"


def study_configs(
    workdir: Path,
    configfile: Path,
    repeats: int | None = None,
    runs_per_job: int | None = None,
    datasets: list[str] | None = None,
) -> tuple[str, list[Path]]:
    """The benchmark's tag and the config files of its study: ``configfile``
    (with only ``datasets`` kept), then one override file per replaced key,
    written under ``workdir/{tag}``."""
    stem = "default" if configfile.name == "config.yaml" else configfile.stem
    tag = "-".join(
        [
            stem,
            *([f"repeats-{repeats}"] if repeats else []),
            *([f"runs-per-job-{runs_per_job}"] if runs_per_job else []),
            *(datasets or []),
        ]
    )
    base = workdir / tag
    base.mkdir(parents=True, exist_ok=True)
    configfiles = [configfile.resolve()]
    if datasets:  # a config of its own: merging config files cannot remove a dataset
        config = yaml.safe_load(configfile.read_text())
        unknown = set(datasets) - set(config["datasets"])
        if unknown:
            raise SystemExit(f"--datasets: {', '.join(sorted(unknown))} not in {configfile}")
        config["datasets"] = {d: v for d, v in config["datasets"].items() if d in datasets}
        configfiles = [base / "config.yaml"]
        configfiles[0].write_text(yaml.safe_dump(config, sort_keys=False))
    for name, section, key, value in (
        ("repeats", "study", "repeats", repeats),
        ("runs-per-job", "execution", "runs_per_job", runs_per_job),
    ):
        if value:
            override = base / f"{name}.yaml"
            override.write_text(yaml.safe_dump({section: {key: value}}))
            configfiles.append(override)
    return tag, configfiles


def checkout(rev: str, into: Path) -> Path:
    """The project's tree at git revision ``rev``, extracted into ``into``
    (its study runs with its own ``src/`` first on ``PYTHONPATH``, for
    Snakemake and every job: :func:`compare_with_baseline`)."""
    if into.exists():
        raise SystemExit(f"{into} exists: the baseline is extracted into a new directory")
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], capture_output=True, check=False)
    if archive.returncode:
        raise SystemExit(f"--baseline {rev}: git archive failed: {archive.stderr.decode().strip()}")
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def paired_ratios(pairs: list[tuple[float, float]], rev: str) -> list[str]:
    """Markdown lines: each pair's wall times (baseline, this tree) and their
    ratio, and the median ratio against the target for ``rev`` (:data:`TARGETS`)."""
    ratios = [new / old for old, new in pairs]
    lines = [
        f"- pair {i}: baseline {old:.1f} s, this tree {new:.1f} s, ratio {new / old:.3f}"
        for i, (old, new) in enumerate(pairs, start=1)
    ]
    median = statistics.median(ratios)
    limit = TARGETS["baseline_ratio"].get(rev)
    target = f"target <= {limit}: {verdict(median <= limit)}" if limit else f"no target for {rev}"
    lines.append(f"- median ratio {median:.3f}, largest {max(ratios):.3f} ({target})")
    return lines


def compare_with_baseline(rev: str, pairs: int, cores: int, configfiles: list[Path], base: Path) -> str:
    """Run the study of git revision ``rev`` (with its own default config) and
    this tree's, alternately, ``pairs`` times at ``cores`` cores, each from
    empty; return the comparison as markdown: the wall times, and whether the
    two trees wrote the same tables."""
    tree = checkout(rev, base / f"baseline-{rev}" / "tree")
    baseline_config = [tree / "config" / "config.yaml"]
    walls = []
    for i in range(1, pairs + 1):
        old = run_study(
            base / f"baseline-{rev}" / f"run-{i}", cores, baseline_config, tree / "Snakefile", tree / "src"
        )[0]
        new = run_study(base / f"run-{i}", cores, configfiles, ROOT / "Snakefile")[0]
        walls.append((old, new))
    differ = identical_tables(
        base / f"baseline-{rev}" / "run-1" / results_root(baseline_config),
        base / "run-1" / results_root(configfiles),
    )
    same = "yes" if not differ else f"NO: {', '.join(differ)}"
    lines = [
        f"# The default study against `{rev}`, `--cores {cores}`, alternately",
        "",
        *paired_ratios(walls, rev),
    ]
    return "\n".join([*lines, f"- tables byte-identical with the baseline's: {same}"]) + "\n"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--configfile", type=Path, default=ROOT / "config" / "config.yaml")
    ap.add_argument("--cores", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeats", type=int, help="replace study.repeats (a scaling run)")
    ap.add_argument("--runs-per-job", type=int, help="replace execution.runs_per_job (a chunk-size run)")
    ap.add_argument("--datasets", nargs="+", help="keep only these datasets of the config (e.g. blobs)")
    ap.add_argument("--workdir", type=Path, default=ROOT / "results" / "bench")
    ap.add_argument(
        "--baseline", metavar="REV", help="compare with the study of this git revision, run alternately"
    )
    ap.add_argument("--pairs", type=int, default=3, help="runs of each with --baseline (default 3)")
    args = ap.parse_args(argv)
    tag, configfiles = study_configs(
        args.workdir, args.configfile, args.repeats, args.runs_per_job, args.datasets
    )
    base = args.workdir / tag
    if args.baseline:
        text = compare_with_baseline(
            args.baseline, args.pairs, max(args.cores), configfiles, base / f"against-{args.baseline}"
        )
        (base / f"against-{args.baseline}" / "bench-study.md").write_text(text)
        print(text)
        return
    measured = {c: run_study(base / f"cores-{c}", c, configfiles, ROOT / "Snakefile") for c in args.cores}
    walls = {c: m[0] for c, m in measured.items()}
    root = results_root(configfiles)
    last = base / f"cores-{max(args.cores)}"
    differ = None
    if len(args.cores) > 1:
        differ = identical_tables(base / f"cores-{min(args.cores)}" / root, last / root)
    summary = detailed_summary(last, configfiles, ROOT / "Snakefile")
    latency, latency_text = cluster_latency()
    jobs = job_times(last / root)
    text = report(
        walls,
        jobs,
        last / root,
        differ,
        memory_requests(jobs),
        cpu=measured[max(args.cores)][1],
        tag=tag,
        own=measured[max(args.cores)][2],
        prediction=cluster_prediction(last, summary, latency, latency_text),
        costs=cost_model(last / root, jobs),
    )
    (base / "bench-study.md").write_text(text)
    print(text)
    print(f"[bench-study] written to {base / 'bench-study.md'}")
    if differ:
        raise SystemExit(f"tables differ between the runs: {differ}")


if __name__ == "__main__":
    main()
