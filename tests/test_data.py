import numpy as np
import pytest
from sklearn.datasets import make_blobs

from snapens.data import Dataset, load_dataset, make_dataset, save_dataset

SEED_SPEC = dict(kind="blobs", n_samples=1100, centers=3, n_features=2, cluster_std=2.0,
                 random_state=2, n_train=100)


def test_blobs_is_the_seed_problem(blobs):
    X, y = make_blobs(n_samples=1100, centers=3, n_features=2, cluster_std=2, random_state=2)
    np.testing.assert_array_equal(blobs.X_train, X[:100].astype(np.float32))
    np.testing.assert_array_equal(blobs.y_test, y[100:])
    assert (len(blobs.y_train), len(blobs.y_test)) == (100, 1000)
    assert blobs.n_classes == 3 and blobs.n_features == 2


@pytest.mark.parametrize("kind,extra", [("moons", {"noise": 0.2}), ("circles", {"noise": 0.1, "factor": 0.5})])
def test_other_generators(kind, extra):
    d = make_dataset(dict(kind=kind, n_samples=200, random_state=0, n_train=50, **extra))
    assert d.n_classes == 2 and d.X_train.shape == (50, 2) and len(d.y_test) == 150


def test_roundtrip(tmp_path, blobs):
    save_dataset(blobs, tmp_path / "d.npz")
    back = load_dataset(tmp_path / "d.npz")
    for k, v in blobs.arrays().items():
        np.testing.assert_array_equal(getattr(back, k), v)
    assert [p.name for p in tmp_path.iterdir()] == ["d.npz"]


def test_bad_files_name_the_file(tmp_path, blobs):
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="empty.npz"):
        load_dataset(empty)
    partial = tmp_path / "partial.npz"
    np.savez(partial, X_train=blobs.X_train)
    with pytest.raises(ValueError, match=r"partial.npz: missing arrays"):
        load_dataset(partial)
    shapes = tmp_path / "shapes.npz"
    np.savez(shapes, X_train=blobs.X_train, y_train=blobs.y_train[:5], X_test=blobs.X_test, y_test=blobs.y_test)
    with pytest.raises(ValueError, match=r"shapes.npz: X_train must be 2-D"):
        load_dataset(shapes)


def test_nan_features_rejected():
    bad = Dataset(np.array([[np.nan, 1.0]], np.float32), np.array([0]), np.ones((1, 2), np.float32), np.array([0]))
    from snapens.data import check_dataset

    with pytest.raises(ValueError, match="NaN"):
        check_dataset(bad, "x")
