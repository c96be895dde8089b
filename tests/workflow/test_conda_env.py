"""`snakemake --sdm conda`: the rules' environment (environment.yml) gets the
study's library from environment.post-deploy.sh. Snakemake runs that script as
a copy, <workdir>/.snakemake/conda/<hash>.post-deploy.sh, from the working
directory, with its own process's environment variables, to which
workflow/Snakefile adds SNAPENS_SOURCE, the checkout it belongs to. Here
Snakemake itself does all of that, for the project run in another working
directory and for a copy of it used as a module of another workflow.

Offline: `conda` is a stand-in (:func:`fake_conda`) whose environments see
this environment's packages but not the library, so that only the script can
put the library there. tests/integration/test_environment.py installs
environment.yml's pins from the package index instead and runs a study in the
environment."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from workflow_utils import ROOT, tiny_config, write_config

# `conda` as far as `snakemake --sdm conda` calls it (snakemake/deployment/conda.py):
# its version, `info --json` (where `bin/activate` is), the channel priority,
# `clean` and `env create --file F --prefix P`, which makes a venv at P with F's pip packages:
# installed from the package index (PACKAGES = "index"), or this environment's,
# seen through a .pth file (PACKAGES = "local").
CONDA = """
import json
import subprocess
import sys
import sysconfig
from pathlib import Path

import yaml

HOME = Path(__file__).resolve().parents[1]
args = sys.argv[1:]
if args == ["--version"]:
    print("conda 24.7.1")
elif args[:2] == ["info", "--json"]:
    print(json.dumps({"conda_prefix": str(HOME), "platform": "linux-64"}))
elif args[:3] == ["config", "--get", "channel_priority"]:
    print(json.dumps({"get": {"channel_priority": "strict"}}))
elif args[:1] == ["clean"]:
    pass  # no package cache to clean
elif args[:2] == ["env", "create"]:
    file = Path(args[args.index("--file") + 1])
    prefix = Path(args[args.index("--prefix") + 1])
    spec = yaml.safe_load(file.read_text())
    pip = next(d["pip"] for d in spec["dependencies"] if isinstance(d, dict) and "pip" in d)
    if PACKAGES == "index":
        subprocess.run([sys.executable, "-m", "venv", str(prefix)], check=True)
        pins = prefix / "environment-pins.txt"
        pins.write_text("\\n".join(pip) + "\\n")
        subprocess.run(
            [str(prefix / "bin" / "python"), "-m", "pip", "install", "--quiet",
             "--disable-pip-version-check", "--no-deps", "-r", str(pins)],
            check=True,
        )
    else:
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(prefix)], check=True)
        site = subprocess.run(
            [str(prefix / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
        (Path(site) / "environment-pins.pth").write_text(sysconfig.get_paths()["purelib"] + "\\n")
    print(f"fake conda: environment {prefix} made from {file}")
else:
    sys.exit(f"fake conda: {args} is not supported")
"""

# `source <conda>/bin/activate <prefix>`, as Snakemake runs the post-deploy
# script and every job: the environment's programs first on PATH
ACTIVATE = """\
# sourced with the environment's prefix as $1
PATH="$1/bin:$PATH"
export PATH
"""


def fake_conda(home: Path, packages: str = "local") -> Path:
    """A stand-in conda installation at ``home``; returns its ``bin`` directory
    (for PATH). ``packages``: "local" or "index" (see CONDA)."""
    assert packages in ("local", "index")
    bin_dir = home / "bin"
    bin_dir.mkdir(parents=True)
    conda = bin_dir / "conda"
    conda.write_text(f"#!{sys.executable}\nPACKAGES = {packages!r}\n{CONDA}")
    conda.chmod(0o755)
    (bin_dir / "activate").write_text(ACTIVATE)
    return bin_dir


def checkout_copy(dest: Path) -> Path:
    """A copy of the project's checkout (what `pip install` and the workflow
    need, none of its results or caches) at ``dest``."""
    dest.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md", "LICENSE", "Snakefile", "environment.yml"):
        shutil.copy(ROOT / name, dest / name)
    shutil.copy2(ROOT / "environment.post-deploy.sh", dest / "environment.post-deploy.sh")
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(ROOT / "workflow", dest / "workflow", ignore=ignore)
    shutil.copytree(ROOT / "src", dest / "src", ignore=ignore)
    return dest


HOST = textwrap.dedent("""\
    configfile: "config.yaml"


    module snapshot_study:
        snakefile:
            {snakefile}
        config:
            config
        prefix:
            "studies/snapshots"


    use rule * from snapshot_study as snapshot_study_*
""")


def host_workflow(host: Path, snakefile: str, config: dict) -> Path:
    """A workflow at ``host`` that uses the study as a module from ``snakefile``
    (a Snakefile expression: a quoted path, or github(...), gitfile(...))."""
    host.mkdir(parents=True)
    write_config(config, host / "config.yaml")
    (host / "Snakefile").write_text(HOST.format(snakefile=snakefile))
    return host / "Snakefile"


def two_methods() -> dict:
    config = tiny_config()
    config["methods"] = {m: config["methods"][m] for m in ("snapshot", "independent")}
    return config


def snakemake_sdm_conda(
    workdir: Path, snakefile: Path, conda_bin: Path | None, *args: str, timeout: int = 600, **env: str
):
    """Snakemake with ``--sdm conda`` in ``workdir``, ``conda_bin`` first on PATH,
    without a SNAPENS_SOURCE or PYTHONPATH of this process (``env`` adds
    variables)."""
    environ = {k: v for k, v in os.environ.items() if k not in ("SNAPENS_SOURCE", "PYTHONPATH")}
    if conda_bin is not None:
        environ["PATH"] = f"{conda_bin}{os.pathsep}{environ.get('PATH', '')}"
    environ.update(env)
    cmd = [sys.executable, "-m", "snakemake", "-s", str(snakefile), "--directory", str(workdir)]
    cmd += ["--configfile", str(write_config(two_methods(), workdir / "config.yaml")), "--sdm", "conda"]
    return subprocess.run(
        [*cmd, *args], capture_output=True, text=True, timeout=timeout, env=environ, cwd=workdir
    )


def deployed_environment(workdir: Path, out: str) -> Path:
    """The one conda environment Snakemake made in ``workdir``, after checking
    that it ran the post-deploy script as a copy beside it."""
    envs = [p for p in (workdir / ".snakemake" / "conda").iterdir() if p.is_dir()]
    assert len(envs) == 1, envs
    script = envs[0].with_name(envs[0].name + ".post-deploy.sh")
    assert script.read_bytes() == (ROOT / "environment.post-deploy.sh").read_bytes()
    assert f"Running post-deploy script {script.relative_to(workdir)}" in out, out
    return envs[0]


def library_in(env: Path, cwd: Path) -> Path:
    """Where the environment's python imports the library from (``cwd`` neutral)."""
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    res = subprocess.run(
        [str(env / "bin" / "python"), "-c", "import snapens; print(snapens.__file__)"],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environ,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    return Path(res.stdout.strip())


@pytest.mark.slow
@pytest.mark.parametrize("use", ["project", "module from a copy"])
def test_the_post_deploy_script_installs_the_checkout_the_snakefile_is_in(tmp_path, use):
    if use == "project":
        snakefile, source, work = ROOT / "Snakefile", ROOT, tmp_path / "work"
        work.mkdir()
    else:
        source = checkout_copy(tmp_path / "elsewhere" / "snapens")
        work = tmp_path / "host"
        snakefile = host_workflow(work, f'"{source / "workflow" / "Snakefile"}"', two_methods())
    conda_bin = fake_conda(tmp_path / "conda")
    # a value left in the shell does not win over the checkout the rules belong to
    res = snakemake_sdm_conda(
        work, snakefile, conda_bin, "--conda-create-envs-only", SNAPENS_SOURCE=str(tmp_path / "stale")
    )
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    env = deployed_environment(work, out)
    assert library_in(env, tmp_path) == source / "src" / "snapens" / "__init__.py"


def test_a_module_without_a_checkout_asks_for_snapens_source_before_any_job(tmp_path):
    """A module read through git (as github(...) would be) has no checkout to
    install from: with --sdm conda, the workflow stops at once and says what to set."""
    if shutil.which("git") is None:
        pytest.skip("needs git")
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "workflow", repo / "workflow", ignore=shutil.ignore_patterns("__pycache__"))
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.org", "-C", str(repo)]
    for args in (["init", "--quiet"], ["add", "."], ["commit", "--quiet", "-m", "workflow"]):
        subprocess.run(git + args, check=True, capture_output=True)
    host = tmp_path / "host"
    snakefile = host_workflow(host, f'gitfile("{repo}", "workflow/Snakefile", ref="HEAD")', two_methods())
    res = snakemake_sdm_conda(host, snakefile, None, "--dry-run")
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert "set SNAPENS_SOURCE to the release's URL" in out, out
    assert not list((host / ".snakemake" / "conda").glob("*"))


@pytest.mark.parametrize(
    "value, message",
    [
        (None, "SNAPENS_SOURCE is not set"),
        ("", "SNAPENS_SOURCE is not set"),
        ("dir", "holds no pyproject.toml"),
    ],
)
def test_the_post_deploy_script_refuses_a_missing_or_wrong_source(tmp_path, value, message):
    environ = {k: v for k, v in os.environ.items() if k != "SNAPENS_SOURCE"}
    if value is not None:
        environ["SNAPENS_SOURCE"] = value and str(tmp_path)  # a directory without pyproject.toml
    res = subprocess.run(
        ["sh", str(ROOT / "environment.post-deploy.sh")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environ,
    )
    assert res.returncode != 0 and message in res.stderr, res.stdout + res.stderr
