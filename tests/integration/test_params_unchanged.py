"""The study plan moved into snapens.plan.study.Study without changing what
any job is given: on the default study made by the commit before the move
(PLAN_BASELINE, with its own library), this checkout's workflow plans no job
when only params may trigger a rerun.

The library's sources are rule inputs, so every job would rerun on their
modification times; the copy of this checkout that plans is dated 2000-01-01
so that only ``--rerun-triggers params`` decides. The check is shown to fail
on one changed param."""

import os
import subprocess
import tarfile
from io import BytesIO

import pytest

from workflow_utils import ROOT, copy_workflow, snakemake

PLAN_BASELINE = "92ae8b8"  # the last commit whose common.smk planned the study itself
OLD = 946_684_800  # 2000-01-01, seconds since the epoch


def extract(rev: str, dest):
    """The project's files at ``rev`` (from this clone's history) in ``dest``."""
    try:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", rev], capture_output=True, check=True
        ).stdout
    except subprocess.CalledProcessError as err:
        pytest.fail(f"git archive {rev} failed (a clone without history?): {err.stderr.decode()}")
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def date_back(root):
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            os.utime(os.path.join(folder, name), (OLD, OLD), follow_symlinks=False)


def dry_run(base, snakefile):
    return snakemake(
        base,
        base / "config" / "config.yaml",
        "-n",
        "--rerun-triggers",
        "params",
        snakefile=snakefile,
        library=snakefile.parent / "src",
    )


def test_the_default_study_of_the_commit_before_the_plan_moved_needs_no_job_for_its_params(tmp_path):
    base = extract(PLAN_BASELINE, tmp_path / "base")
    made = snakemake(
        base,
        base / "config" / "config.yaml",
        "--cores",
        "2",
        snakefile=base / "Snakefile",
        library=base / "src",
    )
    assert made.returncode == 0, made.stderr[-3000:]

    snakefile = copy_workflow(tmp_path / "now")
    (tmp_path / "now" / "config").symlink_to(ROOT / "config")
    date_back(tmp_path / "now")
    planned = dry_run(base, snakefile)
    assert planned.returncode == 0, planned.stderr[-3000:]
    assert "Nothing to be done" in planned.stdout + planned.stderr, (planned.stdout + planned.stderr)[-5000:]

    # the check sees a changed param: the decision grid's seed
    rules = tmp_path / "now" / "workflow" / "rules" / "evaluate.smk"
    text = rules.read_text()
    assert "seed=STUDY.seeds[0]" in text
    rules.write_text(text.replace("seed=STUDY.seeds[0]", "seed=STUDY.seeds[1]"))
    date_back(tmp_path / "now")
    changed = dry_run(base, snakefile)
    assert "Params have changed since last execution" in changed.stdout + changed.stderr
