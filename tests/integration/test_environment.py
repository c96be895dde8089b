"""environment.yml alone, as `snakemake --sdm conda` builds it for the rules
(its pip packages, then its post-deploy script), runs the study. Installs
~110 packages from the package index: the integration tier."""

import os
import subprocess
import sys

import yaml

from workflow_utils import ROOT, tiny_config, write_config


def environment_packages() -> list[str]:
    """The pip packages environment.yml lists, as ``name==version`` lines."""
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    return list(pip)


def test_environment_yml_and_its_post_deploy_script_alone_run_the_study(tmp_path):
    venv = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("\n".join(environment_packages()) + "\n")
    install = subprocess.run(
        [
            python,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "-r",
            str(requirements),
        ],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    check = subprocess.run([python, "-m", "pip", "check"], capture_output=True, text=True)
    assert check.returncode == 0, f"environment.yml is not complete:\n{check.stdout}"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    bare = subprocess.run(
        [python, "-c", "import snapens"], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert bare.returncode != 0, "environment.yml alone does not hold the library"

    # as Snakemake runs it: `sh <path of the script>` inside the environment
    deploy = subprocess.run(
        ["sh", str(ROOT / "environment.post-deploy.sh")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=600,
    )
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    where = subprocess.run(
        [python, "-c", "import snapens; print(snapens.__file__)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert str(venv) in where.stdout, where.stdout + where.stderr  # installed, not found in the checkout

    config = tiny_config()
    config["methods"] = {m: config["methods"][m] for m in ("snapshot", "independent")}
    work = tmp_path / "work"
    work.mkdir()
    res = subprocess.run(
        [
            python,
            "-m",
            "snakemake",
            "-s",
            str(ROOT / "Snakefile"),
            "--directory",
            str(work),
            "--configfile",
            str(write_config(config, work / "config.yaml")),
            "--cores",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
        cwd=work,
    )
    assert res.returncode == 0, (res.stdout + res.stderr)[-5000:]
    summary = (work / "results" / "tables" / "summary.csv").read_text()
    assert "snapshot" in summary and "independent" in summary
