"""Snapshot archives written from a template and read without Keras: each
loads alone with ``keras.saving.load_model`` and holds exactly its weights."""

import json
import zipfile

import numpy as np
import pytest

from snapens.evaluate.inference import archive_weight_paths, dense_stack
from snapens.evaluate.loading import ArchiveReader
from snapens.train.archives import WEIGHTS, ArchiveWriter, Layout, read_h5, stable_config, weight_paths


@pytest.fixture(scope="module")
def keras(tf_runtime):
    import keras

    return keras


def seeded_weights(model, seed):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=w.shape).astype(np.float32) for w in model.get_weights()]


def test_archives_written_from_the_template_load_alone_with_their_weights(keras, tmp_path):
    from snapens.train.model import build_mlp

    model = build_mlp(2, 3, 6, 0)
    writer = ArchiveWriter(model)
    sets = [seeded_weights(model, s) for s in range(4)]
    files = [writer.save(tmp_path / f"snapshot-{i:02d}.keras", w) for i, w in enumerate(sets, 1)]
    assert writer.layout is not None  # the later archives were written from the first
    for file, weights in zip(files, sets, strict=True):
        loaded = keras.saving.load_model(file, compile=False)
        assert all(np.array_equal(a, b) for a, b in zip(loaded.get_weights(), weights, strict=True)), file
        with zipfile.ZipFile(file) as archive:
            assert archive.testzip() is None
            assert archive.namelist() == ["metadata.json", "config.json", WEIGHTS]


def test_a_template_archive_holds_the_bytes_keras_writes(keras, tmp_path):
    """The weights file of an archive written from the template is byte for
    byte the one ``model.save`` writes for the same weights."""
    from snapens.train.model import build_mlp

    model = build_mlp(3, 4, 5, 1)
    writer = ArchiveWriter(model)
    writer.save(tmp_path / "first.keras")
    weights = seeded_weights(model, 9)
    writer.save(tmp_path / "ours.keras", weights)
    model.set_weights(weights)
    model.save(tmp_path / "keras.keras")
    with (
        zipfile.ZipFile(tmp_path / "ours.keras") as ours,
        zipfile.ZipFile(tmp_path / "keras.keras") as theirs,
    ):
        assert ours.read(WEIGHTS) == theirs.read(WEIGHTS)
        # the config is Keras's, but for the shared objects' ids (numbered, not addresses)
        mine, keras_own = json.loads(ours.read("config.json")), json.loads(theirs.read("config.json"))
        assert without_ids(mine) == without_ids(keras_own)
        assert same_sharing(ids_of(mine), ids_of(keras_own)) and set(ids_of(mine)) == {1}


def test_the_reader_gives_the_weights_keras_loads_by_either_path(keras, tmp_path):
    from snapens.train.model import build_mlp

    model = build_mlp(2, 3, 6, 0)
    writer = ArchiveWriter(model)
    files = [writer.save(tmp_path / f"s{i}.keras", seeded_weights(model, i)) for i in range(3)]
    other = build_mlp(2, 3, 9, 0)  # another architecture, saved by Keras itself
    other.save(tmp_path / "other.keras")
    files.append(tmp_path / "other.keras")
    reader = ArchiveReader()
    for file in files:
        config, weights = reader.read(file)
        expected = keras.saving.load_model(file, compile=False).get_weights()
        assert all(np.array_equal(a, b) for a, b in zip(weights, expected, strict=True)), file
        assert dense_stack(config) == [("relu", True), ("softmax", True)]
    assert len(reader.layouts) == 2  # one layout per architecture, learned once


def test_a_layout_refuses_a_weights_file_of_another_shape(keras, tmp_path):
    from snapens.train.model import build_mlp

    blobs = []
    for hidden in (5, 6):
        build_mlp(2, 3, hidden, 0).save(tmp_path / f"h{hidden}.keras")
        with zipfile.ZipFile(tmp_path / f"h{hidden}.keras") as archive:
            blobs.append(archive.read(WEIGHTS))
    paths = weight_paths(build_mlp(2, 3, 5, 0))
    layout = Layout.of(blobs[0], paths)
    assert layout is not None and layout.fits(blobs[0]) and not layout.fits(blobs[1])
    assert all(np.array_equal(a, b) for a, b in zip(layout.read(blobs[0]), read_h5(blobs[0], paths)))
    with pytest.raises(ValueError, match="weights of shape"):
        layout.write([np.zeros((3, 3), np.float32)] * 4)


def test_weight_paths_from_the_config_are_those_of_the_model(keras, tmp_path):
    import json

    models = [
        keras.Sequential(
            [
                keras.Input(shape=(4,)),
                keras.layers.Dense(3, activation="tanh", use_bias=False),
                keras.layers.Dense(5, activation="relu"),
                keras.layers.Dense(2, activation="softmax"),
            ]
        ),
    ]
    from snapens.train.model import build_mlp

    models.append(build_mlp(2, 3, 4, 0))
    for i, model in enumerate(models):
        model.save(tmp_path / f"m{i}.keras")
        with zipfile.ZipFile(tmp_path / f"m{i}.keras") as archive:
            config = json.loads(archive.read("config.json"))
        assert archive_weight_paths(config) == weight_paths(model)
    assert dense_stack(json.loads(zipfile.ZipFile(tmp_path / "m0.keras").read("config.json"))) == [
        ("tanh", False),
        ("relu", True),
        ("softmax", True),
    ]


def test_models_other_than_dense_stacks_are_left_to_keras(keras, tmp_path):
    import json

    model = keras.Sequential(
        [
            keras.Input(shape=(2,)),
            keras.layers.Dense(4),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    model.save(tmp_path / "bn.keras")
    config = json.loads(zipfile.ZipFile(tmp_path / "bn.keras").read("config.json"))
    assert dense_stack(config) is None
    swish = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(3, activation="swish")])
    swish.save(tmp_path / "swish.keras")
    assert dense_stack(json.loads(zipfile.ZipFile(tmp_path / "swish.keras").read("config.json"))) is None


def test_with_source_date_epoch_a_job_done_again_writes_the_same_bytes(keras, tmp_path, monkeypatch):
    """Two writers (two runs of a job) save the same weights: with
    SOURCE_DATE_EPOCH the archives are the same bytes, first and later ones,
    and record that date; without it they record the time of saving."""
    import json

    from snapens.train.model import build_mlp

    model = build_mlp(2, 3, 6, 0)
    sets = [seeded_weights(model, s) for s in range(3)]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764547200")  # 2025-12-01 00:00:00 UTC
    runs = []
    for run in ("a", "b"):
        writer = ArchiveWriter(model)
        runs.append([writer.save(tmp_path / run / f"s{i}.keras", w).read_bytes() for i, w in enumerate(sets)])
    assert runs[0] == runs[1]
    with zipfile.ZipFile(tmp_path / "a" / "s0.keras") as archive:
        assert json.loads(archive.read("metadata.json"))["date_saved"] == "2025-12-01@00:00:00"
        assert {info.date_time for info in archive.infolist()} == {(2025, 12, 1, 0, 0, 0)}
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    ArchiveWriter(model).save(tmp_path / "now.keras", sets[0])
    with zipfile.ZipFile(tmp_path / "now.keras") as archive:
        assert not json.loads(archive.read("metadata.json"))["date_saved"].startswith("2025-12-01")


def ids_of(node) -> list:
    """Every shared_object_id of a config, in order."""
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "shared_object_id"] + [
            i for k, v in node.items() if k != "shared_object_id" for i in ids_of(v)
        ]
    return [i for v in node for i in ids_of(v)] if isinstance(node, list) else []


def without_ids(node):
    if isinstance(node, dict):
        return {k: without_ids(v) for k, v in node.items() if k != "shared_object_id"}
    return [without_ids(v) for v in node] if isinstance(node, list) else node


def same_sharing(a: list, b: list) -> bool:
    """The two lists are equal up to renaming: positions equal in one are equal in the other."""
    return len(a) == len(b) and all(
        (a[i] == a[j]) == (b[i] == b[j]) for i in range(len(a)) for j in range(len(a))
    )


def test_shared_object_ids_are_numbered_by_first_appearance():
    """Two processes' addresses for the same sharing give the same text;
    another sharing gives another."""

    def config(x, y, z):
        return json.dumps(
            {
                "a": {"shared_object_id": x},
                "layers": [{"b": {"shared_object_id": y}}, {"c": {"shared_object_id": z}, "d": 1}],
            }
        ).encode()

    one, two = stable_config(config(140001, 140002, 140001)), stable_config(config(970, 12, 970))
    assert one == two
    assert json.loads(one) == {
        "a": {"shared_object_id": 1},
        "layers": [{"b": {"shared_object_id": 2}}, {"c": {"shared_object_id": 1}, "d": 1}],
    }
    assert stable_config(config(5, 5, 6)) != one
