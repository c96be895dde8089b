"""The cluster prediction: the DAG read from Snakemake's detailed summary,
chunks merged into one cluster job, list scheduling and the critical path,
checked by hand."""

import pytest

from tools.cluster import Task, critical_path, parse_summary, schedule, tasks

HEADER = "output_file\tdate\trule\tlog-file(s)\tinput-file(s)\tshellcmd\tstatus\tplan"
ROWS = [  # output, rule, log, inputs
    ("r/data/blobs.npz", "make_dataset", "r/logs/make_dataset/blobs.log", "-"),
    (
        "r/runs/blobs/snapshot/chunks/seeds-1-2/train.json",
        "train",
        "r/logs/train/blobs/snapshot/seeds-1-2.log",
        "r/data/blobs.npz",
    ),
    (
        "r/runs/blobs/snapshot/chunks/seeds-1-2/evaluate.json",
        "evaluate",
        "r/logs/evaluate/blobs/snapshot/seeds-1-2.log",
        "r/data/blobs.npz,r/runs/blobs/snapshot/chunks/seeds-1-2/train.json",
    ),
    (
        "r/runs/blobs/snapshot/chunks/seeds-3-3/train.json",
        "train",
        "r/logs/train/blobs/snapshot/seeds-3-3.log",
        "r/data/blobs.npz",
    ),
    (
        "r/tables/summary.csv",
        "summarise",
        "r/logs/summarise.log",
        "r/runs/blobs/snapshot/chunks/seeds-1-2/evaluate.json,r/runs/blobs/snapshot/chunks/seeds-3-3/train.json",
    ),
    (
        "r/tables/runs.csv",
        "summarise",
        "r/logs/summarise.log",
        "r/runs/blobs/snapshot/chunks/seeds-1-2/evaluate.json,r/runs/blobs/snapshot/chunks/seeds-3-3/train.json",
    ),
]
SUMMARY = (
    "\n".join(
        [
            HEADER,
            *(f"{o}\tThu Dec  3 09:00:00 2026\t{r}\t{log}\t{i}\t-\tok\tno update" for o, r, log, i in ROWS),
        ]
    )
    + "\n"
)


def test_jobs_and_their_files_from_the_detailed_summary():
    jobs = parse_summary("Building DAG of jobs...\n" + SUMMARY)
    assert [j.name for j in jobs] == [
        "make_dataset blobs",
        "train blobs/snapshot/seeds-1-2",
        "evaluate blobs/snapshot/seeds-1-2",
        "train blobs/snapshot/seeds-3-3",
        "summarise",
    ]
    assert jobs[2].inputs == ["r/data/blobs.npz", "r/runs/blobs/snapshot/chunks/seeds-1-2/train.json"]
    assert jobs[4].outputs == ["r/tables/summary.csv", "r/tables/runs.csv"]
    assert jobs[1].benchmark == "r/benchmarks/train/blobs/snapshot/seeds-1-2.tsv"
    assert jobs[4].benchmark == "r/benchmarks/summarise.tsv"
    with pytest.raises(ValueError, match="no log recorded"):
        parse_summary(HEADER + "\nr/x\t-\ttrain\t-\t-\t-\tmissing\tupdate pending\n")


def test_a_chunk_is_one_cluster_task_summing_its_jobs():
    jobs = parse_summary(SUMMARY)
    seconds = {
        "make_dataset blobs": 1.0,
        "train blobs/snapshot/seeds-1-2": 10.0,
        "evaluate blobs/snapshot/seeds-1-2": 2.0,
        "train blobs/snapshot/seeds-3-3": 5.0,
        "summarise": 3.0,
    }
    dag = tasks(jobs, seconds, remote_rules=["decision_grid"], grouped=("train", "evaluate", "aggregate"))
    chunk_a, chunk_b = "chunk blobs/snapshot/seeds-1-2", "chunk blobs/snapshot/seeds-3-3"
    assert set(dag) == {"make_dataset blobs", chunk_a, chunk_b, "summarise"}
    assert dag[chunk_a].seconds == 12.0 and dag[chunk_a].remote and not dag["summarise"].remote
    assert dag[chunk_a].after == {"make_dataset blobs"}
    assert dag["summarise"].after == {chunk_a, chunk_b}
    # the SLURM profile's groups: a training job (of one or more methods) is a cluster job of its own
    dag = tasks(jobs, seconds, remote_rules=["train", "decision_grid"])
    assert dag["chunk blobs/snapshot/seeds-1-2"].seconds == 2.0
    assert (
        dag["train blobs/snapshot/seeds-1-2"].remote and dag["train blobs/snapshot/seeds-1-2"].seconds == 10.0
    )
    assert dag["chunk blobs/snapshot/seeds-1-2"].after == {
        "make_dataset blobs",
        "train blobs/snapshot/seeds-1-2",
    }


def diamond():
    # d (local, 1 s) -> a (8 s), b (4 s), c (3 s) on the cluster -> s (local, 2 s)
    return {
        "d": Task("d", 1.0, False),
        "a": Task("a", 8.0, True, {"d"}),
        "b": Task("b", 4.0, True, {"d"}),
        "c": Task("c", 3.0, True, {"d"}),
        "s": Task("s", 2.0, False, {"a", "b", "c"}),
    }


@pytest.mark.parametrize(
    "cores,latency,wall",
    [
        (3, 0.0, 1 + 8 + 2),  # everything at once: the longest chain
        (1, 0.0, 1 + 15 + 2),  # one core: all cluster work in a row
        (2, 0.0, 1 + 8 + 2),  # a on one core, b then c (4 + 3 = 7 <= 8) on the other
        (2, 5.0, 1 + 5 + 8 + 2),  # every cluster task waits 5 s after its inputs; the cores overlap them
    ],
)
def test_list_schedule_by_hand(cores, latency, wall):
    total, times = schedule(diamond(), cores, latency)
    assert total == pytest.approx(wall)
    assert times["d"] == (0.0, 1.0)
    if cores == 2 and latency == 0:  # longest first: a and b start at once, c after b
        assert times["a"][0] == times["b"][0] == 1.0 and times["c"][0] == 5.0


def test_critical_path_names_the_chain():
    seconds, path = critical_path(diamond(), latency=5.0)
    assert path == ["d", "a", "s"] and seconds == pytest.approx(1 + 5 + 8 + 2)
