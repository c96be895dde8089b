"""The conda environment and the pip pins describe the same environment, and
that environment alone, without the project installed, runs the study."""

import os
import re
import subprocess
import sys

import pytest
import yaml

from workflow_utils import ROOT, tiny_config, write_config


def pins(text):
    return dict(re.findall(r"^\s*(?:-\s*)?([A-Za-z0-9_.\-]+)==([^\s#]+)", text, flags=re.M))


def test_environment_yml_has_the_requirements_pins():
    req = pins((ROOT / "requirements.txt").read_text())
    env = pins((ROOT / "environment.yml").read_text())
    assert req, "requirements.txt has no pins"
    assert env == req


def test_key_packages_are_pinned():
    req = {k.lower().replace("_", "-"): v for k, v in pins((ROOT / "requirements.txt").read_text()).items()}
    for pkg in ("tensorflow-cpu", "keras", "snakemake", "scikit-learn", "pandas", "seaborn", "matplotlib", "scipy", "numpy", "pytest", "snakefmt"):
        assert pkg in req, pkg
    assert req["snakemake"].startswith("9.") and req["keras"].startswith("3.")


def environment_packages() -> list[str]:
    """The pip packages environment.yml lists, as ``name==version`` lines."""
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    return list(pip)


@pytest.mark.slow
def test_environment_yml_alone_runs_the_study(tmp_path):
    """An environment holding exactly environment.yml's packages, with the
    project not installed (as `--sdm conda` builds it for the rules), runs a
    tiny study: the workflow finds its library in the checkout."""
    venv = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("\n".join(environment_packages()) + "\n")
    install = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                              "--disable-pip-version-check", "--no-deps", "-r", str(requirements)],
                             capture_output=True, text=True, timeout=1200)
    assert install.returncode == 0, install.stderr[-3000:]
    python = str(venv / "bin" / "python")
    check = subprocess.run([python, "-m", "pip", "check"], capture_output=True, text=True)
    assert check.returncode == 0, f"environment.yml is not complete:\n{check.stdout}"
    bare = subprocess.run([python, "-c", "import snapens"], capture_output=True, text=True, cwd=tmp_path)
    assert bare.returncode != 0, "the project must not be installed in this environment"

    config = tiny_config()
    config["methods"] = {m: config["methods"][m] for m in ("snapshot", "independent")}
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    res = subprocess.run([python, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--directory", str(work),
                          "--configfile", str(write_config(config, work / "config.yaml")), "--cores", "2"],
                         capture_output=True, text=True, timeout=900, env=env, cwd=work)
    assert res.returncode == 0, (res.stdout + res.stderr)[-5000:]
    summary = (work / "results" / "tables" / "summary.csv").read_text()
    assert "snapshot" in summary and "independent" in summary
