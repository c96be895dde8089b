import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def tf_runtime():
    """TensorFlow configured as the workflow's jobs configure it (1 thread, deterministic)."""
    from snapens.core import runtime

    runtime.configure(1)


@pytest.fixture(scope="session")
def blobs():
    from snapens.data.kinds import make_dataset

    return make_dataset(
        dict(
            kind="blobs",
            n_samples=1100,
            centers=3,
            n_features=2,
            cluster_std=2.0,
            random_state=2,
            n_train=100,
        )
    )


@pytest.fixture(scope="session")
def small_study(tmp_path_factory):
    """``results/`` of the small study (workflow_utils.small_config) run
    uninterrupted on one core, up to its tables (no figures): the reference
    that runs on two cores, in chunks, as a module and interrupted runs must
    match byte for byte."""
    from workflow_utils import small_config, snakemake

    work = tmp_path_factory.mktemp("small-study")
    res = snakemake(work, small_config(), "--cores", "1", "results/tables/summary.csv")
    assert res.returncode == 0, res.stdout + res.stderr
    return work / "results"
