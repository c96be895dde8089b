"""The study's wall time on a cluster, predicted from measured job times.

From a finished study: its DAG (a Snakemake dry run lists every job with its
input, output and benchmark files), every job's measured wall time (its
``benchmark:`` file) and a measured latency per cluster job, list scheduling
over N cores gives the predicted wall time and the critical path.

The assumptions the prediction rests on are :data:`ASSUMPTIONS`.
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

ASSUMPTIONS = (
    "a chunk's train, evaluate and aggregate jobs are one cluster job (the SLURM profile's group) "
    "taking the sum of their measured times, and its outputs count as done when all three are; "
    "decision_grid is a cluster job of its own; the local rules run on the submitting host, on 2 cores",
    "a cluster job takes one core (every rule has one thread) and starts the latency after its inputs "
    "are done; the latency is what submission, the scheduler and Snakemake's status checks add, "
    "measured on an idle private cluster: a shared cluster's queue adds its own wait",
    "cluster cores are as fast as the machine the jobs were measured on, with no other load, "
    "and the file system adds nothing",
    "whenever a core is free, the ready job with the longest measured time starts first "
    "(Snakemake's priorities, set from each job's expected cost, order the jobs so)",
)
GROUPED = ("train", "evaluate", "aggregate")  # one cluster job per chunk (profiles/slurm)
RULE = re.compile(r"^(local)?rule (\w+):\s*$")
FIELD = re.compile(r"^\s+(input|output|benchmark|jobid|wildcards): (.*)$")


@dataclass
class Job:
    """A job of a dry run: its rule, wildcards and files."""

    jobid: str
    rule: str
    wildcards: str = ""
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    benchmark: str = ""


def parse_dry_run(text: str) -> list[Job]:
    """Every job block of ``snakemake -n`` output."""
    jobs, current = [], None
    for line in text.splitlines():
        m = RULE.match(line)
        if m:
            current = Job("", m.group(2))
            jobs.append(current)
            continue
        f = FIELD.match(line) if current is not None else None
        if f:
            key, value = f.groups()
            if key in ("input", "output"):
                getattr(current, key + "s" if key == "output" else "inputs").extend(
                    v.strip() for v in value.split(",") if v.strip())
            else:
                setattr(current, key, value.strip())
        elif current is not None and not line.startswith(" "):
            current = None
    return [j for j in jobs if j.jobid]


@dataclass
class Task:
    """A unit the cluster (or the submitting host) runs."""

    name: str
    seconds: float
    remote: bool
    after: set[str] = field(default_factory=set)


def tasks(jobs: Sequence[Job], seconds: dict[str, float], remote_rules: Iterable[str],
          grouped: Sequence[str] = GROUPED) -> dict[str, Task]:
    """The DAG's tasks: the jobs, with each chunk's ``grouped`` jobs merged
    into one task (named after its train job), measured ``seconds`` per
    jobid, and the tasks each waits for."""
    remote_rules = set(remote_rules)
    producer = {out: job.jobid for job in jobs for out in job.outputs}
    # each grouped job's group: the chain of a chunk, keyed by its wildcards
    group_of = {job.jobid: f"{job.wildcards}" for job in jobs if job.rule in grouped}
    name_of, found = {}, {}
    for job in jobs:
        key = f"chunk {group_of[job.jobid]}" if job.jobid in group_of else f"{job.rule} {job.wildcards}".strip()
        name_of[job.jobid] = key
        task = found.setdefault(key, Task(key, 0.0, job.rule in remote_rules or job.jobid in group_of))
        task.seconds += seconds.get(job.jobid, 0.0)
    for job in jobs:
        task = found[name_of[job.jobid]]
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
    """Each job's measured wall time (the ``s`` column of its benchmark file)."""
    import pandas as pd

    out = {}
    for job in jobs:
        path = workdir / job.benchmark if job.benchmark else None
        if path is not None and path.exists():
            out[job.jobid] = float(pd.read_csv(path, sep="\t")["s"].iloc[-1])
    return out
