"""The conda environment and the pip pins describe the same environment."""

import re

from workflow_utils import ROOT


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
