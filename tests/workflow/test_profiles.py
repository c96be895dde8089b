"""The workflow profiles: the SLURM one plans the default study, names only
real rules, and leaves CPUs to each rule's threads."""

import re

import yaml

from workflow_utils import ROOT, snakemake

SLURM = ROOT / "profiles" / "slurm" / "config.yaml"


def rule_names(tmp_path):
    res = snakemake(tmp_path, ROOT / "config" / "config.yaml", "--list-rules")
    assert res.returncode == 0, res.stderr
    return set(res.stdout.split())


def test_slurm_profile_plans_the_default_study_as_one_group_job_per_chain(tmp_path):
    res = snakemake(tmp_path, ROOT / "config" / "config.yaml", "-n", "--workflow-profile", str(SLURM.parent))
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    chains = sum(len(ds.get("methods", config["methods"])) for ds in config["datasets"].values())
    assert out.count("Group job run") == chains, out
    # each member of a group job carries the profile's memory request
    train_mem = yaml.safe_load(SLURM.read_text())["set-resources"]["train"]["mem_mb"]
    assert re.search(rf"rule train:(?:\n .*)*?\n\s+resources: .*mem_mb={train_mem},", out), out
    assert not (tmp_path / "results").exists()


def test_slurm_profile_names_only_rules_of_the_workflow(tmp_path):
    profile = yaml.safe_load(SLURM.read_text())
    rules = rule_names(tmp_path)
    for section in ("set-resources", "set-threads", "groups"):
        unknown = set(profile.get(section, {})) - rules
        assert not unknown, f"{section} names no rule: {unknown}"


def test_no_profile_sets_cpus_per_task():
    """cpus_per_task would override every rule's threads on SLURM."""

    def keys(node):
        if isinstance(node, dict):
            for key, value in node.items():
                yield key
                yield from keys(value)

    for path in (ROOT / "profiles").glob("*/config.yaml"):
        assert "cpus_per_task" not in set(keys(yaml.safe_load(path.read_text()))), path
