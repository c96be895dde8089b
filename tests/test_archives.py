"""Snapshot archives written from a template and read without Keras: each
loads alone with ``keras.saving.load_model`` and holds exactly its weights."""

import zipfile

import numpy as np
import pytest

from snapens.archives import WEIGHTS, ArchiveReader, ArchiveWriter, Layout, read_h5, weight_paths
from snapens.inference import archive_weight_paths, dense_stack


@pytest.fixture(scope="module")
def keras(tf_runtime):
    import keras

    return keras


def seeded_weights(model, seed):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=w.shape).astype(np.float32) for w in model.get_weights()]


def test_archives_written_from_the_template_load_alone_with_their_weights(keras, tmp_path):
    from snapens.model import build_mlp

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
    from snapens.model import build_mlp

    model = build_mlp(3, 4, 5, 1)
    writer = ArchiveWriter(model)
    writer.save(tmp_path / "first.keras")
    weights = seeded_weights(model, 9)
    writer.save(tmp_path / "ours.keras", weights)
    model.set_weights(weights)
    model.save(tmp_path / "keras.keras")
    with zipfile.ZipFile(tmp_path / "ours.keras") as ours, zipfile.ZipFile(tmp_path / "keras.keras") as theirs:
        assert ours.read(WEIGHTS) == theirs.read(WEIGHTS)
        assert ours.read("config.json") == theirs.read("config.json")


def test_the_reader_gives_the_weights_keras_loads_by_either_path(keras, tmp_path):
    from snapens.model import build_mlp

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
    from snapens.model import build_mlp

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
        keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="tanh", use_bias=False),
                          keras.layers.Dense(5, activation="relu"), keras.layers.Dense(2, activation="softmax")]),
    ]
    from snapens.model import build_mlp

    models.append(build_mlp(2, 3, 4, 0))
    for i, model in enumerate(models):
        model.save(tmp_path / f"m{i}.keras")
        with zipfile.ZipFile(tmp_path / f"m{i}.keras") as archive:
            config = json.loads(archive.read("config.json"))
        assert archive_weight_paths(config) == weight_paths(model)
    assert dense_stack(json.loads(zipfile.ZipFile(tmp_path / "m0.keras").read("config.json"))) == [
        ("tanh", False), ("relu", True), ("softmax", True)]


def test_models_other_than_dense_stacks_are_left_to_keras(keras, tmp_path):
    import json

    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(4), keras.layers.BatchNormalization(),
                              keras.layers.Dense(3, activation="softmax")])
    model.save(tmp_path / "bn.keras")
    config = json.loads(zipfile.ZipFile(tmp_path / "bn.keras").read("config.json"))
    assert dense_stack(config) is None
    swish = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(3, activation="swish")])
    swish.save(tmp_path / "swish.keras")
    assert dense_stack(json.loads(zipfile.ZipFile(tmp_path / "swish.keras").read("config.json"))) is None
