"""The study's wall time on a cluster, predicted from measured job times.

From a finished study: its DAG (Snakemake's ``--detailed-summary``, a table
of every output file with the rule, log and input files of the job that
wrote it), every job's measured wall time (its ``benchmark:`` file, beside
its log by the layout's convention: ``{results}/benchmarks/{rule}/...tsv``
for ``{results}/logs/{rule}/...log``) and a measured latency per cluster job,
list scheduling over N cores gives the predicted wall time and the critical
path.

The assumptions the prediction rests on are :data:`ASSUMPTIONS`.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

ASSUMPTIONS = (
    "a chunk's evaluate and aggregate jobs are one cluster job (the SLURM profile's group) "
    "taking the sum of their measured times, and its outputs count as done when both are; "
    "each train job (one or more methods' chunks) and decision_grid is a cluster job of its own; "
    "the local rules run on the submitting host, on 2 cores",
    "a cluster job takes one core (every rule has one thread) and starts the latency after its inputs "
    "are done; the latency is what submission, the scheduler and Snakemake's status checks add, "
    "measured on an idle private cluster: a shared cluster's queue adds its own wait",
    "cluster cores are as fast as the machine the jobs were measured on, with no other load, "
    "and the file system adds nothing",
    "whenever a core is free, the ready job with the longest measured time starts first "
    "(Snakemake's priorities, set from each job's expected cost, order the jobs so)",
)
GROUPED = ("evaluate", "aggregate")  # one cluster job per chunk (profiles/slurm)


@dataclass
class Job:
    """A job of the study: its rule, what tells it from the rule's other jobs
    (its log's path under ``logs/{rule}/``), its files."""

    rule: str
    key: str
    log: str
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.rule} {self.key}".strip()

    @property
    def benchmark(self) -> str:
        head, _, tail = self.log.rpartition("/logs/")
        return f"{head}/benchmarks/{tail.removesuffix('.log')}.tsv"


def parse_summary(text: str) -> list[Job]:
    """Every job of a ``snakemake --detailed-summary`` table (one row per
    output file; the rows of a job share its log file)."""
    rows = [line.split("\t") for line in text.splitlines() if line.count("\t") >= 7]
    header, *rows = rows
    col = {name: i for i, name in enumerate(header)}
    jobs: dict[str, Job] = {}
    for row in rows:
        log = row[col["log-file(s)"]].split(",")[0]
        if log == "-":
            raise ValueError(f"{row[col['output_file']]}: no log recorded (has the study run?)")
        rule = row[col["rule"]]
        key = log.rpartition(f"/logs/{rule}")[2].removeprefix("/").removesuffix(".log")
        job = jobs.setdefault(log, Job(rule, key, log))
        job.outputs.append(row[col["output_file"]])
        inputs = row[col["input-file(s)"]]
        job.inputs = [] if inputs == "-" else inputs.split(",")
    return list(jobs.values())


@dataclass
class Task:
    """A unit the cluster (or the submitting host) runs."""

    name: str
    seconds: float
    remote: bool
    after: set[str] = field(default_factory=set)


def tasks(
    jobs: Sequence[Job],
    seconds: dict[str, float],
    remote_rules: Iterable[str],
    grouped: Sequence[str] = GROUPED,
) -> dict[str, Task]:
    """The DAG's tasks: the jobs, with each chunk's ``grouped`` jobs merged
    into one task (``chunk {dataset}/{method}/{chunk}``), measured
    ``seconds`` per job name, and the tasks each waits for."""
    remote_rules = set(remote_rules)
    producer = {out: job.name for job in jobs for out in job.outputs}
    name_of, found = {}, {}
    for job in jobs:
        grouped_job = job.rule in grouped
        key = f"chunk {job.key}" if grouped_job else job.name
        name_of[job.name] = key
        task = found.setdefault(key, Task(key, 0.0, job.rule in remote_rules or grouped_job))
        task.seconds += seconds.get(job.name, 0.0)
    for job in jobs:
        task = found[name_of[job.name]]
        for path in job.inputs:
            if path in producer and name_of[producer[path]] != task.name:
                task.after.add(name_of[producer[path]])
    return found


def schedule(dag: dict[str, Task], cores: int, latency: float, local_cores: int = 2) -> tuple[float, dict]:
    """List scheduling, longest ready task first: ``(wall seconds, {task:
    (start, end)})``. Cluster tasks start ``latency`` after their inputs and
    hold one of ``cores``; local tasks one of ``local_cores``."""
    waiting = {name: set(t.after) for name, t in dag.items()}
    children: dict[str, list[str]] = {name: [] for name in dag}
    for name, t in dag.items():
        for parent in t.after:
            children[parent].append(name)
    free = {True: cores, False: local_cores}
    ready_at: dict[str, float] = {}
    ready: dict[bool, list] = {True: [], False: []}
    running: list[tuple[float, str]] = []
    times: dict[str, tuple[float, float]] = {}
    now = 0.0

    def release(name, at):
        t = dag[name]
        ready_at[name] = at + (latency if t.remote else 0.0)
        heapq.heappush(ready[t.remote], (-t.seconds, name))

    for name, parents in waiting.items():
        if not parents:
            release(name, 0.0)
    while len(times) < len(dag):
        for remote in (True, False):
            postponed = []
            while free[remote] and ready[remote]:
                item = heapq.heappop(ready[remote])
                name = item[1]
                if ready_at[name] > now:  # still in submission: its core waits for it, not for another
                    postponed.append(item)
                    continue
                free[remote] -= 1
                times[name] = (now, now + dag[name].seconds)
                heapq.heappush(running, (now + dag[name].seconds, name))
            for item in postponed:
                heapq.heappush(ready[remote], item)
        pending = [ready_at[n] for r in ready.values() for _, n in r if ready_at[n] > now]
        events = [running[0][0]] if running else []
        nxt = min(events + pending) if events or pending else None
        if nxt is None:
            raise ValueError("the DAG has a cycle or a task that never becomes ready")
        now = nxt
        while running and running[0][0] <= now:
            _, done = heapq.heappop(running)
            free[dag[done].remote] += 1
            for child in children[done]:
                waiting[child].discard(done)
                if not waiting[child]:
                    release(child, max(now, times[done][1]))
    return max(end for _, end in times.values()), times


def critical_path(dag: dict[str, Task], latency: float) -> tuple[float, list[str]]:
    """The longest chain of tasks, each cluster task counting its latency too."""
    memo: dict[str, tuple[float, list[str]]] = {}

    def longest(name):
        if name not in memo:
            t = dag[name]
            own = t.seconds + (latency if t.remote else 0.0)
            before = max((longest(p) for p in t.after), default=(0.0, []), key=lambda x: x[0])
            memo[name] = (before[0] + own, [*before[1], name])
        return memo[name]

    return max((longest(n) for n in dag), key=lambda x: x[0])


def benchmark_seconds(workdir: Path, jobs: Sequence[Job]) -> dict[str, float]:
    """Each job's measured wall time (the ``s`` column of its benchmark file), by name."""
    import pandas as pd

    out = {}
    for job in jobs:
        path = workdir / job.benchmark
        if path.exists():
            out[job.name] = float(pd.read_csv(path, sep="\t")["s"].iloc[-1])
    return out
