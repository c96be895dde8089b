"""Packaging: the wheel holds the library and nothing else, pyproject declares
every third-party import, one version and one Python range everywhere, the
pins of requirements.txt and environment.yml agree, and a licence that
matches."""

import ast
import re
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from importlib.metadata import packages_distributions

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

import snapens
from snapens.plan.sources import module_names
from workflow_utils import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_wheel_holds_the_library_and_nothing_else(tmp_path):
    """Built offline, with the pinned setuptools, from a copy of the files a
    source distribution holds (so that no earlier build's leftovers count):
    its files are every module of src/snapens and the package metadata."""
    import shutil

    source = tmp_path / "source"
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--quiet",
            "-w",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    (wheel,) = tmp_path.glob("snapens-*.whl")
    assert wheel.name.startswith(f"snapens-{snapens.__version__}-py3-none-any")
    names = zipfile.ZipFile(wheel).namelist()
    code = sorted(n for n in names if not n.startswith(f"snapens-{snapens.__version__}.dist-info/"))
    library = sorted(str(p.relative_to(ROOT / "src")) for p in module_names().values())
    assert code == library
    assert not [n for n in names if re.search(r"bench|cluster|report_check|rescheduling|tools/", n)]
    meta = {n.rsplit("/", 1)[1] for n in names if ".dist-info/" in n}
    assert {"METADATA", "WHEEL", "RECORD"} <= meta and any(n.startswith("LICENSE") for n in meta)


def third_party_imports() -> set[str]:
    """Top-level names of every package the library imports, but its own and
    the standard library's."""
    stdlib = set(sys.stdlib_module_names)
    found = set()
    for path in module_names().values():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            found |= {n.split(".")[0] for n in names}
    return {n for n in found if n not in stdlib and n != "snapens"}


def test_pyproject_declares_every_third_party_import_and_nothing_unused():
    declared = {canonical(Requirement(r).name) for r in PYPROJECT["project"]["dependencies"]}
    providers = packages_distributions()
    imported = {}
    for name in third_party_imports():
        dists = {canonical(d) for d in providers.get(name, [])}
        assert dists, f"{name}: imported, but no installed distribution provides it"
        imported[name] = dists
    # tensorflow is provided by tensorflow-cpu here; either name declares it
    undeclared = {n: d for n, d in imported.items() if not d & declared}
    assert undeclared == {}
    used = set().union(*imported.values())
    assert declared - used == set()


def test_one_version_everywhere():
    from snapens.plan.sources import ROOT as PACKAGE

    version = snapens.__version__
    assert PYPROJECT["project"]["dynamic"] == ["version"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "snapens.__version__"}
    assert re.search(
        rf'^SNAPENS_VERSION = "{re.escape(version)}"$',
        (ROOT / "workflow" / "Snakefile").read_text(),
        flags=re.M,
    )
    assert re.search(rf"^## \[?{re.escape(version)}\]?", (ROOT / "CHANGELOG.md").read_text(), flags=re.M)
    assert PACKAGE == ROOT / "src" / "snapens"


def test_one_python_range_everywhere():
    python = PYPROJECT["project"]["requires-python"]
    spec = SpecifierSet(python)
    assert sysconfig.get_python_version() in spec
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert f"python{python}" in env["dependencies"]
    makefile = (ROOT / "Makefile").read_text()
    assert f"PYTHON_RANGE := {python}" in makefile
    assert f"`{python}`" in (ROOT / "README.md").read_text()


def test_the_licence_is_the_one_pyproject_names():
    assert PYPROJECT["project"]["license"] == "MIT"
    assert PYPROJECT["project"]["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and 'THE SOFTWARE IS PROVIDED "AS IS"' in text


def pins(text):
    return dict(re.findall(r"^\s*(?:-\s*)?([A-Za-z0-9_.\-]+)==([^\s#]+)", text, flags=re.M))


def test_environment_yml_has_the_requirements_pins():
    req = pins((ROOT / "requirements.txt").read_text())
    env = pins((ROOT / "environment.yml").read_text())
    assert req, "requirements.txt has no pins"
    assert env == req


def test_key_packages_are_pinned():
    req = {canonical(k): v for k, v in pins((ROOT / "requirements.txt").read_text()).items()}
    for pkg in (
        "tensorflow-cpu",
        "keras",
        "snakemake",
        "scikit-learn",
        "pandas",
        "seaborn",
        "matplotlib",
        "scipy",
        "numpy",
        "pytest",
        "snakefmt",
        "ruff",
        "setuptools",
        "h5py",
        "threadpoolctl",
    ):
        assert pkg in req, pkg
    assert req["snakemake"].startswith("9.") and req["keras"].startswith("3.")
    for r in PYPROJECT["project"]["dependencies"]:  # every pin satisfies pyproject's range
        requirement = Requirement(r)
        assert req[canonical(requirement.name)] in requirement.specifier, r
