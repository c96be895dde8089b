"""Chunks of seeds per job and the manifests that stand for their files."""

import hashlib
import json

import pytest

from snapens.core import manifests
from snapens.plan import chunks


def test_split_into_chunks_of_the_given_size_the_last_one_shorter():
    seeds = list(range(1, 31))
    parts = chunks.split(seeds, 7)
    assert list(parts) == ["seeds-1-7", "seeds-8-14", "seeds-15-21", "seeds-22-28", "seeds-29-30"]
    assert parts["seeds-29-30"] == [29, 30]
    assert [s for part in parts.values() for s in part] == seeds
    assert list(chunks.split(seeds, 30)) == ["seeds-1-30"] == list(chunks.split(seeds, 100))
    assert list(chunks.split([7, 8, 9], 1)) == ["seeds-7-7", "seeds-8-8", "seeds-9-9"]
    assert chunks.chunk_of(15, parts) == "seeds-15-21"
    with pytest.raises(KeyError, match="seed 31"):
        chunks.chunk_of(31, parts)
    with pytest.raises(ValueError, match="at least 1"):
        chunks.split(seeds, 0)


def test_chunk_names_match_the_wildcard_constraint():
    import re

    for name in chunks.split(range(5, 50), 4):
        assert re.fullmatch(chunks.WILDCARD, name)


def make_run(tmp_path, name):
    run = tmp_path / name
    (run / "snapshots").mkdir(parents=True)
    (run / "snapshots" / "snapshot-01.keras").write_bytes(b"weights")
    (run / "training.csv").write_text("epoch\n0\n")
    return run


def test_manifest_records_size_and_hash_of_every_file(tmp_path):
    run = make_run(tmp_path, "seed-1")
    path = tmp_path / "train.json"
    manifests.write_manifest(path, "train", {run: ["training.csv", "snapshots/snapshot-01.keras"]})
    manifest = json.loads(path.read_text())
    assert manifest["stage"] == "train"
    files = manifest["runs"][str(run)]
    assert list(files) == ["snapshots/snapshot-01.keras", "training.csv"]
    assert files["training.csv"] == {"bytes": 8, "sha256": hashlib.sha256(b"epoch\n0\n").hexdigest()}
    manifests.check_files([path], [run])  # unchanged: no complaint


@pytest.mark.parametrize(
    "damage,message",
    [
        (lambda run: (run / "training.csv").unlink(), "training.csv: missing"),
        (
            lambda run: (run / "training.csv").write_text("epoch\n"),
            "training.csv: 6 bytes, the manifest records 8",
        ),
        (lambda run: (run / "training.csv").write_text("epoch\n1\n"), "training.csv: contents changed"),
    ],
)
def test_a_file_changed_after_its_job_is_named_with_the_command_that_redoes_it(tmp_path, damage, message):
    run = make_run(tmp_path, "seed-1")
    path = tmp_path / "train.json"
    manifests.write_manifest(path, "train", {run: ["training.csv", "snapshots/snapshot-01.keras"]})
    damage(run)
    with pytest.raises(ValueError) as err:
        manifests.check_files([path], [run])
    text = str(err.value)
    assert text.startswith(f"{path}: 1 file(s) differ")
    assert f"snakemake --cores all --forcerun {path}" in text  # the command that redoes the job
    assert f"{run / 'training.csv'}" in text and message in text
    manifests.check_files([path], [run], names=["snapshots/*.keras"])  # only the files a job reads


def test_runs_missing_from_the_manifests_are_named(tmp_path):
    one, two = make_run(tmp_path, "seed-1"), make_run(tmp_path, "seed-2")
    path = tmp_path / "train.json"
    manifests.write_manifest(path, "train", {one: ["training.csv"]})
    with pytest.raises(ValueError, match=f"{two}: in no manifest"):
        manifests.check_files([path], [one, two])


def test_runs_of_several_manifests_are_checked_against_each(tmp_path):
    run = make_run(tmp_path, "seed-1")
    (run / "members.csv").write_text("member\n1\n")
    train, evaluate = tmp_path / "train.json", tmp_path / "evaluate.json"
    manifests.write_manifest(train, "train", {run: ["training.csv"]})
    manifests.write_manifest(evaluate, "evaluate", {run: ["members.csv"]})
    manifests.check_files([train, evaluate], [run], ["*.csv"])
    (run / "members.csv").write_text("member\n2\n")
    with pytest.raises(ValueError, match=f"^{evaluate}: 1 file"):
        manifests.check_files([train, evaluate], [run], ["*.csv"])


def test_a_damaged_manifest_is_named(tmp_path):
    path = tmp_path / "train.json"
    path.write_text("[1, 2]")
    with pytest.raises(ValueError, match=f"{path}: not a job manifest"):
        manifests.check_files([path], [tmp_path])
    path.write_text("{")
    with pytest.raises(ValueError, match=f"{path}: not valid JSON"):
        manifests.check_files([path], [tmp_path])


def test_audit_and_verify_name_every_changed_file_missing_manifest_and_the_repair(tmp_path):
    one, two = make_run(tmp_path, "seed-1"), make_run(tmp_path, "seed-2")
    train, evaluate = tmp_path / "train.json", tmp_path / "evaluate.json"
    manifests.write_manifest(train, "train", {one: ["training.csv"], two: ["training.csv"]})
    out = []
    manifests.verify(
        [train], out=type("Out", (), {"write": lambda self, t: out.append(t), "flush": lambda self: None})()
    )
    assert "verified 1 manifests: all 2 files" in "".join(out)
    (two / "training.csv").unlink()
    (one / "training.csv").write_text("epoch\n1\n")
    problems = manifests.audit([train, evaluate])
    assert problems[str(train)] == [
        f"{one / 'training.csv'}: contents changed (SHA-256 differs from the manifest's)",
        f"{two / 'training.csv'}: missing",
    ]
    assert problems[str(evaluate)][0].endswith("missing (its job has not run, or the manifest was removed)")
    with pytest.raises(ValueError) as err:
        manifests.verify([train, evaluate], "--configfile my.yaml")
    text = str(err.value)
    assert f"snakemake --cores all --configfile my.yaml --forcerun {train}" in text
    assert "1 of 2 jobs have not run (no manifest)" in text
