"""Extending the study takes one entry in one place: a metric registered in
``snapens.metrics`` reaches every table, summary.md and the figures; a figure
family (function, registry entry, caption) gets its rule, target and report
entry. Shown on a copy of the project, run end to end."""

import textwrap

import pandas as pd
import pytest

from workflow_utils import copy_workflow, job_counts, snakemake, tiny_config

pytestmark = pytest.mark.slow

# One metric: the error rate, counted in test rows like accuracy.
METRIC = textwrap.dedent('''

    register(Metric("error_rate", lambda y, p, **_: 1.0 - accuracy(y, p), False, "error rate",
                    count=True))
''')

# One figure family: its drawing function, its registry entry, its caption.
FUNCTION = textwrap.dedent('''

    def members_per_method(dataset, summary, confidence=0.95):
        """Toy family: the members of each method."""
        _style()
        df = summary[summary["dataset"] == dataset]
        fig, ax = plt.subplots(figsize=(5, 3))
        ax.barh(df["method"], df["members"])
        ax.set_title(f"{dataset}: members per method ({confidence:.0%} CI not applicable)")
        return fig
''')
ENTRY = textwrap.dedent('''

    register(Family("members_per_method", "Members per method", {"summary": TABLES["summary"]},
                    ("confidence",)))
''')
CAPTION = "**How many members does each method have?** A toy family.\n"


@pytest.fixture(scope="module")
def extended(tmp_path_factory):
    work = tmp_path_factory.mktemp("extended")
    snakefile = copy_workflow(work)
    src = work / "src" / "snapens"
    with open(src / "metrics.py", "a") as fh:
        fh.write(METRIC)
    with open(src / "plotting.py", "a") as fh:
        fh.write(FUNCTION)
    with open(src / "figures.py", "a") as fh:
        fh.write(ENTRY)
    (work / "workflow" / "report" / "members_per_method.rst").write_text(CAPTION)
    config = tiny_config()
    config["methods"] = {m: config["methods"][m] for m in ("snapshot", "snapshot_weighted", "independent")}
    res = snakemake(work, config, "--cores", "2", snakefile=snakefile)
    assert res.returncode == 0, res.stdout + res.stderr
    return work


def test_a_registered_metric_reaches_every_table(extended):
    results = extended / "results"
    run = results / "runs" / "blobs" / "snapshot" / "seed-7"
    members = pd.read_csv(run / "members.csv")
    assert members["error_rate"].to_numpy() == pytest.approx(1 - members["accuracy"].to_numpy(), abs=1e-12)
    ensemble = pd.read_csv(run / "ensemble.csv")
    assert ensemble["error_rate"].to_numpy() == pytest.approx(1 - ensemble["accuracy"].to_numpy(), abs=1e-12)
    weighted = pd.read_csv(results / "runs" / "blobs" / "snapshot_weighted" / "seed-7" / "weighted.csv")
    assert "error_rate" in weighted.columns and "error_rate" in pd.read_csv(run / "averaged.csv").columns
    tables = results / "tables"
    summary = pd.read_csv(tables / "summary.csv")
    assert {"final_error_rate_mean", "ensemble_error_rate_ci_high", "swa_error_rate_mean"} <= set(summary.columns)
    paired = pd.read_csv(tables / "paired_tests.csv")
    error = paired[paired.metric == "error_rate"]
    accuracy = paired[paired.metric == "accuracy"]
    assert len(error) == len(accuracy) > 0
    # counted exactly, like accuracy: the same test, mirrored
    assert error.p_value.tolist() == pytest.approx(accuracy.p_value.tolist(), nan_ok=True)
    assert error.wins.tolist() == accuracy.wins.tolist()
    assert "### Error rate (lower is better)" in (tables / "summary.md").read_text()
    assert {"single_error_rate_mean", "ensemble_error_rate_mean"} <= set(pd.read_csv(tables / "curves.csv").columns)


def test_a_registered_metric_is_drawn(extended):
    figures = extended / "results" / "figures"
    for family in ("paired_differences", "methods"):
        assert "error rate" in (figures / f"{family}_blobs.svg").read_text(), family


def test_a_registered_figure_family_gets_its_rule_target_and_report_entry(extended, tmp_path):
    figures = extended / "results" / "figures"
    assert (figures / "members_per_method_blobs.png").stat().st_size > 0
    assert "members per method (95% CI not applicable)" in (figures / "members_per_method_blobs.svg").read_text()
    log = (extended / "results" / "logs" / "plot_members_per_method" / "blobs.log").read_text()
    assert "drew members_per_method for blobs" in log
    config = extended / "config.yaml"
    dry = snakemake(extended, config, "-n", "--forcerun", "plot_members_per_method",
                    snakefile=extended / "Snakefile")
    out = dry.stdout + dry.stderr
    assert job_counts(out) == {"plot_members_per_method": 1, "all": 1}, out
    report = snakemake(extended, config, "--report", str(tmp_path / "report.html"), snakefile=extended / "Snakefile")
    assert report.returncode == 0, report.stderr
    assert "members_per_method_blobs.png" in (tmp_path / "report.html").read_text()
