"""The cluster prediction: the DAG read from a dry run, chunks merged into
one cluster job, list scheduling and the critical path, checked by hand."""

import pytest

from snapens.cluster import Task, critical_path, parse_dry_run, schedule, tasks

DRY_RUN = """
Building DAG of jobs...
localrule make_dataset:
    output: results/data/blobs.npz
    jobid: 1
    benchmark: results/benchmarks/make_dataset/blobs.tsv
    wildcards: dataset=blobs

rule train:
    input: results/data/blobs.npz
    output: m/a/train.json
    jobid: 2
    benchmark: b/train/a.tsv
    wildcards: dataset=blobs, method=snapshot, chunk=seeds-1-2

rule evaluate:
    input: results/data/blobs.npz, m/a/train.json
    output: m/a/evaluate.json
    jobid: 3
    wildcards: dataset=blobs, method=snapshot, chunk=seeds-1-2

rule train:
    input: results/data/blobs.npz
    output: m/b/train.json
    jobid: 4
    wildcards: dataset=blobs, method=snapshot, chunk=seeds-3-3

localrule summarise:
    input: m/a/evaluate.json, m/b/train.json
    output: results/tables/summary.csv, results/tables/runs.csv
    jobid: 5

Job stats:
"""


def test_dry_run_jobs_and_their_files():
    jobs = parse_dry_run(DRY_RUN)
    assert [(j.jobid, j.rule) for j in jobs] == [("1", "make_dataset"), ("2", "train"), ("3", "evaluate"),
                                                 ("4", "train"), ("5", "summarise")]
    assert jobs[2].inputs == ["results/data/blobs.npz", "m/a/train.json"]
    assert jobs[4].outputs == ["results/tables/summary.csv", "results/tables/runs.csv"]
    assert jobs[1].benchmark == "b/train/a.tsv"


def test_a_chunk_is_one_cluster_task_summing_its_jobs():
    jobs = parse_dry_run(DRY_RUN)
    dag = tasks(jobs, {"1": 1.0, "2": 10.0, "3": 2.0, "4": 5.0, "5": 3.0}, remote_rules=["decision_grid"])
    chunk_a = "chunk dataset=blobs, method=snapshot, chunk=seeds-1-2"
    chunk_b = "chunk dataset=blobs, method=snapshot, chunk=seeds-3-3"
    assert set(dag) == {"make_dataset dataset=blobs", chunk_a, chunk_b, "summarise"}
    assert dag[chunk_a].seconds == 12.0 and dag[chunk_a].remote and not dag["summarise"].remote
    assert dag[chunk_a].after == {"make_dataset dataset=blobs"}
    assert dag["summarise"].after == {chunk_a, chunk_b}


def diamond():
    # d (local, 1 s) -> a (8 s), b (4 s), c (3 s) on the cluster -> s (local, 2 s)
    return {"d": Task("d", 1.0, False), "a": Task("a", 8.0, True, {"d"}), "b": Task("b", 4.0, True, {"d"}),
            "c": Task("c", 3.0, True, {"d"}), "s": Task("s", 2.0, False, {"a", "b", "c"})}


@pytest.mark.parametrize("cores,latency,wall", [
    (3, 0.0, 1 + 8 + 2),       # everything at once: the longest chain
    (1, 0.0, 1 + 15 + 2),      # one core: all cluster work in a row
    (2, 0.0, 1 + 8 + 2),       # a on one core, b then c (4 + 3 = 7 <= 8) on the other
    (2, 5.0, 1 + 5 + 8 + 2),   # every cluster task waits 5 s after its inputs; the cores overlap them
])
def test_list_schedule_by_hand(cores, latency, wall):
    total, times = schedule(diamond(), cores, latency)
    assert total == pytest.approx(wall)
    assert times["d"] == (0.0, 1.0)
    if cores == 2 and latency == 0:  # longest first: a and b start at once, c after b
        assert times["a"][0] == times["b"][0] == 1.0 and times["c"][0] == 5.0


def test_critical_path_names_the_chain():
    seconds, path = critical_path(diamond(), latency=5.0)
    assert path == ["d", "a", "s"] and seconds == pytest.approx(1 + 5 + 8 + 2)
