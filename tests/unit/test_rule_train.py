"""Rule train checks its arguments before it deletes anything."""

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
