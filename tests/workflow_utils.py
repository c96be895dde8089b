"""Running the workflow from tests: a tiny config in a temporary directory."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "data" / "tiny.yaml"


def tiny_config() -> dict:
    return yaml.safe_load(TINY.read_text())


def write_config(config: dict, path: Path) -> Path:
    path.write_text(yaml.safe_dump(copy.deepcopy(config), sort_keys=False))
    return path


def snakemake(workdir: Path, config: dict | Path, *args: str, timeout: int = 900):
    """Run the project's Snakefile in ``workdir`` with ``config``; return the CompletedProcess."""
    workdir.mkdir(parents=True, exist_ok=True)
    cfg = config if isinstance(config, Path) else write_config(config, workdir / "config.yaml")
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--directory",
           str(workdir), "--configfile", str(cfg), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
