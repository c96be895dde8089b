"""Wall time, scaling and start-up cost of the whole study.

``python -m snapens.bench_study`` (or ``make bench-study``) runs the default
study (``config/config.yaml``) from an empty directory at ``--cores 1`` and at
``--cores 2``, checks that both give byte-identical tables, and prints:

* the wall time of each run and the speed-up between them;
* per rule, from the ``benchmark:`` files: jobs, median and total wall time,
  peak memory (max RSS);
* the share of the jobs' time that is start-up (interpreter, imports, thread
  set-up, reading the data; logged by every job as ``ready after ...``) rather
  than training, evaluation or drawing, and the XLA compilation paid by the
  first run of each training job.

``--repeats 300`` instead runs a larger grid (the config with ``study.repeats``
replaced) at the given cores, to show that the wall time per run does not grow.
Jobs run with one thread each, so a job's wall time is its CPU time.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from snapens.logs import READY

ROOT = Path(__file__).resolve().parents[2]
TARGETS = {"wall_cores2_s": 300.0, "speedup": 1.8, "peak_rss_mb": 1024.0}
PROCESS_UP = re.compile(r"job process up after ([0-9.]+)s")
READY_RE = re.compile(re.escape(READY).replace(re.escape("%.2f"), "([0-9.]+)"))


def children_cpu() -> float:
    """CPU seconds of this process's finished children and everything they waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_study(workdir: Path, cores: int, configfiles: list[Path], snakefile: Path) -> tuple[float, float]:
    """Run the study from an empty ``workdir``; return its wall time and the
    CPU time of Snakemake and all its jobs, in seconds."""
    if (workdir / "results").exists():
        raise SystemExit(f"{workdir}/results exists: the benchmark starts from an empty directory")
    workdir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "snakemake", "-s", str(snakefile), "--directory", str(workdir),
           "--cores", str(cores), "--configfile", *map(str, configfiles)]
    print(f"[bench-study] {' '.join(cmd)}", flush=True)
    start, cpu = time.perf_counter(), children_cpu()
    with open(workdir / "snakemake.log", "w") as out:
        proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT)
    wall, cpu = time.perf_counter() - start, children_cpu() - cpu
    if proc.returncode:
        raise SystemExit(f"snakemake failed (exit {proc.returncode}); see {workdir / 'snakemake.log'}")
    print(f"[bench-study] --cores {cores}: {wall:.1f} s", flush=True)
    return wall, cpu


def job_times(workdir: Path) -> pd.DataFrame:
    """One row per job: rule, wall seconds, peak RSS (MB) and start-up seconds."""
    rows = []
    bench = workdir / "results" / "benchmarks"
    for tsv in sorted(bench.rglob("*.tsv")):
        rel = tsv.relative_to(bench)
        rule = rel.parts[0].removesuffix(".tsv")  # <rule>/... or <rule>.tsv
        b = pd.read_csv(tsv, sep="\t").iloc[-1]
        log = workdir / "results" / "logs" / rel.with_suffix(".log")
        rows.append({"rule": rule, "job": str(rel.with_suffix("")), "wall_s": float(b["s"]),
                     "cpu_s": float(b["cpu_time"]), "max_rss_mb": float(b["max_rss"]),
                     "startup_s": startup(log)})
    return pd.DataFrame(rows)


def startup(log: Path) -> float:
    """A job's start-up from its log: the ``ready after`` mark if it logs one,
    else the time its process took to reach the job's code."""
    text = log.read_text() if log.exists() else ""
    for pattern in (READY_RE, PROCESS_UP):
        found = pattern.findall(text)
        if found:
            return float(found[0])
    return float("nan")


def compile_seconds(workdir: Path) -> float:
    """XLA compilation paid by training jobs: per job, its first run's training
    time minus the median of its other runs."""
    total = 0.0
    for method_dir in sorted((workdir / "results" / "runs").glob("*/*")):
        metas = [json.loads(p.read_text()) for p in method_dir.glob("seed-*/run.json")]
        metas.sort(key=lambda m: m["started"])
        secs = [m["train_seconds"] for m in metas]
        if len(secs) > 1:
            total += max(secs[0] - statistics.median(secs[1:]), 0.0)
    return total


RULE_RE = re.compile(r"^\s*(?:local)?rule (\w+):")
MEM_RE = re.compile(r"^\s*resources: .*\bmem_mb=(\d+)")


def declared_memory(dry_run_output: str) -> dict[str, int]:
    """Each rule's ``mem_mb`` request, from a ``snakemake -n`` listing."""
    declared, rule = {}, None
    for line in dry_run_output.splitlines():
        if m := RULE_RE.match(line):
            rule = m.group(1)
        elif (m := MEM_RE.match(line)) and rule:
            declared[rule] = max(declared.get(rule, 0), int(m.group(1)))
    return declared


def memory_requests(workdir: Path, configfiles: list[Path], snakefile: Path) -> dict[str, int]:
    """``mem_mb`` of every rule of the study in ``workdir`` (a dry run, changes nothing)."""
    cmd = [sys.executable, "-m", "snakemake", "-s", str(snakefile), "--directory", str(workdir),
           "-n", "--forceall", "--configfile", *map(str, configfiles)]
    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return declared_memory(res.stdout + res.stderr)


def per_rule(jobs: pd.DataFrame) -> pd.DataFrame:
    g = jobs.groupby("rule", sort=False)
    out = pd.DataFrame({
        "jobs": g.size(),
        "median_wall_s": g["wall_s"].median(),
        "total_wall_s": g["wall_s"].sum(),
        "peak_rss_mb": g["max_rss_mb"].max(),
        "startup_s": g["startup_s"].sum(),
    })
    return out.sort_values("total_wall_s", ascending=False)


def identical_tables(a: Path, b: Path) -> list[str]:
    """Names of the tables that differ (or exist in one run only)."""
    ta, tb = a / "results" / "tables", b / "results" / "tables"
    names = sorted({p.name for p in ta.iterdir()} | {p.name for p in tb.iterdir()})
    return [n for n in names if not ((ta / n).exists() and (tb / n).exists()
                                     and filecmp.cmp(ta / n, tb / n, shallow=False))]


def n_runs(workdir: Path) -> int:
    return len(list((workdir / "results" / "runs").glob("*/*/seed-*")))


def report(walls: dict[int, float], jobs: pd.DataFrame, workdir: Path, differ: list[str] | None,
           requests: dict[str, int] | None = None, cpu: float | None = None, scaled: bool = False) -> str:
    """The benchmark as markdown. ``walls`` maps cores to wall seconds; ``jobs``
    and ``cpu`` (Snakemake and its jobs) are of the run at the most cores;
    ``scaled`` marks a larger grid than the default study, where the
    default study's wall-time target does not apply."""
    rules = per_rule(jobs)
    requests = requests or {}
    lines = [f"# Study benchmark ({n_runs(workdir)} runs)", ""]
    for cores, wall in walls.items():
        lines.append(f"- `--cores {cores}`: {wall:.1f} s wall, {wall / n_runs(workdir):.3f} s per run")
    if 1 in walls and 2 in walls:
        speedup = walls[1] / walls[2]
        lines.append(f"- speed-up `--cores 2` over `--cores 1`: {speedup:.2f}x "
                     f"(target >= {TARGETS['speedup']}x: {'met' if speedup >= TARGETS['speedup'] else 'MISSED'})")
    if 2 in walls and not scaled:
        ok = walls[2] < TARGETS["wall_cores2_s"]
        lines.append(f"- `--cores 2` wall {walls[2]:.1f} s (target < {TARGETS['wall_cores2_s']:.0f} s: "
                     f"{'met' if ok else 'MISSED'})")
    peak = jobs["max_rss_mb"].max()
    lines.append(f"- largest job peak RSS {peak:.0f} MB (target < {TARGETS['peak_rss_mb']:.0f} MB: "
                 f"{'met' if peak < TARGETS['peak_rss_mb'] else 'MISSED'})")
    over = [rule for rule, r in rules.iterrows() if rule in requests and r.peak_rss_mb > requests[rule]]
    if requests:
        lines.append("- every rule's peak RSS within its `mem_mb` request: "
                     + ("yes" if not over else f"NO: {', '.join(over)}"))
    if differ is not None:
        lines.append("- tables of the runs byte-identical: " + ("yes" if not differ else f"NO: {differ}"))
    if cpu is not None:
        in_jobs = jobs["cpu_s"].sum()
        lines.append(f"- CPU time at `--cores {max(walls)}`: {cpu:.1f} s, of which the jobs {in_jobs:.1f} s "
                     f"(benchmark files) and Snakemake itself {cpu - in_jobs:.1f} s "
                     f"({100 * (cpu - in_jobs) / cpu:.0f}%; scheduling, bookkeeping, job start)")
    total, start, comp = jobs["wall_s"].sum(), jobs["startup_s"].sum(), compile_seconds(workdir)
    lines += [
        f"- job time (sum of the jobs' wall time; one thread each): {total:.1f} s; start-up "
        f"{start:.1f} s ({100 * start / total:.0f}%); XLA compilation in the first run of each "
        f"training job {comp:.1f} s ({100 * comp / total:.0f}%); the rest, {total - start - comp:.1f} s "
        f"({100 * (total - start - comp) / total:.0f}%), is training, evaluation, tables and figures",
        "",
        "| rule | jobs | median wall (s) | total wall (s) | peak RSS (MB) | mem_mb request | start-up (s) |",
        "|---|---|---|---|---|---|---|",
    ]
    for rule, r in rules.iterrows():
        lines.append(f"| {rule} | {int(r.jobs)} | {r.median_wall_s:.2f} | {r.total_wall_s:.1f} | "
                     f"{r.peak_rss_mb:.0f} | {requests.get(rule, '')} | {r.startup_s:.1f} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--configfile", type=Path, default=ROOT / "config" / "config.yaml")
    ap.add_argument("--cores", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeats", type=int, help="replace study.repeats (a scaling run)")
    ap.add_argument("--workdir", type=Path, default=ROOT / "results" / "bench")
    args = ap.parse_args(argv)
    tag = f"repeats-{args.repeats}" if args.repeats else "default"
    base = args.workdir / tag
    configfiles = [args.configfile.resolve()]
    if args.repeats:
        base.mkdir(parents=True, exist_ok=True)
        override = base / "repeats.yaml"
        override.write_text(f"study:\n  repeats: {args.repeats}\n")
        configfiles.append(override)
    measured = {c: run_study(base / f"cores-{c}", c, configfiles, ROOT / "Snakefile") for c in args.cores}
    walls = {c: wall for c, (wall, _) in measured.items()}
    last = base / f"cores-{max(args.cores)}"
    differ = None
    if len(args.cores) > 1:
        differ = identical_tables(base / f"cores-{min(args.cores)}", last)
    text = report(walls, job_times(last), last, differ, memory_requests(last, configfiles, ROOT / "Snakefile"),
                  cpu=measured[max(args.cores)][1], scaled=bool(args.repeats))
    (base / "bench-study.md").write_text(text)
    print(text)
    print(f"[bench-study] written to {base / 'bench-study.md'}")
    if differ:
        raise SystemExit(f"tables differ between the runs: {differ}")


if __name__ == "__main__":
    main()
