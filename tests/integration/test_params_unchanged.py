"""The study plan moved into snapens.plan.study.Study without changing what
any job is given: on the default study made by the commit before the move
(PLAN_BASELINE, with its own library), this checkout's workflow plans no job
when only params may trigger a rerun but the one a later change meant to
change: the decision-grid table (given its runs' directories rather than
its methods, since a training job now holds several methods).

That change also renamed the training jobs (one job per group of methods,
``methods-{first}-{last}``, each with its own manifest): their manifests are
laid beside the baseline's, as if the grouped jobs had written them, so that
the check is of the params of every other job. That grouped training writes
what one job per method wrote is checked by tests/integration/test_interrupt.py
and tests/unit/test_rule_train.py.

The library's sources are rule inputs, so every job would rerun on their
modification times; the copy of this checkout that plans is dated 2000-01-01
so that only ``--rerun-triggers params`` decides. The check is shown to fail
on one changed param."""

import os
import subprocess
import tarfile
from io import BytesIO
from pathlib import Path

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

    # dated as the first of the baseline's training manifests of their methods:
    # after their data, before any of those methods' evaluations
    for manifest, methods in grouped_train_manifests(base).items():
        manifest.parent.mkdir(parents=True, exist_ok=True)
        manifest.write_text("{}")
        chunk = manifest.parent.parent.parent / "{}" / "chunks" / manifest.stem / "train.json"
        trained = min(Path(str(chunk).format(m)).stat().st_mtime for m in methods)
        os.utime(manifest, (trained, trained))

    snakefile = copy_workflow(tmp_path / "now")
    (tmp_path / "now" / "config").symlink_to(ROOT / "config")
    date_back(tmp_path / "now")
    planned = dry_run(base, snakefile)
    assert planned.returncode == 0, planned.stderr[-3000:]
    out = planned.stdout + planned.stderr
    assert jobs_planned(out) == {"decision_grid": 1, "plot_decision_regions": 1, "all": 1}, out[-5000:]
    assert "Params have changed since last execution" in out

    # the check sees a changed param: the aggregation's seeds
    rules = tmp_path / "now" / "workflow" / "rules" / "evaluate.smk"
    text = rules.read_text()
    assert text.count("seeds=param_chunk_seeds,") == 2
    rules.write_text(text.replace("seeds=param_chunk_seeds,", "seeds=lambda w: param_chunk_seeds(w)[::-1],"))
    date_back(tmp_path / "now")
    changed = jobs_planned(dry_run(base, snakefile).stdout)
    assert changed.get("evaluate") == 9, changed


def grouped_train_manifests(base):
    """The training jobs' manifests this checkout's plan of the default study
    names, and the methods of each."""
    import copy

    import yaml
    from snakemake.utils import validate

    from snapens.plan.config import check_config
    from snapens.plan.study import Study

    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    schema = ROOT / "workflow" / "schemas" / "config.schema.yaml"
    check_config(copy.deepcopy(config), schema)
    validate(config, str(schema))
    study = Study(config)
    return {
        base / study.layout.train_manifest.format(dataset=d, group=g, chunk=c): methods
        for (d, c), groups in study.train_groups.items()
        for g, methods in groups.items()
    }


def jobs_planned(out: str) -> dict[str, int]:
    """The job counts of a dry run's "Job stats" table."""
    stats = out[out.index("Job stats:") :].split("\n\n")[0] if "Job stats:" in out else ""
    rows = (line.split() for line in stats.splitlines()[3:])
    return {r[0]: int(r[1]) for r in rows if len(r) == 2 and r[1].isdigit() and r[0] != "total"}
