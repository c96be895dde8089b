"""What a run records about the settings that change its numbers, and
``summarise``'s refusal to combine the runs of a dataset x method made under
different ones."""

import json
import sys

import pytest

from snapens.core import provenance
from snapens.evaluate.runfiles import check_numerics, mixed_numerics

SETTINGS = {
    "onednn": "on",
    "jit_compile": False,
    "intra_op_threads": 1,
    "inter_op_threads": 1,
    "op_determinism": True,
    "blas_threads": 1,
}


@pytest.mark.parametrize(
    ("value", "expected"), [("0", "off"), ("false", "off"), ("FALSE", "off"), ("1", "on"), ("True", "on")]
)
def test_onednn_is_read_as_tensorflow_reads_its_variable(monkeypatch, value, expected):
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", value)
    assert provenance.onednn() == expected
    assert provenance.numerics(jit_compile=False)["onednn"] == expected


def test_onednn_unset_or_not_understood_is_tensorflows_default_said_as_such(monkeypatch):
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    unset = provenance.onednn()
    assert unset.endswith("TensorFlow's default)") or unset == "TensorFlow's default"
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "yes")
    assert "TensorFlow's default, TF_ENABLE_ONEDNN_OPTS='yes' not understood" in provenance.onednn()
    monkeypatch.setitem(sys.modules, "tensorflow", None)  # not loaded: TensorFlow is not asked
    assert provenance.onednn({}) == "TensorFlow's default"


def test_numerics_records_every_setting_and_asks_tensorflow_only_if_loaded(monkeypatch):
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")
    monkeypatch.setitem(sys.modules, "tensorflow", None)
    recorded = provenance.numerics(jit_compile=True)
    assert set(recorded) == set(SETTINGS)
    assert recorded["onednn"] == "off" and recorded["jit_compile"] is True
    assert recorded["intra_op_threads"] is recorded["inter_op_threads"] is recorded["op_determinism"] is None
    assert recorded["blas_threads"] is None or recorded["blas_threads"] >= 1  # NumPy's BLAS, if loaded
    json.dumps(recorded)  # fit for run.json


def test_numerics_reads_tensorflow_as_the_job_configured_it(tf_runtime, monkeypatch):
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "1")
    recorded = provenance.numerics(jit_compile=False)
    assert recorded["intra_op_threads"] == recorded["inter_op_threads"] == 1
    assert recorded["op_determinism"] is True and recorded["jit_compile"] is False


def runs(dataset, method, seeds, **changed):
    return [(dataset, method, s, f"runs/{dataset}/{method}/seed-{s}", {**SETTINGS, **changed}) for s in seeds]


def test_runs_made_under_the_same_settings_pass():
    assert mixed_numerics(runs("blobs", "snapshot", range(1, 31))) == []


def test_different_onednn_across_the_seeds_of_one_method_is_refused_naming_both():
    found = mixed_numerics(
        runs("blobs", "snapshot", range(1, 16)) + runs("blobs", "snapshot", range(16, 31), onednn="off")
    )
    assert found == [
        "runs of blobs/snapshot were made under different numeric settings: "
        "onednn=on (seeds 1-15, e.g. runs/blobs/snapshot/seed-1) vs "
        "onednn=off (seeds 16-30, e.g. runs/blobs/snapshot/seed-16): rerun them in one environment"
    ]


def test_every_setting_that_differs_is_named_and_seeds_are_given_as_ranges():
    mixed = runs("d", "m", [1, 2, 3, 7], intra_op_threads=2) + runs("d", "m", [4, 5, 6, 9])
    (message,) = mixed_numerics(mixed)
    assert "intra_op_threads=2 (seeds 1-3, 7, e.g. runs/d/m/seed-1)" in message
    assert "intra_op_threads=1 (seeds 4-6, 9, e.g. runs/d/m/seed-4)" in message
    assert "onednn" not in message  # the same on both sides


def test_settings_may_differ_between_methods_and_datasets():
    # e.g. jit_compile, which the config may set per dataset
    mixed = (
        runs("blobs", "snapshot", range(1, 4))
        + runs("blobs", "snapshot/members-5_lr_max-0.1", range(1, 4), onednn="off")  # a grid point
        + runs("mnist1d", "snapshot", range(1, 4), jit_compile=True)
    )
    assert mixed_numerics(mixed) == []


def test_unknown_runs_pass_together_and_are_refused_beside_known_ones():
    unknown = [("blobs", "snapshot", s, f"runs/seed-{s}", None) for s in range(1, 4)]
    assert mixed_numerics(unknown) == []
    (message,) = mixed_numerics(unknown + runs("blobs", "snapshot", range(4, 6)))
    assert "settings unknown (seeds 1-3, e.g. runs/seed-1: made before they were recorded)" in message
    assert "onednn=on, op_determinism=true" in message and "(seeds 4-5, e.g." in message
    # a setting one record lacks is unknown too
    older = {k: v for k, v in SETTINGS.items() if k != "blas_threads"}
    (message,) = mixed_numerics([("d", "m", 1, "runs/seed-1", older), ("d", "m", 2, "runs/seed-2", SETTINGS)])
    assert "blas_threads=unknown (seeds 1" in message and "blas_threads=1 (seeds 2" in message


def test_messages_are_capped():
    mixed = [r for i in range(12) for r in runs("d", f"m{i}", [1]) + runs("d", f"m{i}", [2], onednn="off")]
    found = mixed_numerics(mixed, most=10)
    assert len(found) == 11 and found[-1] == "... and 2 more dataset x method pairs"


def test_check_numerics_reads_run_json_and_raises_before_anything_is_combined(tmp_path):
    listed = []
    for seed, onednn in [(1, "on"), (2, "on"), (3, "off")]:
        run = tmp_path / f"seed-{seed}"
        run.mkdir()
        (run / "run.json").write_text(json.dumps({"seed": seed, "numerics": {**SETTINGS, "onednn": onednn}}))
        listed.append(("blobs", "snapshot", seed, run))
    check_numerics(listed[:2])
    with pytest.raises(
        ValueError, match=r"onednn=on \(seeds 1-2, e\.g\. .*seed-1\) vs onednn=off \(seeds 3,"
    ):
        check_numerics(listed)
