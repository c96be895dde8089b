"""The workflow as a Snakemake module of another project: a host workflow
takes every rule under its own prefix and gets the study's tables, the same
bytes as the project's own run, with nothing written outside the prefix."""

import filecmp
import textwrap

import pytest

from workflow_utils import ROOT, TABLES, small_config, snakemake, write_config

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


def test_a_host_workflow_runs_the_study_as_a_module_under_its_prefix(tmp_path, small_study):
    host = tmp_path / "host"
    host.mkdir()
    (host / "Snakefile").write_text(HOST.format(snakefile=ROOT / "workflow" / "Snakefile"))
    config = write_config(small_config(), host / "config.yaml")
    res = snakemake(host, config, "--cores", "2", snakefile=host / "Snakefile")
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert "snapshot_study_train" in out  # the host's names for the module's rules
    results = host / "studies" / "snapshots" / "results"
    for name in TABLES:
        assert filecmp.cmp(results / "tables" / name, small_study / "tables" / name, shallow=False), name
    run = results / "runs" / "blobs" / "snapshot" / "seed-7"
    assert (run / "members.csv").is_file() and (run / "snapshots" / "snapshot-01.keras").is_file()
    assert (results / "logs" / "train" / "blobs" / "snapshot" / "seeds-7-9.log").is_file()
    assert (results / "benchmarks" / "summarise.tsv").is_file()
    # the jobs wrote under the prefix only (Snakemake's own metadata aside)
    assert sorted(p.name for p in host.iterdir() if p.name != ".snakemake") == [
        "Snakefile",
        "config.yaml",
        "studies",
    ]
