"""Rule train checks its arguments before it deletes anything."""

from pathlib import Path

import numpy as np
import pytest

from snapens.train.rule_train import train


def test_seeds_and_run_directories_that_disagree_delete_no_snapshot(tmp_path):
    run = tmp_path / "seed-1"
    (run / "snapshots").mkdir(parents=True)
    kept = run / "snapshots" / "snapshot-01.keras"
    kept.write_bytes(b"an earlier run's snapshot")
    with pytest.raises(ValueError, match="2 seeds for 1 run directories"):
        train(tmp_path / "missing.npz", [run], [1, 2], {"method_config": {}, "training": {}})
    assert kept.read_bytes() == b"an earlier run's snapshot"


def unit(tmp_path, name, method_config, seeds, epochs=8):
    """One method's part of a training job: its run config and run directories."""
    return {
        "run_config": {
            "dataset": "blobs",
            "method": name,
            "dataset_config": {},
            "method_config": method_config,
            "training": {"epochs": epochs, "batch_size": 32, "momentum": 0.9, "jit_compile": False},
            "model": {"hidden_units": 8},
        },
        "run_dirs": [str(tmp_path / name / f"seed-{s}") for s in seeds],
    }


def snapshot_weights(run_dir):
    """Every weight of a run's snapshots, read from the archives; and the
    archives' model configs."""
    from snapens.evaluate.loading import ArchiveReader

    read = ArchiveReader().read
    return [read(p) for p in sorted((run_dir / "snapshots").glob("*.keras"))]


def test_methods_trained_in_one_job_train_as_each_would_alone(tf_runtime, blobs, tmp_path):
    """A job of two methods (a snapshot run and an independent ensemble, the
    snapshot method first) writes, for each, the bits of a job of that method
    alone, and one manifest listing the runs of both."""
    from snapens.core.manifests import read_manifest
    from snapens.data.dataset import save_dataset
    from snapens.train.rule_train import train_job

    data = tmp_path / "blobs.npz"
    save_dataset(blobs, data)
    snapshot = {"members": 2, "schedule": {"name": "cosine_epoch", "lr_max": 0.01}}
    independent = {"members": 2, "ensemble": "independent", "schedule": {"name": "constant", "lr": 0.01}}
    seeds = [3, 4]
    together = [
        unit(tmp_path / "job", "snapshot", snapshot, seeds),
        unit(tmp_path / "job", "independent", independent, seeds),
    ]
    train_job([str(data)], together, seeds, manifest=tmp_path / "job" / "train.json")
    for u in together:
        alone = unit(tmp_path / "alone", u["run_config"]["method"], u["run_config"]["method_config"], seeds)
        train_job([str(data)], [alone], seeds)
        for a, b in zip(u["run_dirs"], alone["run_dirs"], strict=True):
            got, want = snapshot_weights(Path(a)), snapshot_weights(Path(b))
            assert len(got) == 2 and len(want) == 2
            for (config_a, x), (config_b, y) in zip(got, want, strict=True):
                assert config_a == config_b
                assert all(np.array_equal(p, q) for p, q in zip(x, y, strict=True))
    listed = read_manifest(tmp_path / "job" / "train.json")["runs"]
    assert sorted(listed) == sorted(d for u in together for d in u["run_dirs"])
    assert all("run.json" in files and "snapshots/snapshot-01.keras" in files for files in listed.values())


def test_a_method_whose_directories_disagree_stops_the_job_before_any_deletion(tmp_path):
    run = tmp_path / "seed-1"
    (run / "snapshots").mkdir(parents=True)
    kept = run / "snapshots" / "snapshot-01.keras"
    kept.write_bytes(b"an earlier run's snapshot")
    from snapens.train.rule_train import train_job

    good = {"run_config": {"method": "a"}, "run_dirs": [run]}
    bad = {"run_config": {"method": "b"}, "run_dirs": [run, run]}
    with pytest.raises(ValueError, match="b: 1 seeds for 2 run directories"):
        train_job(tmp_path / "missing.npz", [good, bad], [1])
    assert kept.read_bytes() == b"an earlier run's snapshot"
