"""environment.yml alone, as `snakemake --sdm conda` makes it for the rules,
gets the study's library from its post-deploy script and runs the study.

Snakemake does it all: conda is the stand-in of
tests/workflow/test_conda_env.py, whose `env create` installs
environment.yml's pip pins into a fresh venv from the package index (~110
packages: the integration tier); Snakemake copies environment.post-deploy.sh
to <workdir>/.snakemake/conda/<hash>.post-deploy.sh, runs it there inside the
environment with its own process's environment variables (to which the
workflow, once parsed, has added SNAPENS_SOURCE), then runs every job in the
environment. The workflow is a module of another workflow, from a copy of the
project in a third directory, so that neither the working directory nor the
script's directory is the project's."""

import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))

from test_conda_env import (  # noqa: E402  (the conda stand-in and its helpers)
    checkout_copy,
    deployed_environment,
    fake_conda,
    host_workflow,
    library_in,
    snakemake_sdm_conda,
    two_methods,
)

from workflow_utils import job_counts  # noqa: E402


def test_snakemake_sdm_conda_runs_the_study_in_environment_yml_with_the_library_of_the_checkout(tmp_path):
    source = checkout_copy(tmp_path / "elsewhere" / "snapens")
    host = tmp_path / "host"
    snakefile = host_workflow(host, f'"{source / "workflow" / "Snakefile"}"', two_methods())
    conda_bin = fake_conda(tmp_path / "conda", packages="index")

    res = snakemake_sdm_conda(host, snakefile, conda_bin, "--cores", "2", timeout=3600)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-5000:]

    # the post-deploy script ran from its copy in the working directory ...
    env = deployed_environment(host, out)
    check = subprocess.run(
        [str(env / "bin" / "python"), "-m", "pip", "check"], capture_output=True, text=True
    )
    assert check.returncode == 0, f"environment.yml is not complete:\n{check.stdout}"
    # ... and put there the library of the checkout the rules came from
    assert library_in(env, tmp_path) == source / "src" / "snapens" / "__init__.py"

    # every job ran its script in that environment: each activates it twice, to
    # ask its Python's version, then to run the script (snakemake/script/__init__.py,
    # PythonScript.execute_script); and the study is complete
    counts = job_counts(out)
    jobs = sum(counts.values()) - counts.get("snapshot_study_all", 0)  # the host's name for `all`
    activated = re.findall(r"^Activating conda environment: (\S+)$", out, flags=re.M)
    assert jobs and activated == [str(env.relative_to(host))] * (2 * jobs), out[-5000:]
    summary = (host / "studies" / "snapshots" / "results" / "tables" / "summary.csv").read_text()
    assert "snapshot" in summary and "independent" in summary
