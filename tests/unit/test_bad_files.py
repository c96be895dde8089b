"""Stages meeting bad files: a clear error naming the file."""

import numpy as np
import pytest

from snapens.evaluate import loading, runfiles
from snapens.train import snapshots


def test_truncated_snapshot_names_the_file(tf_runtime, tmp_path, blobs):
    from snapens.train.loop import save_model
    from snapens.train.model import build_mlp

    good = save_model(build_mlp(2, 3, 4, 0), tmp_path / "snapshot-01.keras")
    bad = tmp_path / "snapshot-02.keras"
    bad.write_bytes(good.read_bytes()[:200])
    probs = loading.predict_snapshots([good], blobs.X_test)
    assert probs.shape == (1, 1000, 3)
    with pytest.raises(ValueError, match="snapshot-02.keras: cannot load snapshot"):
        loading.predict_snapshots([good, bad], blobs.X_test)
    with pytest.raises(ValueError, match="snapshot-02.keras: cannot load snapshot"):
        loading.predict_snapshots([bad], blobs.X_test)


def test_probabilities_of_wrong_shape_name_the_file(tmp_path):
    y = np.array([0, 1, 2, 1])
    path = tmp_path / "probabilities.npz"
    np.savez(path, probs=np.full((2, 3, 3), 1 / 3))
    with pytest.raises(ValueError, match=r"probabilities.npz: probabilities have shape \(2, 3, 3\)"):
        runfiles.load_probabilities(path, y)
    path.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="probabilities.npz: not a readable probabilities file"):
        runfiles.load_probabilities(path, y)
    np.savez(path, probs=np.full((2, 4, 3), np.nan))
    with pytest.raises(ValueError, match="NaN"):
        runfiles.load_probabilities(path, y)


def test_missing_snapshot_is_reported(tmp_path):
    (tmp_path / "snapshots").mkdir()
    with pytest.raises(ValueError, match="expected 3 snapshots"):
        snapshots.snapshot_files(tmp_path, 3)


def test_probabilities_inconsistent_with_their_snapshots_or_not_summing_to_one(tmp_path):
    y = np.array([0, 1, 2, 1])
    path = tmp_path / "probabilities.npz"
    np.savez(path, probs=np.full((2, 4, 3), 1 / 3), epochs=np.array([5, 10, 15]))
    with pytest.raises(ValueError, match="probabilities.npz: 2 members' probabilities for 3 snapshot epochs"):
        runfiles.load_probabilities(path, y)
    np.savez(path, probs=np.full((3, 4, 3), 0.2), epochs=np.array([5, 10, 15]))
    with pytest.raises(ValueError, match="probabilities.npz: probabilities of a sample do not sum to 1"):
        runfiles.load_probabilities(path, y)
    np.savez(path, probs=np.full((3, 4, 3), 1 / 3), epochs=np.array([5, 10, 15]))
    assert runfiles.load_probabilities(path, y).shape == (3, 4, 3)
