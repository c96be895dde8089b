"""Extending the study takes one entry in one place: a metric registered in
``snapens.evaluate.metrics`` reaches every table, summary.md and the figures;
a figure family (function, registry entry, caption) gets its rule, target and
report entry; a dataset kind registered in ``snapens.data.kinds`` is made,
checked, trained on and drawn. Shown on a copy of the project, run end to end
with the copy's library; then an edit of that library reruns exactly the jobs
that run the edited module."""

import os
import textwrap

import numpy as np
import pandas as pd
import pytest

from workflow_utils import copy_workflow, expected_figures, job_counts, snakemake, tiny_config

pytestmark = pytest.mark.slow

# One metric: the error rate, counted in test rows like accuracy.
METRIC = textwrap.dedent("""

    register(Metric("error_rate", lambda y, p, **_: 1.0 - accuracy(y, p), False, "error rate",
                    count=True))
""")

# One figure family: its drawing function, its registry entry, its caption.
FUNCTION = textwrap.dedent('''

    def members_per_method(dataset, summary, confidence=0.95):
        """Toy family: the members of each method."""
        set_style()
        df = summary[summary["dataset"] == dataset]
        fig, ax = plt.subplots(figsize=(5, 3))
        ax.barh(df["method"], df["members"])
        ax.set_title(f"{dataset}: members per method ({confidence:.0%} CI not applicable)")
        return fig
''')
ENTRY = textwrap.dedent("""

    register(Family("members_per_method", "Members per method", {"summary": "summary"},
                    ("confidence",), module="runs"))
""")
CAPTION = "**How many members does each method have?** A toy family.\n"

# One dataset kind: points in the plane labelled by the quadrant's sign (XOR).
KIND = textwrap.dedent("""

    def _xor(spec):
        rng = np.random.default_rng(spec["random_state"])
        X = rng.uniform(-1, 1, size=(spec["n_samples"], 2))
        return split_first(X, (X[:, 0] * X[:, 1] > 0).astype(int), spec["n_train"])


    register(Kind("xor", _xor, keys("n_samples", "n_train", "random_state"),
                  features=lambda s: 2, classes=lambda s: 2, train_rows=lambda s: s["n_train"],
                  problems=generated, description="a toy: the XOR of the signs of two uniform features"))
""")
TOY = {"kind": "xor", "n_samples": 300, "n_train": 100, "random_state": 0}


@pytest.fixture(scope="module")
def extended(tmp_path_factory):
    work = tmp_path_factory.mktemp("extended")
    snakefile = copy_workflow(work)
    src = work / "src" / "snapens"
    for module, entry in (
        ("evaluate/metrics.py", METRIC),
        ("report/runs.py", FUNCTION),
        ("report/figures.py", ENTRY),
        ("data/kinds.py", KIND),
    ):
        with open(src / module, "a") as fh:
            fh.write(entry)
    (work / "workflow" / "report" / "members_per_method.rst").write_text(CAPTION)
    res = snakemake(work, extended_config(), "--cores", "2", snakefile=snakefile, library=work / "src")
    assert res.returncode == 0, res.stdout + res.stderr
    return work


def extended_config():
    """The tiny study on the toy dataset alone."""
    config = tiny_config()
    config["datasets"] = {"toy": TOY}
    config["methods"] = {m: config["methods"][m] for m in ("snapshot", "snapshot_weighted", "independent")}
    return config


def run_extended(extended, *args, config=None):
    return snakemake(
        extended,
        config or extended / "config.yaml",
        *args,
        snakefile=extended / "Snakefile",
        library=extended / "src",
    )


def test_a_registered_metric_reaches_every_table(extended):
    results = extended / "results"
    run = results / "runs" / "toy" / "snapshot" / "seed-7"
    members = pd.read_csv(run / "members.csv")
    assert members["error_rate"].to_numpy() == pytest.approx(1 - members["accuracy"].to_numpy(), abs=1e-12)
    ensemble = pd.read_csv(run / "ensemble.csv")
    assert ensemble["error_rate"].to_numpy() == pytest.approx(1 - ensemble["accuracy"].to_numpy(), abs=1e-12)
    weighted = pd.read_csv(results / "runs" / "toy" / "snapshot_weighted" / "seed-7" / "weighted.csv")
    assert "error_rate" in weighted.columns and "error_rate" in pd.read_csv(run / "averaged.csv").columns
    tables = results / "tables"
    summary = pd.read_csv(tables / "summary.csv")
    assert {"final_error_rate_mean", "ensemble_error_rate_ci_high", "swa_error_rate_mean"} <= set(
        summary.columns
    )
    paired = pd.read_csv(tables / "paired_tests.csv")
    error = paired[paired.metric == "error_rate"]
    accuracy = paired[paired.metric == "accuracy"]
    assert len(error) == len(accuracy) > 0
    # counted exactly, like accuracy: the same test, mirrored
    assert error.p_value.tolist() == pytest.approx(accuracy.p_value.tolist(), nan_ok=True)
    assert error.wins.tolist() == accuracy.wins.tolist()
    assert "### Error rate (lower is better)" in (tables / "summary.md").read_text()
    assert {"single_error_rate_mean", "ensemble_error_rate_mean"} <= set(
        pd.read_csv(tables / "curves.csv").columns
    )


def test_a_registered_metric_is_drawn(extended):
    figures = extended / "results" / "figures"
    for family in ("paired_differences", "methods"):
        assert "error rate" in (figures / f"{family}_toy.svg").read_text(), family


def test_a_registered_figure_family_gets_its_rule_target_and_report_entry(extended, tmp_path):
    figures = extended / "results" / "figures"
    assert (figures / "members_per_method_toy.png").stat().st_size > 0
    assert (
        "members per method (95% CI not applicable)" in (figures / "members_per_method_toy.svg").read_text()
    )
    log = (extended / "results" / "logs" / "plot_members_per_method" / "toy.log").read_text()
    assert "drew members_per_method for toy" in log
    dry = run_extended(extended, "-n", "--forcerun", "plot_members_per_method")
    out = dry.stdout + dry.stderr
    assert job_counts(out) == {"plot_members_per_method": 1, "all": 1}, out
    report = run_extended(extended, "--report", str(tmp_path / "report.html"))
    assert report.returncode == 0, report.stderr
    assert "members_per_method_toy.png" in (tmp_path / "report.html").read_text()


def test_a_registered_dataset_kind_is_checked_made_trained_and_drawn(extended, tmp_path):
    results = extended / "results"
    with np.load(results / "data" / "toy.npz") as npz:
        X, y = npz["X_train"], npz["y_train"]
    assert X.shape == (100, 2) and set(y) == {0, 1}
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] > 0).astype(int))
    runs = pd.read_csv(results / "tables" / "runs.csv")
    assert set(runs[runs.dataset == "toy"].method) == set(extended_config()["methods"])
    # two features, like the tiny study's blobs: it gets every figure blobs gets (decision
    # regions among them), and the family registered in the copy
    blobs = tiny_config()
    blobs["methods"] = extended_config()["methods"]
    expected = {name.replace("_blobs.", "_toy.") for name in expected_figures(blobs)}
    assert {p.name for p in (results / "figures").iterdir()} == expected | {
        f"members_per_method_toy.{ext}" for ext in ("png", "svg")
    }
    assert "decision_regions_toy.png" in expected
    # its keys are the config schema's: an unknown key and a missing one are named before any job
    config = extended_config()
    config["datasets"]["toy"] = {**TOY, "noise": 0.1}
    del config["datasets"]["toy"]["n_train"]
    res = snakemake(tmp_path / "bad", config, snakefile=extended / "Snakefile", library=extended / "src")
    out = res.stdout + res.stderr
    assert res.returncode != 0, out
    assert "datasets.toy.n_train: missing (required)" in out, out
    assert (
        "datasets.toy.noise = 0.1: unknown key (expected one of: kind, redraw, repeats, methods, model, training, n_samples,"
        in out
    ), out


def _dry_run_after_editing(extended, module):
    """Job counts of a dry run after an edit of the copy's ``module``; the
    file's bytes and time are put back afterwards."""
    path = extended / "src" / "snapens" / module
    text, stat = path.read_text(), path.stat()
    try:
        path.write_text(text + "\n# an edit\n")
        res = run_extended(extended, "-n")
        assert res.returncode == 0, res.stdout + res.stderr
        return job_counts(res.stdout + res.stderr)
    finally:
        path.write_text(text)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_editing_the_library_reruns_exactly_the_jobs_that_run_it(extended):
    figures = len(list((extended / "results" / "figures").glob("*.png")))  # one job draws a PNG and an SVG
    plots = _dry_run_after_editing(extended, "report/runs.py")
    assert set(plots) == {
        f"plot_{f}"
        for f in (
            "lr_schedules",
            "learning_curves",
            "tutorial",
            "paired_differences",
            "diversity",
            "methods",
            "deep_ensemble_equivalent",
            "decision_regions",
            "members_per_method",
        )
    } | {"all"}, plots
    assert sum(n for rule, n in plots.items() if rule != "all") == figures
    # a metric: evaluation and everything after it, not the training or the data
    metric = _dry_run_after_editing(extended, "evaluate/metrics.py")
    assert {"evaluate", "aggregate", "summarise", "decision_grid"} <= set(metric), metric
    assert not {"train", "make_dataset"} & set(metric), metric
    assert metric["evaluate"] == len(extended_config()["datasets"]) * len(extended_config()["methods"])
    # nothing was left changed
    assert job_counts((run_extended(extended, "-n")).stdout) == {}
