"""A dataset redrawn per repeat, end to end: every seed its own draw, the same
draw for every method of that seed, and the tables' limit the mean of the
draws' limits; the redrawn dataset has fewer repeats of its own (the first
of the study's seeds)."""

import json

import numpy as np
import pandas as pd
import pytest

from workflow_utils import snakemake, tiny_config

pytestmark = pytest.mark.slow


def redraw_config() -> dict:
    config = tiny_config()
    config["study"]["repeats"] = 3  # seeds 7-9 on the fixed blobs, 7-8 redrawn
    fixed = config["datasets"]["blobs"]
    config["datasets"]["redrawn"] = {
        **fixed,
        "redraw": True,
        "repeats": 2,
        "methods": ["snapshot", "snapshot_weighted", "independent"],
    }
    config["methods"] = {m: config["methods"][m] for m in ("snapshot", "snapshot_weighted", "independent")}
    config["evaluation"]["bootstrap"] = 200
    return config


@pytest.fixture(scope="module")
def redrawn_study(tmp_path_factory):
    work = tmp_path_factory.mktemp("redraw")
    res = snakemake(work, redraw_config(), "--cores", "2")
    assert res.returncode == 0, res.stderr[-3000:]
    return work / "results"


def test_each_seed_has_its_own_draw_shared_by_every_method(redrawn_study):
    from snapens.data.dataset import load_dataset
    from snapens.data.kinds import make_dataset

    spec = redraw_config()["datasets"]["redrawn"]
    draws = {
        seed: load_dataset(redrawn_study / "data" / "redrawn" / "seeds-7-8" / f"seed-{seed}.npz")
        for seed in (7, 8)
    }
    for seed, data in draws.items():  # the generator with random_state = seed, nothing else
        again = make_dataset({k: v for k, v in spec.items() if k != "redraw"} | {"random_state": seed})
        assert np.array_equal(data.X_train, again.X_train) and np.array_equal(data.y_test, again.y_test)
    assert not np.array_equal(draws[7].X_train, draws[8].X_train)
    assert not (redrawn_study / "data" / "redrawn.npz").exists()
    for seed, data in draws.items():
        for method in ("snapshot", "snapshot_weighted", "independent"):
            run = redrawn_study / "runs" / "redrawn" / method / f"seed-{seed}"
            held_out = json.loads((run / "run.json").read_text())["validation_rows"]
            with np.load(run / "probabilities.npz") as npz:
                assert np.array_equal(npz["y_test"], data.y_test)
                if "y_val" in npz.files:  # held out of that seed's own training rows
                    assert np.array_equal(npz["y_val"], data.y_train[held_out])
    # the fixed dataset is the tutorial's for every seed
    fixed = load_dataset(redrawn_study / "data" / "blobs.npz")
    assert np.array_equal(fixed.X_train, make_dataset(redraw_config()["datasets"]["blobs"]).X_train)


def test_the_redrawn_limit_is_the_mean_of_each_draws_limit(redrawn_study):
    from snapens.analyse.limits import limits_table
    from snapens.data.dataset import load_dataset
    from snapens.data.kinds import draw_spec

    spec = redraw_config()["datasets"]["redrawn"]
    limits = pd.read_csv(redrawn_study / "tables" / "limits.csv").set_index("dataset")
    assert limits.loc["redrawn", "draws"] == 2 and limits.loc["blobs", "draws"] == 1
    each = []
    for seed in (7, 8):
        data = load_dataset(redrawn_study / "data" / "redrawn" / "seeds-7-8" / f"seed-{seed}.npz")
        each.append(limits_table({"d": spec}, {"d": [(draw_spec(spec, seed), data.X_test, data.y_test)]}))
    assert limits.loc["redrawn", "accuracy"] == pytest.approx((each[0].accuracy[0] + each[1].accuracy[0]) / 2)
    runs = pd.read_csv(redrawn_study / "tables" / "runs.csv")
    assert set(runs[runs.dataset == "redrawn"].method) == {"snapshot", "snapshot_weighted", "independent"}


def test_a_dataset_runs_its_own_repeats(redrawn_study):
    runs = pd.read_csv(redrawn_study / "tables" / "runs.csv")
    seeds = runs.groupby(["dataset", "method"]).seed.apply(lambda s: sorted(s.tolist()))
    assert all(s == [7, 8] for s in seeds.loc["redrawn"])
    assert all(s == [7, 8, 9] for s in seeds.loc["blobs"])
    summary = pd.read_csv(redrawn_study / "tables" / "summary.csv").set_index(["dataset", "method"])
    assert set(summary.loc["redrawn", "repeats"]) == {2} and set(summary.loc["blobs", "repeats"]) == {3}
    assert sorted(p.name for p in (redrawn_study / "data" / "redrawn").iterdir()) == ["seeds-7-8"]
