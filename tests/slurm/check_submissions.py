"""Check a Snakemake run with the SLURM executor: every non-local job went
through sbatch and ran inside its SLURM job; none ran on the submitting host.

Evidence, all of which must agree:
  * the run's own log (Snakemake's output): "rule X:" blocks are the jobs it
    hands to the executor, "localrule X:" blocks the ones it runs itself, and
    "Job <id> has been submitted with SLURM jobid <n> (log: <file>)" lines;
  * the SLURM job logs (--slurm-keep-successful-logs keeps them), written by
    slurmstepd: in each, the Snakemake inside the allocation announces every job
    it runs ("localrule X:" there) and reports it finished;
  * slurmctld (squeue --states=all, kept visible by MinJobAge): the jobs named
    after the run's SLURM run ID, each COMPLETED.

Usage: check_submissions.py --log slurm.log --workdir DIR --remote-rules train,evaluate,aggregate
                            [--summary FILE]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

RULE = re.compile(r"^(\s*)(local)?rule (\w+):\s*$")
FIELD = re.compile(r"^\s+(output|jobid|wildcards): (.*)$")
FINISHED = re.compile(r"Finished jobid: (\S+) \(Rule: (\w+)\)")
SUBMITTED = re.compile(r"Job (\S+) has been submitted with SLURM jobid (\d+) \(log: (.+)\)\.\s*$", re.M)
RUN_ID = re.compile(r"SLURM run ID: (\S+)")
GROUP_ID = re.compile(r"--local-groupid (\S+)")


def blocks(text: str):
    """Every job announcement, in order: dicts of local, rule, jobid, output and
    line (its index in the text)."""
    current = None
    for i, line in enumerate(text.splitlines()):
        m = RULE.match(line)
        if m:
            if current:
                yield current
            current = {
                "local": bool(m.group(2)),
                "rule": m.group(3),
                "jobid": None,
                "output": "",
                "line": i,
            }
            continue
        if current is None:
            continue
        f = FIELD.match(line)
        if f:
            current[f.group(1)] = f.group(2).strip()
        elif not line.startswith(" ") or not line.strip():
            yield current
            current = None
    if current:
        yield current


def executed_in(text: str) -> list[tuple[str, str]]:
    """(rule, output) of the jobs a SLURM log shows executed: a "localrule"
    block (the innermost Snakemake runs the job itself) followed by its
    "Finished jobid" line."""
    starts = {b["line"]: b for b in blocks(text) if b["local"]}
    done, pending = [], []
    for i, line in enumerate(text.splitlines()):
        if i in starts:
            pending.append(starts[i])
        m = FINISHED.search(line)
        if m:
            for b in pending:
                if (b["jobid"], b["rule"]) == (m.group(1), m.group(2)):
                    done.append((b["rule"], b["output"]))
                    pending.remove(b)
                    break
    return done


def label(output: str) -> str:
    """A job's first output file (enough to tell the jobs of a rule apart)."""
    first = output.split(", ")[0]
    return first + (", ..." if ", " in output else "")


def squeue_jobs() -> dict[str, tuple[str, str, str, tuple[datetime, datetime, datetime] | None]]:
    """slurmctld's record of every job: name, state, request and (submit,
    start, end) times (to the second)."""
    out = subprocess.run(
        ["squeue", "--states=all", "--noheader", "--format=%i|%j|%T|%C|%m|%l|%V|%S|%e"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    jobs = {}
    for line in out.splitlines():
        jobid, name, state, cpus, mem, limit, submit, start, end = line.split("|")
        try:
            times = tuple(datetime.fromisoformat(t.strip()) for t in (submit, start, end))
        except ValueError:  # N/A for a job that never started
            times = None
        jobs[jobid.strip()] = (name, state, f"{cpus} CPU, {mem} mem, {limit} limit", times)
    return jobs


def start_latencies(times: list[tuple[datetime, datetime, datetime]]) -> list[float]:
    """Seconds each job waited to start once it could: after its submission,
    or after the last end of another job before its start (the CPU it may have
    waited for), whichever is later. Free CPUs before that end would make the
    true wait shorter: the figure errs high."""
    waits = []
    for submit, start, end in times:
        freed = [e for s, st, e in times if e <= start and (s, st, e) != (submit, start, end)]
        waits.append((start - max([submit, *freed])).total_seconds())
    return waits


def most_at_once(intervals: list[tuple[datetime, datetime]]) -> int:
    """The largest number of the (start, end) intervals that overlap in time
    (one ending at the second another starts does not count as overlapping)."""
    events = sorted(
        [(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals], key=lambda x: (x[0], x[1])
    )
    best = now = 0
    for _, step in events:
        now += step
        best = max(best, now)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--log", type=Path, required=True, help="Snakemake's output of the SLURM run")
    ap.add_argument("--workdir", type=Path, required=True, help="its --directory")
    ap.add_argument(
        "--remote-rules",
        required=True,
        help="comma-separated rules that must run in SLURM jobs (every job of them)",
    )
    ap.add_argument("--summary", type=Path, help="write a short summary here")
    ap.add_argument(
        "--min-at-once",
        type=int,
        default=1,
        help="fail unless slurmctld's start and end times show this many jobs running at once",
    )
    ap.add_argument("--latency", type=Path, help="write the measured submit-to-start latency (JSON) here")
    args = ap.parse_args()
    must_be_remote = set(args.remote_rules.split(","))
    text = args.log.read_text()
    problems: list[str] = []

    # the run's view: jobs it ran itself, jobs it handed to the executor
    announced = list(blocks(text))
    local = [b for b in announced if b["local"]]
    remote = [b for b in announced if not b["local"]]
    remote_keys = Counter((b["rule"], b["output"]) for b in remote)
    for (rule, output), n in remote_keys.items():
        if n > 1:
            problems.append(f"{rule} job announced {n} times for the executor: {label(output)}")
    for b in local:
        if b["rule"] in must_be_remote:
            problems.append(f"{b['rule']} job ran on the submitting host (localrule): {label(b['output'])}")
    rules_seen = {b["rule"] for b in announced}
    for rule in sorted(must_be_remote - rules_seen):
        problems.append(f"no job of rule {rule} in the run (expected it to be submitted to SLURM)")
    finished = Counter(m.group(2) for m in FINISHED.finditer(text))

    run_id = RUN_ID.search(text)
    if not run_id:
        problems.append("no 'SLURM run ID' in the log: was the slurm executor used at all?")
    submissions = [m.groups() for m in SUBMITTED.finditer(text)]
    if not submissions:
        problems.append("no 'has been submitted with SLURM jobid' line in the log")

    # the SLURM logs' view: what ran inside each allocation
    ran_in_slurm: Counter = Counter()
    group_jobs = 0
    for sm_id, slurm_id, logfile in submissions:
        path = Path(logfile)
        if not path.is_absolute():
            path = args.workdir / path
        if not path.exists():
            problems.append(f"SLURM job {slurm_id}: its log {path} is missing")
            continue
        slurm_text = path.read_text(errors="replace")
        group = GROUP_ID.search(slurm_text)
        if group:
            group_jobs += 1
            if group.group(1) != sm_id:
                problems.append(
                    f"SLURM job {slurm_id} ran group {group.group(1)}, but was submitted for {sm_id}"
                )
        inside = executed_in(slurm_text)
        if not inside:
            problems.append(f"SLURM job {slurm_id} ({path}) shows no job executed and finished inside it")
        ran_in_slurm.update(inside)

    for key in remote_keys:
        if ran_in_slurm[key] == 0:
            problems.append(f"{key[0]} job never ran inside a SLURM job: {label(key[1])}")
        elif ran_in_slurm[key] > 1:
            problems.append(f"{key[0]} job ran {ran_in_slurm[key]} times inside SLURM jobs: {label(key[1])}")
    for key in ran_in_slurm:
        if key not in remote_keys:
            problems.append(f"a SLURM job ran {key[0]} for outputs the run did not submit: {label(key[1])}")
    for rule in {r for r, _ in remote_keys}:
        n_remote = sum(n for (r, _), n in remote_keys.items() if r == rule)
        if finished[rule] < n_remote:
            problems.append(f"rule {rule}: {n_remote} jobs submitted, {finished[rule]} reported finished")

    # slurmctld's view
    states = Counter()
    requests = Counter()
    intervals, records = [], []
    try:
        jobs = squeue_jobs()
    except (OSError, subprocess.CalledProcessError) as err:
        problems.append(f"squeue failed: {err}")
        jobs = None
    if run_id and jobs is not None:
        ours = {j: v for j, v in jobs.items() if v[0] == run_id.group(1)}
        submitted_ids = {s for _, s, _ in submissions}
        if set(ours) != submitted_ids:
            problems.append(
                f"slurmctld knows jobs {sorted(ours, key=int)} of run {run_id.group(1)}, "
                f"the log names {sorted(submitted_ids, key=int)}"
            )
        for jobid, (_, state, request, times) in ours.items():
            states[state] += 1
            requests[request] += 1
            if state != "COMPLETED":
                problems.append(f"SLURM job {jobid} is {state}, not COMPLETED")
            if times is not None:
                intervals.append(times[1:])
                records.append(times)
    waits = start_latencies(records)
    at_once = most_at_once(intervals)
    if at_once < args.min_at_once:
        problems.append(
            f"slurmctld's records show at most {at_once} job(s) running at once, "
            f"expected at least {args.min_at_once}"
        )
    if args.latency and waits:
        args.latency.write_text(json.dumps({"submit_to_start_s": sorted(waits), "jobs": len(waits)}) + "\n")

    per_rule = Counter(rule for rule, _ in ran_in_slurm.elements())
    lines = [
        f"SLURM jobs: {len(submissions)} sbatch submissions ({group_jobs} group jobs), "
        f"slurmctld states: {dict(states) or 'n/a'}",
        "  requested: " + "; ".join(f"{n}x {r}" for r, n in requests.items()),
        f"  slurmctld's start/end times: at most {at_once} jobs running at once; start once a CPU "
        + (
            f"was free: {min(waits):.0f}-{max(waits):.0f} s, median {sorted(waits)[len(waits) // 2]:.0f} s"
            if waits
            else "n/a"
        ),
        "  jobs run inside them: " + ", ".join(f"{r} {n}" for r, n in sorted(per_rule.items())),
        f"local jobs on the submitting host: {len(local)} ({', '.join(sorted({b['rule'] for b in local}))})",
    ]
    if args.summary:
        args.summary.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    if problems:
        print(f"\n{len(problems)} problem(s):", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
