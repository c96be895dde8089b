"""Atomic writes and checked reads of the files jobs hand to each other."""

import os

import pandas as pd
import pytest

from snapens.core.io import atomic_path, read_json, read_table, write_csv, write_json


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "table.csv"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_removes_leftovers_of_a_killed_writer(tmp_path):
    target = tmp_path / "table.csv"
    stale = tmp_path / ".tmp-999999-table.csv"  # what SIGKILL leaves behind
    stale.write_text("half")
    other = tmp_path / ".tmp-999999-other.csv"
    other.write_text("half")
    write_csv(pd.DataFrame({"a": [1]}), target)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".tmp-999999-other.csv", "table.csv"]
    assert target.read_text() == "a\n1\n"
    assert not any(p.name.startswith(f".tmp-{os.getpid()}") for p in tmp_path.iterdir())


def test_read_json_names_the_file(tmp_path):
    path = tmp_path / "run.json"
    write_json({"seed": 1}, path)
    assert read_json(path) == {"seed": 1}
    path.write_text('{"seed": 1')
    with pytest.raises(ValueError, match=r"run.json: not valid JSON"):
        read_json(path)
    with pytest.raises(ValueError, match=r"nothing.json: missing"):
        read_json(tmp_path / "nothing.json")


@pytest.mark.parametrize(
    "content,message",
    [
        ("", "not a readable CSV table"),
        ('a,b\n1,"2\n', "not a readable CSV table"),
        ("a,c\n1,2\n", "column\\(s\\) b missing"),
        ("a,b\n1,2\n", "1 rows, expected 2"),
    ],
)
def test_read_table_rejects_damaged_tables(tmp_path, content, message):
    path = tmp_path / "members.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match=f"members.csv: {message}"):
        read_table(path, ("a", "b"), rows=2)


def test_read_table_accepts_a_good_one(tmp_path):
    path = tmp_path / "members.csv"
    path.write_text("a,b\n1,2\n3,4\n")
    assert read_table(path, ("a", "b"), rows=2).shape == (2, 2)
    path.write_text("a,b\n")  # header only: a run without such rows
    assert read_table(path, ("a", "b")).empty
