"""End-to-end: the workflow on a tiny config, its output contract (docs/specification.md
section 7), and byte-identical tables across reruns, core counts and packing."""

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from snapens.core.settings import config_hash
from snapens.evaluate import metrics
from snapens.report.figures import FAMILIES
from snapens.train.schedules import Budget, learning_rates
from workflow_utils import (
    ROOT,
    TABLES,
    copy_workflow,
    expected_figures,
    job_counts,
    same_tables,
    snakemake,
    tiny_config,
    write_config,
)

pytestmark = pytest.mark.slow

CONFIG = tiny_config()
SEEDS = [CONFIG["study"]["first_seed"] + i for i in range(CONFIG["study"]["repeats"])]


def run_dirs(results):
    for method in CONFIG["methods"]:
        for seed in SEEDS:
            yield method, seed, results / "runs" / "blobs" / method / f"seed-{seed}"


# snapshot archives dated by the reproducible-builds convention, so that a job
# done again writes the same bytes (snapens.train.archives)
EPOCH = {"SOURCE_DATE_EPOCH": "1764547200"}


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """The tiny study, run from a copy of the workflow (a later test edits a script)."""
    work = tmp_path_factory.mktemp("study")
    res = snakemake(work, CONFIG, "--cores", "2", snakefile=copy_workflow(work), **EPOCH)
    assert res.returncode == 0, res.stdout + res.stderr
    return work / "results"


def test_dry_run_shows_each_stage_as_its_own_rule(tmp_path):
    res = snakemake(tmp_path, CONFIG, "-n")
    assert res.returncode == 0, res.stderr
    out = res.stdout + res.stderr
    for rule in (
        "make_dataset",
        "train",
        "evaluate",
        "aggregate",
        "summarise",
        "decision_grid",
        *(f"plot_{f.name}" for f in FAMILIES.values() if f.datasets not in ("swept", "baselines")),
    ):
        assert f"\n{rule} " in out, rule
    assert not (tmp_path / "results").exists()


def test_contract_files(study):
    with np.load(study / "data" / "blobs.npz") as npz:
        assert set(npz.files) >= {"X_train", "y_train", "X_test", "y_test"}
    members = CONFIG["methods"]["snapshot"]["members"]
    for _, _, run in run_dirs(study):
        snaps = sorted(p.name for p in (run / "snapshots").glob("*.keras"))
        assert snaps == [f"snapshot-{i:02d}.keras" for i in range(1, members + 1)]
        training = pd.read_csv(run / "training.csv")
        assert list(training.columns[:4]) == ["epoch", "lr", "loss", "accuracy"]
        trainings = members if "independent" in str(run) else 1
        assert list(training["epoch"]) == list(range(CONFIG["training"]["epochs"])) * trainings
        m = pd.read_csv(run / "members.csv")
        assert list(m.columns[:6]) == ["member", "epoch", "accuracy", "nll", "brier", "ece"]
        # then the rest of the registry (a new metric adds its columns), then the temperatures
        assert list(m.columns[6 : 2 + len(metrics.METRICS) + 2]) == [
            "nll_calibrated",
            "ece_calibrated",
            "nll_capped",
            "nll_calibrated_capped",
            *metrics.TEMPERATURES,
        ]
        assert list(m.columns[-2:]) == ["nonfinite_rows", "diverged"]
        e = pd.read_csv(run / "ensemble.csv")
        evaluated = list(metrics.evaluated_columns())  # metrics, temperatures, fold columns
        assert list(e.columns) == ["k", *evaluated, "vote_accuracy", *metrics.subset_columns()]
        assert "nll_calibrated_even_insample" in evaluated and "accuracy_odd" in evaluated
        assert list(e["k"]) == list(range(1, members + 1))
        for df in (m, e):
            for col in ("accuracy", "brier", "ece"):
                assert df[col].between(0, 1).all()
        assert (run / "probabilities.npz").exists()
        averaged = pd.read_csv(run / "averaged.csv")
        assert list(averaged["model"]) == ([] if "independent" in str(run) else ["swa", "swa_tail"])
        weighted = pd.read_csv(run / "weighted.csv")
        assert len(weighted) == (1 if "weighted" in str(run) else 0)
        div = pd.read_csv(run / "diversity.csv")
        assert len(div) == members**2 and (div[div.i == div.j]["disagreement"] == 0).all()
        meta = json.loads((run / "run.json").read_text())
        assert meta["seed"] in SEEDS and "versions" in meta
    summary = pd.read_csv(study / "tables" / "summary.csv")
    assert list(zip(summary.dataset, summary.method)) == [("blobs", m) for m in CONFIG["methods"]]
    paired = pd.read_csv(study / "tables" / "paired_tests.csv")
    assert {"p_value", "wins", "ties", "losses", "ci_low", "ci_high"} <= set(paired.columns)
    assert (study / "tables" / "summary.md").read_text().startswith("# ")
    diversity = pd.read_csv(study / "tables" / "diversity.csv")
    assert set(diversity["method"]) == set(CONFIG["methods"])
    assert {p.name for p in (study / "figures").iterdir()} == expected_figures(CONFIG)
    assert {
        f"{f.name}_blobs.png" for f in FAMILIES.values() if f.datasets not in ("swept", "baselines")
    } <= expected_figures(CONFIG)  # blobs is 2-D; no sweeps here
    dee = pd.read_csv(study / "tables" / "deep_ensemble_equivalent.csv")
    assert list(dee.metric.unique()) == ["nll_calibrated", "nll"]  # Ashukha et al.'s first, raw NLL beside it
    for _, part in dee.groupby("metric"):
        part = part.set_index("method")
        assert list(part.index) == list(CONFIG["methods"]) and (part["reference"] == "independent").all()
        # a tiny study's few repeats cannot show the reference gains from its members (an exact
        # test's floor is 2 / 2**repeats): no DEE, and why (the unit tests check M by construction)
        assert (part["identified"] == "no").all() and part["dee"].isna().all()
        assert part.loc["independent", "dee_text"].startswith("not identifiable")
    assert not list(study.rglob(".tmp-*")), "temporary files left behind"


def test_snapshots_load_alone_and_reproduce_members_csv(study, tf_runtime):
    """Each snapshot loaded alone with Keras predicts the stored probabilities
    (to the rounding of Keras's float32 forward pass; evaluation computes in
    float64 without TensorFlow), with the same predicted classes, and
    members.csv holds the metrics of the stored probabilities."""
    import keras

    with np.load(study / "data" / "blobs.npz") as npz:
        X, y = npz["X_test"], npz["y_test"]
    for _, _, run in run_dirs(study):
        table = pd.read_csv(run / "members.csv")
        with np.load(run / "probabilities.npz") as npz:
            stored, stored_log = npz["probs"], npz["log_probs"]
            swa = {m: npz[f"{m}_probs"] for m in ("swa", "swa_tail") if f"{m}_probs" in npz.files}
        weights = []
        for i, row in table.iterrows():
            model = keras.saving.load_model(run / "snapshots" / f"snapshot-{i + 1:02d}.keras")
            probs = np.asarray(model(X))
            np.testing.assert_allclose(stored[i], probs, rtol=1e-5, atol=1e-6)
            assert metrics.accuracy(y, probs) == row["accuracy"]
            assert metrics.nll(y, probs) == pytest.approx(row["nll"], rel=1e-5)
            # the float64 log-probabilities are those of Keras's probabilities,
            # and the NLL is their true-class mean, unclipped
            np.testing.assert_allclose(np.exp(stored_log[i]), probs, rtol=1e-5, atol=1e-6)
            assert -stored_log[i][np.arange(len(y)), y].mean() == pytest.approx(row["nll"], rel=1e-9)
            for name, value in metrics.evaluate(y, log_probs=stored_log[i]).items():
                assert value == pytest.approx(row[name], rel=1e-9, abs=1e-12), name
            weights.append(model.get_weights())
        averaged = pd.read_csv(run / "averaged.csv")
        # the weight averages: the mean of every snapshot's weights, and of the last half's
        # (rounded up: 2 of 3, 3 of 5, 5 of 10)
        for i, (name, first) in enumerate((("swa", 0), ("swa_tail", len(weights) // 2))):
            if not len(averaged):
                break
            model.set_weights([np.mean(w, axis=0) for w in zip(*weights[first:])])
            probs = np.asarray(model(X))
            np.testing.assert_allclose(swa[name], probs, rtol=1e-5, atol=1e-6)
            assert averaged["model"].iloc[i] == name
            assert metrics.accuracy(y, probs) == averaged["accuracy"].iloc[i]
            assert metrics.nll(y, probs) == pytest.approx(averaged["nll"].iloc[i], rel=1e-5)


def test_ensemble_k1_is_last_member_and_kM_is_average(study):
    with np.load(study / "data" / "blobs.npz") as npz:
        y = npz["y_test"]
    for _, _, run in run_dirs(study):
        m = pd.read_csv(run / "members.csv")
        e = pd.read_csv(run / "ensemble.csv")
        for col in metrics.METRICS:
            assert e[col].iloc[0] == m[col].iloc[-1]
        with np.load(run / "probabilities.npz") as npz:
            # the log of the mean probability, by exponentiating (the study stays in the log domain)
            full = metrics.evaluate(y, log_probs=np.log(np.exp(npz["log_probs"]).mean(axis=0)))
        for col in metrics.METRICS:
            assert e[col].iloc[-1] == pytest.approx(full[col], rel=1e-9)


def test_snapshot_epochs_and_learning_rates(study):
    epochs = CONFIG["training"]["epochs"]
    for method, _, run in run_dirs(study):
        spec = CONFIG["methods"][method]
        m = pd.read_csv(run / "members.csv")
        period = epochs // spec["members"]
        independent = spec.get("ensemble") == "independent"
        expected_epochs = (
            [epochs - 1] * spec["members"]
            if independent
            else [(i + 1) * period - 1 for i in range(spec["members"])]
        )
        assert list(m["epoch"]) == expected_epochs
        training = pd.read_csv(run / "training.csv")
        meta = json.loads((run / "run.json").read_text())
        rows = CONFIG["datasets"]["blobs"]["n_train"] - len(
            meta["validation_rows"]
        )  # 80 with a validation split
        steps = math.ceil(rows / CONFIG["training"]["batch_size"])
        assert meta["train_rows"] == rows and meta["steps_per_epoch"] == steps
        budget = Budget(epochs, 1 if independent else spec["members"], steps)
        expected = learning_rates(spec["schedule"], budget, per="epoch")
        for _, g in training.groupby(training.get("member", pd.Series(0, index=training.index))):
            np.testing.assert_allclose(g["lr"], expected, rtol=1e-6, atol=1e-9)


def test_lint_and_format(tmp_path):
    """`make lint` is clean: Snakemake's linter, snakefmt, ruff's checks and ruff's format."""
    import subprocess
    import sys

    lint = subprocess.run(
        [sys.executable, "-m", "snakemake", "--lint"], cwd=ROOT, capture_output=True, text=True
    )
    assert lint.returncode == 0 and "good condition" in lint.stdout + lint.stderr, lint.stdout + lint.stderr
    for tool in (
        ["snakefmt", "--check", "Snakefile", "workflow"],
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
    ):
        res = subprocess.run([sys.executable, "-m", *tool], cwd=ROOT, capture_output=True, text=True)
        assert res.returncode == 0, res.stdout + res.stderr


def test_member_weights_come_from_held_out_training_rows(study):
    from snapens.evaluate.ensembling import fit_weights, weighted_average

    with np.load(study / "data" / "blobs.npz") as npz:
        y_train, y_test = npz["y_train"], npz["y_test"]
    run = study / "runs" / "blobs" / "snapshot_weighted" / f"seed-{SEEDS[0]}"
    meta = json.loads((run / "run.json").read_text())
    val = meta["validation_rows"]
    assert len(val) == 20 and meta["train_rows"] == 80
    with np.load(run / "probabilities.npz") as npz:
        np.testing.assert_array_equal(npz["y_val"], y_train[val])
        w = fit_weights(npz["val_probs"], npz["y_val"])
        probs = npz["probs"]
    row = pd.read_csv(run / "weighted.csv").iloc[0]
    np.testing.assert_allclose([float(x) for x in row["weights"].split()], w, atol=1e-6)
    assert row["nll"] == pytest.approx(metrics.nll(y_test, weighted_average(probs, w)), rel=1e-6)


def test_changing_the_plotting_script_reruns_only_the_figures(study):
    """Figures are drawn from tables: a new figure script reruns the figure
    jobs and nothing else (the script's bytes and time are put back after)."""
    import os

    work = study.parent
    script = work / "workflow" / "scripts" / "plot.py"
    text, stat = script.read_text(), script.stat()
    try:
        script.write_text(text + "# a cosmetic change\n")
        dry = snakemake(work, work / "config.yaml", "-n", snakefile=work / "Snakefile")
    finally:
        script.write_text(text)
        os.utime(script, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert dry.returncode == 0, dry.stderr
    drawn = [
        f.name for f in FAMILIES.values() if f.datasets not in ("swept", "baselines")
    ]  # no sweep or baselines in this study
    assert job_counts(dry.stdout + dry.stderr) == {**{f"plot_{f}": 1 for f in drawn}, "all": 1}
    again = snakemake(work, work / "config.yaml", "-n", snakefile=work / "Snakefile")
    assert job_counts(again.stdout + again.stderr) == {}


def test_run_json_records_provenance(study):
    for method, seed, run in run_dirs(study):
        meta = json.loads((run / "run.json").read_text())
        assert meta["seed"] == seed and meta["method"] == method
        config = meta["config"]
        assert config["method_config"]["schedule"] == CONFIG["methods"][method]["schedule"]
        assert config["training"]["epochs"] == CONFIG["training"]["epochs"]
        assert meta["config_sha256"] == config_hash(config)
        assert set(meta["versions"]) >= {"python", "tensorflow", "keras", "numpy", "scikit-learn"}
        assert "missing" not in meta["versions"].values(), meta["versions"]
        assert meta["platform"] and meta["started"] < meta["finished"] and meta["wall_seconds"] > 0
        assert meta["cpu"]["model"] and meta["cpu"]["machine"]  # what a last digit may depend on
        if Path("/proc/cpuinfo").exists() and "avx" in Path("/proc/cpuinfo").read_text():
            assert "avx" in meta["cpu"]["vector_flags"], meta["cpu"]
        numerics = meta["numerics"]  # what changes the numbers; summarise compares it across seeds
        assert numerics["onednn"] in ("on", "off") and numerics["op_determinism"] is True, numerics
        assert numerics["jit_compile"] == config["training"].get("jit_compile", False)
        assert numerics["intra_op_threads"] == numerics["inter_op_threads"] == meta["threads"], numerics
        assert numerics["blas_threads"] == meta["threads"], numerics  # Snakemake's OPENBLAS_NUM_THREADS


def test_tables_carry_the_study_config_hash(study):
    record = json.loads((study / "tables" / "study.json").read_text())
    digest = record["config_sha256"]
    assert digest == config_hash(record["config"]) and len(digest) == 16
    for method, spec in CONFIG["methods"].items():  # as configured, plus the schema's defaults
        assert record["config"]["methods"][method].items() >= spec.items(), method
    assert record["config"]["training"]["epochs"] == CONFIG["training"]["epochs"]
    assert "execution" not in record["config"]
    assert record["runs"] == len(CONFIG["methods"]) * len(SEEDS)
    assert digest in (study / "tables" / "summary.md").read_text()
    assert digest in (study / "tables" / "headline.rst").read_text()


def _dry_run_after(study, tmp_path, change):
    """Job counts of a dry run of the finished study with ``change(config)`` applied."""
    config = tiny_config()
    change(config)
    work = study.parent
    res = snakemake(work, write_config(config, tmp_path / "changed.yaml"), "-n", snakefile=work / "Snakefile")
    assert res.returncode == 0, res.stdout + res.stderr
    return job_counts(res.stdout + res.stderr)


def test_changing_a_parameter_reruns_exactly_the_runs_it_affects(study, tmp_path):
    def lr_of_one_method(c):
        c["methods"]["snapshot"]["schedule"]["lr_max"] = 0.02

    def ece_bins(c):
        c["evaluation"]["ece_bins"] = 10

    def hidden_units(c):
        c["model"]["hidden_units"] = 9

    def title(c):
        c["study"]["title"] = "Another title"

    def statistics(c):
        c["evaluation"]["confidence"] = 0.9
        c["evaluation"]["bootstrap"] = 500

    assert _dry_run_after(study, tmp_path, lambda c: None) == {}
    # the method's training job, which trains every method of this tiny study
    # (execution.train_job_seconds), and so the evaluation of each
    one = _dry_run_after(study, tmp_path, lr_of_one_method)
    n = len(CONFIG["methods"])
    assert (one["train"], one["evaluate"], one["aggregate"], one["summarise"]) == (1, n, n, 1), one
    bins = _dry_run_after(study, tmp_path, ece_bins)
    assert "train" not in bins and bins["evaluate"] == bins["aggregate"] == len(CONFIG["methods"]), bins
    model = _dry_run_after(study, tmp_path, hidden_units)
    assert model["train"] == 1 and model["evaluate"] == n, model
    titled = _dry_run_after(study, tmp_path, title)
    assert not {"train", "evaluate", "aggregate"} & set(titled) and titled["summarise"] == 1, titled
    stats = _dry_run_after(study, tmp_path, statistics)
    assert not {"train", "evaluate", "aggregate"} & set(stats) and stats["summarise"] == 1, stats


# Each damages a file of the finished study (in ``work``) and returns the
# arguments that make Snakemake run the job reading it, the job's message
# (with the path the job sees) and the outputs that must not survive.
RUN = Path("results") / "runs" / "blobs" / "snapshot" / f"seed-{SEEDS[0]}"
CHUNK = Path("results") / "runs" / "blobs" / "snapshot" / "chunks" / f"seeds-{SEEDS[0]}-{SEEDS[-1]}"
# the tiny study's methods train in one job (execution.train_job_seconds)
TRAINED = (
    Path("results")
    / "runs"
    / "blobs"
    / "training"
    / f"methods-1-{len(CONFIG['methods'])}"
    / f"{CHUNK.name}.json"
)


def _changed(path, manifest, what):
    return f"{manifest}: 1 file(s) differ from what the job that wrote them recorded", f"{path}: ", what


def _damage_snapshot(work):
    snapshot = RUN / "snapshots" / "snapshot-02.keras"
    (work / snapshot).write_bytes((work / snapshot).read_bytes()[:300])
    return (
        ["--forcerun", "evaluate", "--", str(CHUNK / "evaluate.json")],
        _changed(snapshot, TRAINED, "300 bytes, the manifest records"),
        [CHUNK / "evaluate.json"],
    )


def _empty_data(work):
    data = Path("results") / "data" / "blobs.npz"
    (work / data).write_bytes(b"")
    return [str(TRAINED)], (f"{data}: not a readable dataset file",), [TRAINED]


def _wrong_shape_probabilities(work):
    path = RUN / "probabilities.npz"
    np.savez(work / path, probs=np.full((3, 5, 3), 1 / 3), epochs=np.array([3, 7, 11]))
    return (
        ["--forcerun", "aggregate", "--", str(CHUNK / "aggregate.json")],
        _changed(path, CHUNK / "evaluate.json", "bytes, the manifest records"),
        [CHUNK / "aggregate.json"],
    )


def _short_member_table(work):
    path = RUN / "members.csv"
    lines = (work / path).read_text().splitlines()
    (work / path).write_text("\n".join(lines[:-1]) + "\n")
    return (
        ["--forcerun", "summarise", "--", "results/tables/summary.csv"],
        _changed(path, CHUNK / "evaluate.json", "bytes, the manifest records"),
        [Path("results") / "tables" / "summary.csv"],
    )


def _deleted_training_table(work):
    path = RUN / "training.csv"
    (work / path).unlink()
    return (
        ["--forcerun", "summarise", "--", "results/tables/summary.csv"],
        _changed(path, TRAINED, "missing"),
        [Path("results") / "tables" / "summary.csv"],
    )


BAD_FILES = [
    ("truncated snapshot", _damage_snapshot),
    ("empty data file", _empty_data),
    ("probabilities replaced by others", _wrong_shape_probabilities),
    ("member table missing a row", _short_member_table),
    ("training table deleted", _deleted_training_table),
]


@pytest.mark.parametrize("what,damage", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_file_fails_the_job_that_reads_it_naming_the_file(study, tmp_path, what, damage):
    work = tmp_path / "work"
    shutil.copytree(study.parent, work, symlinks=True)
    args, messages, removed = damage(work)
    res = snakemake(work, work / "config.yaml", "--cores", "2", *args, snakefile=work / "Snakefile")
    out = res.stdout + res.stderr
    assert res.returncode != 0, out
    assert f"error: {messages[0]}" in out, out  # the job's own message, on the console
    for message in messages[1:]:
        assert message in out, out
    for path in removed:  # the failed job's outputs are gone: nothing downstream can use them
        assert not (work / path).exists(), path


def test_verify_names_each_file_changed_since_its_job_and_its_command_restores_them(study, tmp_path):
    """A run's members.csv and another's snapshot deleted: `snakemake verify`
    names both, with the manifests of the jobs that wrote them, and prints one
    command; that command brings them back byte for byte, every table and
    figure too."""
    work = tmp_path / "work"
    shutil.copytree(study.parent, work, symlinks=True)
    results = work / "results"
    members = results / "runs" / "blobs" / "snapshot" / f"seed-{SEEDS[0]}" / "members.csv"
    snapshot = (
        results / "runs" / "blobs" / "independent" / f"seed-{SEEDS[1]}" / "snapshots" / "snapshot-02.keras"
    )
    originals = {path: path.read_bytes() for path in (members, snapshot)}
    figures = {p.name: p.read_bytes() for p in (results / "figures").iterdir()}
    members.unlink()
    snapshot.unlink()
    config = work / "config.yaml"
    res = snakemake(work, config, "--cores", "1", "verify", snakefile=work / "Snakefile", **EPOCH)
    out = res.stdout + res.stderr
    assert res.returncode != 0, out
    for path in originals:
        assert f"{path.relative_to(work)}: missing" in out, out
    manifests = [
        str(TRAINED),
        f"results/runs/blobs/snapshot/chunks/seeds-{SEEDS[0]}-{SEEDS[-1]}/evaluate.json",
    ]
    command = next(
        line.strip() for line in out.splitlines() if line.strip().startswith("snakemake --cores all")
    )
    assert command == f"snakemake --cores all --configfile {config} --forcerun {' '.join(manifests)}"
    repair = snakemake(work, config, *command.split()[1:], snakefile=work / "Snakefile", **EPOCH)
    assert repair.returncode == 0, repair.stdout + repair.stderr
    for path, data in originals.items():
        assert path.read_bytes() == data, path
    same_tables(study, results, TABLES)
    # the figures were drawn again from the tables (new processes): the same bytes, each a pure function of them
    assert "rule plot_tutorial:" in repair.stdout + repair.stderr
    assert {p.name: p.read_bytes() for p in (results / "figures").iterdir()} == figures
    again = snakemake(work, config, "--cores", "1", "verify", snakefile=work / "Snakefile")
    assert again.returncode == 0 and "verified" in again.stdout + again.stderr, again.stdout + again.stderr


def test_front_page_answers_first_in_sentences_backed_by_table_rows(study):
    """summary.md opens with the answer (the ensemble against its own final
    model, and where the equal-cost question is asked), each decimal from
    the paired_tests.csv row its sentence names; the report's headline too."""
    from workflow_utils import check_front_page

    tables = study / "tables"
    assert check_front_page(tables) >= 3
    head = "\n".join((tables / "summary.md").read_text().splitlines()[:15])
    assert "config/sweep.yaml" in head  # no baselines: names the configs that have them
    assert (tables / "headline.rst").read_text().startswith("**The answer.**")
