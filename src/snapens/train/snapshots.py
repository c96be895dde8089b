"""Snapshot files: their names and listing them in member order (reading
them is :mod:`snapens.evaluate.loading`).

A run's snapshots are ``snapshots/snapshot-{i:02d}.keras``, ``i = 1..M``, oldest
first; each loads alone with ``keras.saving.load_model``. Member order is the
parsed index ``i``, never the file names' string order (``snapshot-100`` sorts
before ``snapshot-11`` as a string).
"""

from __future__ import annotations

import re
from pathlib import Path

PATTERN = re.compile(r"snapshot-(\d+)\.keras")


def snapshot_name(i: int) -> str:
    """File name of the ``i``-th snapshot (1-based, oldest first)."""
    return f"snapshot-{i:02d}.keras"


def clear_snapshots(run_dir: str | Path) -> None:
    """Remove a run's snapshot files (before the run is trained again)."""
    directory = Path(run_dir) / "snapshots"
    directory.mkdir(parents=True, exist_ok=True)
    for path in directory.glob("snapshot-*.keras"):
        if PATTERN.fullmatch(path.name):
            path.unlink()


def snapshot_files(run_dir: str | Path, expected: int) -> list[Path]:
    """The run's ``expected`` snapshot files in member order (1..M by parsed
    index); a missing, duplicated or unexpected snapshot is named."""
    directory = Path(run_dir) / "snapshots"
    found: dict[int, list[Path]] = {}
    for path in directory.glob("snapshot-*.keras"):
        match = PATTERN.fullmatch(path.name)
        if match:
            found.setdefault(int(match.group(1)), []).append(path)
    duplicated = sorted(p.name for paths in found.values() if len(paths) > 1 for p in paths)
    missing = [i for i in range(1, expected + 1) if i not in found]
    extra = sorted(i for i in found if not 1 <= i <= expected)
    if duplicated or missing or extra:
        problems = []
        if missing:
            problems.append(f"missing {', '.join(snapshot_name(i) for i in missing)}")
        if extra:
            problems.append(f"unexpected {', '.join(found[i][0].name for i in extra)}")
        if duplicated:
            problems.append(f"the same index twice: {', '.join(duplicated)}")
        raise ValueError(
            f"{directory}: expected {expected} snapshots (from run.json), found {len(found)}; "
            + "; ".join(problems)
        )
    return [found[i][0] for i in range(1, expected + 1)]
