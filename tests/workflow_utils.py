"""Running the workflow from tests: a tiny config in a temporary directory."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from snapens.core.paths import TABLE_FILES
from snapens.plan.targets import figure_files

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "data" / "tiny.yaml"


def tiny_config() -> dict:
    return yaml.safe_load(TINY.read_text())


def write_config(config: dict, path: Path) -> Path:
    path.write_text(yaml.safe_dump(copy.deepcopy(config), sort_keys=False))
    return path


def run_env(library: Path | None = None, **extra: str) -> dict[str, str]:
    """The environment of a run: this one, with the library from the copy at
    ``library`` (a ``src`` directory) before the installed one, and ``extra``."""
    env = {**os.environ, **extra}
    if library is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(library), *filter(None, [os.environ.get("PYTHONPATH")])])
    return env


def snakemake(
    workdir: Path,
    config: dict | Path,
    *args: str,
    timeout: int = 900,
    snakefile: Path = ROOT / "Snakefile",
    library: Path | None = None,
    **env: str,
):
    """Run a Snakefile (the project's by default) in ``workdir`` with ``config``,
    the library from ``library`` if given (a copy's ``src``) and the extra
    environment variables ``env``; return the CompletedProcess."""
    workdir.mkdir(parents=True, exist_ok=True)
    cfg = config if isinstance(config, Path) else write_config(config, workdir / "config.yaml")
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(snakefile),
        "--directory",
        str(workdir),
        "--configfile",
        str(cfg),
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=run_env(library, **env))


def copy_workflow(dest: Path) -> Path:
    """A copy of the Snakefile, workflow/, the library (src/, to be run with
    ``library=dest / "src"``) and the environment its rules name, to change a
    script, a metric, a figure or a dataset kind without touching the project."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "Snakefile", dest / "Snakefile")
    shutil.copy(ROOT / "environment.yml", dest / "environment.yml")
    shutil.copytree(ROOT / "workflow", dest / "workflow")
    shutil.copytree(ROOT / "profiles", dest / "profiles")
    shutil.copytree(ROOT / "src", dest / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    return dest / "Snakefile"


def job_counts(output: str) -> dict[str, int]:
    """The 'Job stats' table of a Snakemake run or dry run."""
    counts, table = {}, False
    for line in output.splitlines():
        if line.startswith("Job stats:"):
            table, counts = True, {}
        elif table:
            parts = line.split()
            if len(parts) == 2 and parts[1].isdigit() and parts[0] != "total":
                counts[parts[0]] = int(parts[1])
            elif parts and parts[0] == "total":
                table = False
    return counts


SMALL_SEEDS = (7, 8, 9)
# every study table's file name
TABLES = list(TABLE_FILES.values())


def expected_figures(config: dict) -> set[str]:
    """Names of the figure files (PNG and SVG) the study of ``config`` draws."""
    return {Path(f).name for f in figure_files(config)}


def small_config() -> dict:
    """Two methods (snapshots of one run, independent members), three seeds,
    enough epochs that a packed training job takes a few seconds, and the
    default study's XLA compilation (the determinism tests run with it)."""
    config = tiny_config()
    config["study"]["repeats"] = len(SMALL_SEEDS)
    config["training"]["epochs"] = 60
    config["training"]["jit_compile"] = True
    config["methods"] = {m: config["methods"][m] for m in ("snapshot", "independent")}
    return config


def same_tables(a: Path, b: Path, tables, run_files=("training.csv", "members.csv", "ensemble.csv")) -> None:
    """Assert byte-identical study tables and per-run tables under two ``results/``."""
    import filecmp

    for name in tables:
        assert filecmp.cmp(a / "tables" / name, b / "tables" / name, shallow=False), name
    runs = sorted(p.relative_to(a) for p in (a / "runs").glob("*/*/seed-*"))
    assert runs and runs == sorted(p.relative_to(b) for p in (b / "runs").glob("*/*/seed-*"))
    for run in runs:
        for name in run_files:
            assert filecmp.cmp(a / run / name, b / run / name, shallow=False), run / name


def front_page_claims(tables: Path):
    """The answer's claims of a finished study, from its tables as written."""
    import json

    import pandas as pd

    from snapens.analyse.answer import answer_claims
    from snapens.data.kinds import redrawn_pairs

    study = json.loads((tables / "study.json").read_text())["config"]
    sweep = pd.read_csv(tables / "sweep.csv") if (tables / "sweep.csv").stat().st_size > 1 else None
    return answer_claims(
        pd.read_csv(tables / "summary.csv"),
        pd.read_csv(tables / "paired_tests.csv", dtype={"family": str}),
        sweep,
        redrawn_pairs(study["datasets"]),
        study["evaluation"]["confidence"],
    )


def check_claims(paragraphs, tables: Path) -> int:
    """Every decimal a claim writes is a value (times the claim's sign) of
    the row of ``tables/{claim.table}`` it names, as rounded (grid point
    labels aside); a claim naming no row writes none. Returns the decimals
    checked."""
    import re

    import pandas as pd

    grid = re.compile(r"\b(lr_max|members)\b[ \d.,]*")  # grid point labels: values of the grid, not results
    read: dict[str, pd.DataFrame] = {}
    checked = 0
    for claims in paragraphs:
        for claim in claims:
            numbers = re.findall(r"[+-]?\d+\.\d+", grid.sub(" ", claim.text))
            if not claim.table:
                assert not numbers, claim.text  # a sentence with decimals names its row
                continue
            if claim.table not in read:
                read[claim.table] = pd.read_csv(tables / claim.table, dtype={"family": str})
            table = read[claim.table]
            row = table.loc[(table[list(claim.key)] == pd.Series(claim.key)).all(axis=1)]
            assert len(row) == 1, claim.key
            values = [claim.sign * row.iloc[0][c] for c in claim.columns]
            for n in numbers:
                places = len(n.split(".")[1])
                assert any(abs(v - float(n)) <= 10**-places / 2 + 1e-12 for v in values), (
                    n,
                    values,
                    claim.text,
                )
                checked += 1
    return checked


def check_front_page(tables: Path) -> int:
    """The first 15 lines of ``summary.md`` hold the answer's sentences, each
    backed by the row it names (:func:`check_claims`); returns the decimals checked."""
    head = "\n".join((tables / "summary.md").read_text().splitlines()[:15])
    assert "## The answer" in head, head
    paragraphs = front_page_claims(tables)
    for claims in paragraphs:
        text = "".join(c.text for c in claims).strip()
        assert text[:60] in head, (text[:60], head)
    return check_claims(paragraphs, tables)
