"""Killing a real run and running the same command again finishes the study
with tables byte-identical to an uninterrupted run (on one core: the resumed
runs use two), and no killed job leaves a half-written file that a later job
would accept."""

import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pytest

from workflow_utils import ROOT, TABLES, expected_figures, same_tables, small_config, write_config

pytestmark = pytest.mark.slow


def command(work: Path, cores: int = 2) -> list[str]:
    return [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(ROOT / "Snakefile"),
        "--directory",
        str(work),
        "--configfile",
        str(work / "config.yaml"),
        "--cores",
        str(cores),
    ]


def run(work: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([*command(work), *extra], capture_output=True, text=True, timeout=900)


def mid_training(results: Path) -> bool:
    """A packed training job has written its first seed's run and not its last."""
    method = results / "runs" / "blobs" / "independent"
    return (method / "seed-7" / "run.json").exists() and not (method / "seed-9" / "run.json").exists()


def training_started(results: Path) -> bool:
    """The packed training job (both methods, the independent members last)
    is past its start-up and has not finished the independent members' last
    seed: it is compiling or training (a window of seconds, where the next
    seeds, once compiled, take a fraction of a second each, too short for a
    Ctrl-C to land reliably before the job ends)."""
    log = results / "logs" / "train" / "blobs" / "methods-1-2" / "seeds-7-9.log"
    last = results / "runs" / "blobs" / "independent" / "seed-9" / "run.json"
    return log.exists() and "ready after" in log.read_text() and not last.exists()


def drawing_figures(results: Path) -> bool:
    """The tables are written and the figures are being drawn."""
    figures = len(expected_figures(small_config())) // 2  # PNG and SVG
    return (results / "tables" / "summary.csv").exists() and len(
        list((results / "figures").glob("*.png"))
    ) < figures


def kill_when(work: Path, ready, sig: int, timeout: float = 600, cores: int = 2) -> str:
    """Start the study, wait until ``ready(results)``, then send ``sig``: SIGKILL
    to Snakemake and every process under it (frozen first, so that it cannot
    start another job meanwhile), SIGINT to its process group, as a terminal's
    Ctrl-C does. Return the study's output."""
    log = work / "killed.log"
    with open(log, "w") as out:
        # a terminal's Ctrl-C reaches processes whose SIGINT is at its default; a
        # shell that starts the test suite in the background leaves it ignored, and
        # every process below would inherit that
        proc = subprocess.Popen(
            command(work, cores),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        deadline = time.monotonic() + timeout
        while not ready(work / "results"):
            assert proc.poll() is None, f"the study ended before the kill point:\n{log.read_text()}"
            assert time.monotonic() < deadline, "kill point not reached"
            time.sleep(0.01)
        if sig == signal.SIGKILL:
            snakemake = psutil.Process(proc.pid)
            snakemake.suspend()
            jobs = snakemake.children(recursive=True)
            for p in [snakemake, *jobs]:
                p.kill()
            proc.wait(timeout=120)  # Popen reaps Snakemake; psutil waits for its jobs
            assert proc.returncode == -signal.SIGKILL
            gone, alive = psutil.wait_procs(jobs, timeout=30)
            assert not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE], alive
        else:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=120)
            assert proc.returncode != 0
    return log.read_text()


def assert_nothing_half_written(results: Path) -> None:
    """Every file a later job could read is whole (temporary files aside)."""
    for path in results.rglob("*"):
        if (
            not path.is_file()
            or path.name.startswith(".tmp-")
            or "logs" in path.parts
            or "benchmarks" in path.parts
        ):
            continue
        if path.suffix == ".keras":
            with zipfile.ZipFile(path) as archive:
                assert archive.testzip() is None, path
        elif path.suffix == ".npz":
            with np.load(path) as npz:
                [npz[k] for k in npz.files]
        elif path.suffix == ".csv":
            pd.read_csv(path)
        elif path.suffix == ".png":
            assert path.read_bytes().endswith(b"IEND\xaeB`\x82"), path
        elif path.suffix == ".svg":
            assert path.read_text().rstrip().endswith("</svg>"), path


def resume(work: Path, killed: bool) -> str:
    """Run the same command again. After a SIGKILL (``killed``) Snakemake's lock
    is left behind and it asks for ``--unlock`` first, as README.md says."""
    res = run(work)
    out = res.stdout + res.stderr
    assert (res.returncode != 0 and "--unlock" in out) == killed, out
    if killed:
        unlock = run(work, "--unlock")
        assert unlock.returncode == 0, unlock.stderr
        res = run(work)
        out = res.stdout + res.stderr
    assert res.returncode == 0, out
    return out


KILLS = [
    ("sigint-mid-training", training_started, signal.SIGINT),
    ("sigkill-mid-training", mid_training, signal.SIGKILL),
    ("sigkill-drawing-figures", drawing_figures, signal.SIGKILL),
]


@pytest.mark.parametrize("point,ready,sig", KILLS, ids=[k[0] for k in KILLS])
def test_killed_study_resumes_to_identical_tables(small_study, tmp_path, point, ready, sig):
    work = tmp_path / "work"
    work.mkdir()
    write_config(small_config(), work / "config.yaml")
    killed = kill_when(work, ready, sig)
    results = work / "results"
    assert not all((results / "tables" / t).exists() for t in TABLES) or point.endswith("figures"), killed
    assert_nothing_half_written(results)
    out = resume(work, killed=sig == signal.SIGKILL)
    if point.endswith("training"):  # the killed training job runs again, from scratch
        assert "rule train:" in out or "localrule train:" in out, out
    same_tables(small_study, results, TABLES)
    assert not list(results.rglob(".tmp-*")), "temporary files left behind"
    assert {p.name for p in (results / "figures").iterdir()} == expected_figures(small_config())


def train_manifests(results: Path) -> set[tuple[str, str]]:
    """(methods, chunk) of every finished training job."""
    return {(p.parent.name, p.stem) for p in results.glob("runs/blobs/training/*/*.json")}


def second_training_job(results: Path) -> bool:
    """One training job has finished and another one is past its start-up,
    not finished (on one core, the only job running)."""
    done = train_manifests(results)
    started = {
        (p.parent.name, p.stem)
        for p in results.glob("logs/train/blobs/*/*.log")
        if "ready after" in p.read_text()
    }
    return bool(done) and bool(started - done)


def test_a_killed_job_loses_only_its_own_chunk(small_study, tmp_path):
    """With one seed per job, SIGKILL during a training job: the resumed study
    trains again exactly the chunks that had not finished, and ends with the
    tables of an uninterrupted run."""
    work = tmp_path / "work"
    work.mkdir()
    config = small_config()
    config["execution"].update(runs_per_job=1, train_job_seconds=0)  # a job per method and seed
    write_config(config, work / "config.yaml")
    kill_when(work, second_training_job, signal.SIGKILL, cores=1)
    results = work / "results"
    finished = train_manifests(results)
    chunks = {
        (f"methods-{i}-{i}", f"seeds-{s}-{s}")
        for i in range(1, len(config["methods"]) + 1)
        for s in (7, 8, 9)
    }
    assert finished and finished < chunks
    out = resume(work, killed=True)
    retrained = set(
        re.findall(
            r"rule train:\n(?:\s+\w+: .*\n)*?\s+wildcards: dataset=blobs, "
            r"group=(methods-\d+-\d+), chunk=(seeds-\d+-\d+)",
            out,
        )
    )
    assert retrained == chunks - finished, out
    same_tables(small_study, results, TABLES)
