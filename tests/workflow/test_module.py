"""The workflow as a Snakemake module of another project: a host workflow
takes every rule under its own prefix, here with each method's seeds cut
unevenly into chunks (two seeds in one job, one in another) and XLA on, and
gets the tables of the project's own single job per method, byte for byte,
with nothing written outside the prefix."""

import textwrap

import pytest

from workflow_utils import ROOT, SMALL_SEEDS, TABLES, same_tables, small_config, snakemake, write_config

pytestmark = pytest.mark.slow

HOST = textwrap.dedent("""
    configfile: "config.yaml"


    module snapshot_study:
        snakefile:
            "{snakefile}"
        config:
            config
        prefix:
            "studies/snapshots"


    use rule * from snapshot_study as snapshot_study_*


    rule all:
        default_target: True
        input:
            rules.snapshot_study_all.input,
""")


def test_a_host_workflow_runs_the_study_as_a_module_under_its_prefix_in_chunks(tmp_path, small_study):
    host = tmp_path / "host"
    host.mkdir()
    (host / "Snakefile").write_text(HOST.format(snakefile=ROOT / "workflow" / "Snakefile"))
    config = small_config()
    assert config["training"]["jit_compile"] and config["execution"]["runs_per_job"] >= len(SMALL_SEEDS)
    config["execution"]["runs_per_job"] = 2
    res = snakemake(
        host, write_config(config, host / "config.yaml"), "--cores", "2", snakefile=host / "Snakefile"
    )
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert "snapshot_study_train" in out  # the host's names for the module's rules
    results = host / "studies" / "snapshots" / "results"
    for method in config["methods"]:
        for stage in ("evaluate", "aggregate"):
            jobs = sorted(p.stem for p in (results / "benchmarks" / stage / "blobs" / method).glob("*.tsv"))
            assert jobs == ["seeds-7-8", "seeds-9-9"], (stage, method, jobs)
    # both methods in one training job per chunk (execution.train_job_seconds)
    jobs = sorted(
        p.relative_to(results / "benchmarks" / "train").as_posix()
        for p in results.glob("benchmarks/train/**/*.tsv")
    )
    assert jobs == ["blobs/methods-1-2/seeds-7-8.tsv", "blobs/methods-1-2/seeds-9-9.tsv"], jobs
    run_files = (
        "training.csv",
        "members.csv",
        "ensemble.csv",
        "averaged.csv",
        "diversity.csv",
        "weighted.csv",
    )
    same_tables(small_study, results, TABLES, run_files)
    run = results / "runs" / "blobs" / "snapshot" / "seed-7"
    assert (run / "snapshots" / "snapshot-01.keras").is_file()
    assert (results / "figures" / "tutorial_blobs.png").is_file() and (
        results / "logs" / "summarise.log"
    ).is_file()
    # the jobs wrote under the prefix only (Snakemake's own metadata aside)
    assert sorted(p.name for p in host.iterdir() if p.name != ".snakemake") == [
        "Snakefile",
        "config.yaml",
        "studies",
    ]
