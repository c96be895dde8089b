"""The finished tiny study measured: every job's peak memory within its
request, and the report opened in a real browser with every figure visible.
Measurements and a system browser: the integration tier."""

import json
import shutil

import pytest

from workflow_utils import expected_figures, snakemake, tiny_config

CONFIG = tiny_config()


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    work = tmp_path_factory.mktemp("study")
    res = snakemake(work, CONFIG, "--cores", "2")
    assert res.returncode == 0, res.stdout + res.stderr
    return work / "results"


def test_every_job_stays_within_its_memory_request(study):
    """Each job's peak RSS (its benchmark file) against the memory it asked
    for (the request its log records)."""
    from tools.bench_study import job_times, memory_requests

    jobs = job_times(study)
    requests = memory_requests(jobs)
    assert set(jobs["rule"]) - {"all"} <= set(requests), set(jobs["rule"]) - set(requests)
    for _, job in jobs.iterrows():
        assert 0 < job.max_rss_mb <= job.mem_mb, job
    # eight of the largest jobs at once (--cores 8) fit in 24 GiB with room to spare
    assert 8 * max(requests.values()) < 24 * 1024 / 2


@pytest.mark.skipif(
    not any(shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")),
    reason="needs Chromium (.ci/run installs it)",
)
def test_report_opens_in_a_browser_with_figures_visible(study, tmp_path):
    from tools import report_check

    work = study.parent
    res = snakemake(
        work,
        work / "config.yaml",
        "--report",
        "results/report.html",
    )
    assert res.returncode == 0, res.stderr
    report = study / "report.html"
    digest = json.loads((study / "tables" / "study.json").read_text())["config_sha256"]
    assert digest in report.read_text(), "the front page quotes the study's config hash"
    figures = report_check.figures_in(report)
    assert len(figures) == len(expected_figures(CONFIG)) // 2  # every PNG
    assert report_check.check(report, tmp_path / "shots") == []
    # the check can fail: opening a figure the report does not hold leaves the view unchanged
    problems = report_check.check(report, tmp_path / "broken", figures=["results/figures/missing.png"])
    assert problems == [f"results/figures/missing.png: not visible in {tmp_path / 'broken' / 'missing.png'}"]
