"""`make bench-study`'s bookkeeping: benchmark files, start-up marks, tables."""

import json
import math

import pytest
import yaml

from snapens.core.logs import DONE, EVALUATED, READY, REQUEST, TRAINED
from snapens.plan.cost import COSTS, lane_step_seconds
from tools import bench_study

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def job(root, rel, wall, rss, log_text):
    tsv = root / "benchmarks" / f"{rel}.tsv"
    tsv.parent.mkdir(parents=True, exist_ok=True)
    tsv.write_text(HEADER + f"{wall}\t0:00:01\t{rss}\t0\t0\t0\t0\t0\t0\t{wall}\n")
    log = root / "logs" / f"{rel}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(log_text)


def test_job_times_rules_startup_and_summary(tmp_path):
    request = REQUEST % '{"resources": {"mem_mb": 1024, "runtime": 5}, "rule": "train", "threads": 1}'
    job(
        tmp_path,
        "train/blobs/snapshot",
        20.0,
        800.0,
        "x INFO job process up after 0.60s\nx INFO "
        + request
        + "\nx INFO "
        + READY % 8.25
        + "\nx INFO "
        + DONE % (20.5, 19.25)
        + "\n",
    )
    job(tmp_path, "train/blobs/constant", 30.0, 790.0, "x INFO " + READY % 7.75 + "\n")
    job(tmp_path, "plot_tutorial/blobs", 5.0, 190.0, "x INFO job process up after 3.50s\n")
    job(tmp_path, "summarise", 7.0, 200.0, "")
    jobs = bench_study.job_times(tmp_path).set_index("job")
    assert jobs.loc["train/blobs/snapshot", "startup_s"] == 8.25  # the ready mark wins
    assert jobs.loc["plot_tutorial/blobs", "rule"] == "plot_tutorial"
    assert jobs.loc["plot_tutorial/blobs", "startup_s"] == 3.5
    assert jobs.loc["summarise", "rule"] == "summarise"
    assert jobs.loc["train/blobs/snapshot", "own_cpu_s"] == 19.25
    assert math.isnan(jobs.loc["summarise", "own_cpu_s"])
    assert jobs.loc["train/blobs/snapshot", "mem_mb"] == 1024 and math.isnan(jobs.loc["summarise", "mem_mb"])
    assert bench_study.memory_requests(jobs.reset_index()) == {"train": 1024}
    rules = bench_study.per_rule(jobs.reset_index())
    assert rules.loc["train", "jobs"] == 2
    assert rules.loc["train", "median_wall_s"] == 25.0
    assert rules.loc["train", "peak_rss_mb"] == 800.0
    assert rules.loc["train", "startup_s"] == 16.0
    assert list(rules.index)[0] == "train"  # largest total first


def test_report_checks_the_targets_of_its_benchmark(tmp_path):
    for seed in range(1, 11):
        (tmp_path / "runs" / "blobs" / "snapshot" / f"seed-{seed}").mkdir(parents=True)
    job(
        tmp_path,
        "train/blobs/snapshot/seeds-1-10",
        40.0,
        800.0,
        "x INFO " + READY % 5.0 + "\nx INFO " + DONE % (41.0, 190.0) + "\n",
    )
    jobs = bench_study.job_times(tmp_path)
    text = bench_study.report(
        {1: 190.0, 2: 100.0},
        jobs,
        tmp_path,
        [],
        {"train": 1024},
        cpu=200.0,
        tag="default",
        own=8.0,
        prediction=["- on a SLURM cluster: ..."],
    )
    assert "10 runs" in text and "- `--cores 2`: 100.0 s wall, 10.000 s per run" in text
    assert "speed-up `--cores 2` over `--cores 1`: 1.90x (target >= 1.8x: met)" in text
    assert "`--cores 2` wall 100.0 s (target <= 104 s: met)" in text
    assert "the rest 160.0 s (80%; target < 10%: MISSED)" in text  # 200 s of CPU, 40 s in the jobs
    assert "8.0 s (4.0% of all CPU; target < 10%: met)" in text
    assert "the jobs 190.0 s, the rest 10.0 s (5.0%; target < 10%: met)" in text
    assert "- on a SLURM cluster: ..." in text
    slow = bench_study.report({2: 110.0}, jobs, tmp_path, None, tag="default")
    assert "(target <= 104 s: MISSED)" in slow and "speed-up" not in slow
    other = bench_study.report({2: 110.0}, jobs, tmp_path, None, tag="sweep")
    assert "target <=" not in other  # no wall-time target for that benchmark


def test_cluster_latency_is_the_measured_median_plus_half_a_status_interval(tmp_path):
    path = tmp_path / "latency.json"
    path.write_text(json.dumps({"submit_to_start_s": [0.0, 1.0, 5.0], "jobs": 3}))
    latency, text = bench_study.cluster_latency(path)
    assert latency == 1.0 + bench_study.STATUS_INTERVAL / 2 and "measured by make test-slurm" in text
    latency, text = bench_study.cluster_latency(tmp_path / "missing.json")
    assert latency == 1.0 + bench_study.STATUS_INTERVAL / 2 and "assumed" in text


def test_identical_tables_names_the_differences(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for root, text in ((a, "1"), (b, "2")):
        t = root / "tables"
        t.mkdir(parents=True)
        (t / "same.csv").write_text("x\n")
        (t / "summary.csv").write_text(text)
    (a / "tables" / "only_a.csv").write_text("")
    assert bench_study.identical_tables(a, b) == ["only_a.csv (only in the first run)", "summary.csv"]


def test_run_study_refuses_a_used_directory(tmp_path):
    (tmp_path / "results").mkdir()
    with pytest.raises(SystemExit, match="empty directory"):
        bench_study.run_study(tmp_path, 1, [], tmp_path / "Snakefile")


def test_the_cost_model_beside_what_the_jobs_logged(tmp_path):
    job(
        tmp_path,
        "train/blobs/snapshot/seeds-1-30",
        10.0,
        700.0,
        "x INFO " + READY % 3.5 + "\nx INFO " + TRAINED % (30, 1.6, 1, 2000, 9696, 300) + "\n",
    )
    job(
        tmp_path,
        "train/blobs/constant/seeds-1-30",
        10.0,
        700.0,
        "x INFO " + READY % 4.5 + "\nx INFO " + TRAINED % (30, 2.1, 1, 2000, 9696, 300) + "\n",
    )
    job(
        tmp_path,
        "evaluate/blobs/snapshot/seeds-1-30",
        2.0,
        100.0,
        "x INFO " + READY % 0.5 + "\nx INFO " + EVALUATED % (300, 30, 0.9) + "\n",
    )
    lines = bench_study.cost_model(tmp_path, bench_study.job_times(tmp_path))
    text = "\n".join(lines)
    # the model's values beside what these logs say
    assert f"| training job start-up (s) | {COSTS.train_startup:g} | 4.00 |" in text  # median of 3.5 and 4.5
    assert f"| other job start-up (s) | {COSTS.job_startup:g} | 0.50 |" in text
    # (1.6 - 300 x 0.5 ms) / 2000 steps = 0.725 ms; (2.1 - 0.15) / 2000 = 0.975 ms; median 0.85
    assert f"| lane step, 9696 weights per lane (ms) | {1e3 * lane_step_seconds(9696):.3f} | 0.850 |" in text
    assert f"| evaluating a member (ms) | {1e3 * COSTS.evaluate_member:g} | 3.00 |" in text  # 0.9 s / 300


def test_results_root_is_the_last_config_file_that_sets_it(tmp_path):
    a, b, c = tmp_path / "a.yaml", tmp_path / "b.yaml", tmp_path / "c.yaml"
    a.write_text("study: {repeats: 3}\n")
    b.write_text("results: results/sweep\n")
    c.write_text("study: {repeats: 5}\n")
    assert bench_study.results_root([a]) == "results"
    assert bench_study.results_root([a, b, c]) == "results/sweep"


def test_study_configs_write_one_override_per_replaced_key(tmp_path):
    config = tmp_path / "sweep.yaml"
    config.write_text(
        "study: {repeats: 30}\nexecution: {runs_per_job: 30}\ndatasets: {blobs: {}, mnist1d: {}}\n"
    )
    tag, files = bench_study.study_configs(
        tmp_path / "bench", config, repeats=300, runs_per_job=7, datasets=["blobs"]
    )
    assert tag == "sweep-repeats-300-runs-per-job-7-blobs"
    assert [f.name for f in files] == ["config.yaml", "repeats.yaml", "runs-per-job.yaml"]
    assert all(f.parent == tmp_path / "bench" / tag for f in files)
    loaded = [yaml.safe_load(f.read_text()) for f in files]
    assert loaded[0]["datasets"] == {"blobs": {}} and loaded[0]["study"] == {"repeats": 30}
    assert loaded[1] == {"study": {"repeats": 300}} and loaded[2] == {"execution": {"runs_per_job": 7}}
    tag, files = bench_study.study_configs(tmp_path / "bench", tmp_path / "config.yaml")
    assert tag == "default" and files == [(tmp_path / "config.yaml").resolve()]
    with pytest.raises(SystemExit, match="mnist5k not in"):
        bench_study.study_configs(tmp_path / "bench", config, datasets=["mnist5k"])


def test_runs_are_counted_under_grid_point_methods_too(tmp_path):
    runs = tmp_path / "results" / "runs" / "blobs"
    for method in ("constant", "snapshot/members-2_lr_max-0.1", "snapshot/members-5_lr_max-0.1"):
        for seed in (1, 2, 3):
            (runs / method / f"seed-{seed}").mkdir(parents=True)
        (runs / method / "chunks" / "seeds-1-3").mkdir(parents=True)
    (runs / "constant" / "seed-1" / "seed-notes.txt").write_text("a file, not a run")
    assert bench_study.n_runs(tmp_path / "results") == 9


def test_paired_ratios_give_each_pair_and_the_median_against_the_target():
    lines = bench_study.paired_ratios([(150.0, 60.0), (140.0, 77.0), (160.0, 72.0)], "a245225")
    assert lines[0] == "- pair 1: baseline 150.0 s, this tree 60.0 s, ratio 0.400"
    assert lines[1].endswith("ratio 0.550") and lines[2].endswith("ratio 0.450")
    assert lines[3] == "- median ratio 0.450, largest 0.550 (target <= 0.5: met)"
    assert bench_study.paired_ratios([(100.0, 51.0)], "a245225")[-1].endswith("(target <= 0.5: MISSED)")
    assert bench_study.paired_ratios([(100.0, 109.0)], "231d7bd")[-1].endswith("(target <= 1.1: met)")
    assert bench_study.paired_ratios([(100.0, 109.0)], "abc")[-1].endswith("(no target for abc)")


def test_checkout_extracts_a_revision_and_names_a_bad_one(tmp_path):
    tree = bench_study.checkout("HEAD", tmp_path / "tree")
    assert (tree / "Snakefile").is_file() and (tree / "config" / "config.yaml").is_file()
    with pytest.raises(SystemExit, match="exists"):
        bench_study.checkout("HEAD", tree)
    with pytest.raises(SystemExit, match="no-such-revision"):
        bench_study.checkout("no-such-revision", tmp_path / "other")
