"""Open a Snakemake report in headless Chromium and check that its figures show.

``python -m tools.report_check results/report.html`` (or ``make report-check``)
screenshots the front page and every figure of the report, as a reader would
see them after clicking the figure, into ``results/report-check/``, and fails
if a figure's screenshot is blank. It needs Chromium (Debian: ``apt-get install
chromium``).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1400,900",
    "--virtual-time-budget=10000",
]
SIDEBAR_PX = 320  # the report's navigation column; figures show to its right


def find_browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("report check: no Chromium found (Debian: apt-get install chromium)")


def figures_in(report: Path) -> list[str]:
    """Paths of the PNG results the report embeds, in order of first mention."""
    return list(dict.fromkeys(re.findall(r"results/figures/[\w.\-/]+\.png", report.read_text())))


def _harness(report: Path, figure: str | None, dest: Path) -> Path:
    """A copy of the report that opens ``figure`` after loading, as a click would."""
    script = ""
    if figure is not None:
        path = json.dumps(figure)
        script = (
            "<script>window.addEventListener('load', function () { setTimeout(function () {"
            f"app.setView({{navbarMode: 'resultinfo', resultPath: {path}, content: 'img',"
            f" contentPath: results[{path}].data_uri}}); }}, 1000); }});</script>"
        )
    dest.write_text(report.read_text() + script)
    return dest


def screenshot(browser: str, page: Path, out: Path) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [browser, *FLAGS, f"--user-data-dir={profile}", f"--screenshot={out}", page.as_uri()],
            check=True,
            capture_output=True,
            timeout=120,
        )


def _content(png: Path) -> np.ndarray:
    import matplotlib.image as mpimg

    return mpimg.imread(png)[:, SIDEBAR_PX:, :3]


def ink(png: Path) -> float:
    """Share of the content area (right of the sidebar) that is not near-white."""
    return float(np.mean(_content(png).min(axis=2) < 0.9))


def changed(png: Path, reference: Path) -> float:
    """Share of the content area that differs from ``reference`` (the front page)."""
    a, b = _content(png), _content(reference)
    return float(np.mean(np.abs(a - b).max(axis=2) > 0.15))


def check(
    report: Path,
    out_dir: Path,
    figures: list[str] | None = None,
    min_ink: float = 0.01,
    min_change: float = 0.02,
) -> list[str]:
    """Screenshot the front page and each figure (default: all the report holds);
    return the problems found."""
    browser = find_browser()
    out_dir.mkdir(parents=True, exist_ok=True)
    problems = []
    figures = figures_in(report) if figures is None else figures
    if not figures:
        problems.append(f"{report}: no figures found in the report")
    with tempfile.TemporaryDirectory() as tmp:
        targets = [("front_page", None), *((Path(f).stem, f) for f in figures)]
        front = out_dir / "front_page.png"
        for name, figure in targets:
            shot = out_dir / f"{name}.png"
            screenshot(browser, _harness(report, figure, Path(tmp) / f"{name}.html"), shot)
            drawn = ink(shot)
            moved = changed(shot, front) if figure is not None else 1.0
            ok = drawn >= min_ink and moved >= min_change
            print(
                f"{'ok' if ok else 'BLANK':5s} {shot}  ({drawn:.1%} of the view drawn, "
                f"{moved:.1%} differs from the front page)"
            )
            if not ok:
                problems.append(f"{figure or 'front page'}: not visible in {shot}")
    return problems


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("report", type=Path, nargs="?", default=Path("results/report.html"))
    ap.add_argument("--out", type=Path, default=None, help="screenshot folder (default: beside the report)")
    args = ap.parse_args(argv)
    if not args.report.is_file():
        print(
            f"report check: {args.report} not found; run `snakemake --report {args.report}` first",
            file=sys.stderr,
        )
        return 2
    problems = check(args.report, args.out or args.report.parent / "report-check")
    for p in problems:
        print(f"report check: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
