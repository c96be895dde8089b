"""The study plan (snapens.plan.study.Study) on hand-worked small studies:
chunks, runs and files, budgets, the DEE's reference and expected seconds,
each expected value worked out by hand from the config."""

import copy
import math

import pytest
import yaml
from snakemake.utils import validate

from bad_configs import BAD, SCHEMA, file_study, mutate, presplit_npz
from snapens.plan.config import ConfigError, check_config
from snapens.plan.cost import COSTS
from snapens.plan.study import Study
from workflow_utils import ROOT, tiny_config


def planned(config: dict) -> Study:
    """The plan of ``config`` as the workflow makes it: checked, then the
    schema's defaults filled in."""
    config = copy.deepcopy(config)
    check_config(config, SCHEMA)
    validate(config, str(SCHEMA))
    return Study(config)


def small(repeats=5, runs_per_job=2, **methods) -> dict:
    """The tiny config with ``repeats`` seeds from 1, ``runs_per_job``, and
    only ``methods`` (name -> spec) when given."""
    config = tiny_config()
    config["study"].update(repeats=repeats, first_seed=1)
    config["execution"]["runs_per_job"] = runs_per_job
    if methods:
        config["methods"] = methods
    return config


SNAPSHOT = {"members": 3, "schedule": {"name": "cosine_epoch", "lr_max": 0.01}}
INDEPENDENT = {"members": 4, "ensemble": "independent", "schedule": {"name": "constant", "lr": 0.01}}
SPLIT = {**INDEPENDENT, "budget": "split"}


def test_seeds_are_cut_into_chunks_of_runs_per_job_the_last_holding_the_rest():
    config = small(repeats=5, runs_per_job=2, snapshot=SNAPSHOT)
    config["datasets"]["fewer"] = {**config["datasets"]["blobs"], "repeats": 3}
    study = planned(config)
    assert study.dataset_chunks["blobs"] == {"seeds-1-2": [1, 2], "seeds-3-4": [3, 4], "seeds-5-5": [5]}
    assert study.dataset_chunks["fewer"] == {"seeds-1-2": [1, 2], "seeds-3-3": [3]}
    assert study.chunk_seeds("seeds-3-3") == [3]
    # 5 + 3 runs; one train, evaluate and aggregate job per chunk: (3 + 2) chunks x 3 stages
    assert len(study.runs()) == 8 and study.runs()[0] == ("blobs", "snapshot", 1)
    assert len(study.manifests()) == 15
    assert study.first_seed_chunk("fewer") == "seeds-1-2"
    assert study.first_seed_manifests("blobs") == ["results/runs/blobs/training/methods-1-1/seeds-1-2.json"]
    assert study.first_seed_trained("fewer") == {"snapshot": 0}


def test_a_redrawn_dataset_reads_its_chunks_draws_and_a_fixed_one_its_file():
    config = small(repeats=3, runs_per_job=2, snapshot=SNAPSHOT)
    config["datasets"]["again"] = {**config["datasets"]["blobs"], "redraw": True}
    study = planned(config)
    assert study.data_files("blobs") == ["results/data/blobs.npz"]
    assert study.data_files("again") == ["results/data/again/seeds-1-2", "results/data/again/seeds-3-3"]
    assert study.data_files("again", ["seeds-3-3"]) == ["results/data/again/seeds-3-3"]
    assert study.data_file_counts() == {"blobs": 1, "again": 2}


def test_a_dataset_runs_its_listed_methods_and_every_grid_point_of_a_swept_one():
    config = small(snapshot=SNAPSHOT, independent=INDEPENDENT)
    config["sweeps"] = {"snapshot": {"members": [2, 3]}}
    config["datasets"]["only"] = {**config["datasets"]["blobs"], "methods": ["snapshot"]}
    study = planned(config)
    assert study.methods == ["snapshot/members-2", "snapshot/members-3", "independent"]
    assert study.dataset_methods["only"] == ["snapshot/members-2", "snapshot/members-3"]
    assert study.method_specs["snapshot/members-2"]["members"] == 2


def test_the_budget_of_each_kind_of_method_worked_by_hand():
    """blobs: 100 training rows, batches of 32, 12 epochs (tests/data/tiny.yaml)."""
    weighted = {**SNAPSHOT, "validation_fraction": 0.2}
    study = planned(small(snapshot=SNAPSHOT, weighted=weighted, independent=INDEPENDENT, split=SPLIT))
    snapshot = study.budget("blobs", "snapshot")
    assert (snapshot.members, snapshot.cycles, snapshot.models) == (3, 3, 1)
    assert snapshot.steps_per_epoch == 4  # ceil(100 / 32)
    assert snapshot.snapshot_epochs == [3, 7, 11]  # cycles of 12 // 3 = 4 epochs
    # 20 rows held out (ceil(0.2 * 100)): ceil(80 / 32) = 3 steps
    assert study.budget("blobs", "weighted").steps_per_epoch == 3
    independent = study.budget("blobs", "independent")
    assert (independent.cycles, independent.models, independent.epochs) == (1, 4, 12)
    assert independent.snapshot_epochs == [11] * 4
    split = study.budget("blobs", "split")
    assert (split.epochs, split.model_steps) == (3, 12)  # 12 // 4 epochs of 4 steps


def test_the_last_snapshot_rate_of_the_tutorials_cosine_is_sin_squared_pi_over_100():
    """Per-epoch cosine, 10 cycles of 50 epochs: the last snapshot's epoch is
    the 50th of its cycle, at lr_max / 2 (cos(49 pi / 50) + 1) = lr_max sin^2(pi / 100)."""
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    study = planned(config)
    rates = study.last_snapshot_rates()
    assert rates["blobs"]["snapshot"] == pytest.approx(math.sin(math.pi / 100) ** 2, rel=1e-12)
    assert rates["blobs"]["constant"] == 1.0
    assert set(rates["blobs_redrawn"]) == {"snapshot", "nocycle"}
    assert study.schedules("blobs")["methods"]["independent"] == {
        "epochs": 500,
        "schedule": config["methods"]["independent"]["schedule"],
        "members": 10,
        "ensemble": "independent",
        "steps_per_epoch": 4,
    }


def test_the_default_study_has_270_runs_in_18_chunks():
    study = planned(yaml.safe_load((ROOT / "config" / "config.yaml").read_text()))
    assert len(study.runs()) == 30 * 7 + 30 * 2
    # blobs' six single-model methods in one training job, its independent
    # ensemble (10x their training) in another; blobs_redrawn's two in one
    assert {g: ms for (d, _), gs in study.train_groups.items() for g, ms in gs.items() if d == "blobs"} == {
        "methods-1-6": [
            "snapshot",
            "snapshot_step",
            "snapshot_weighted",
            "snapshot_cyclic",
            "nocycle",
            "constant",
        ],
        "methods-7-7": ["independent"],
    }
    assert len(study.manifests()) == 3 + (7 + 2) * 2
    assert study.dee_references() == {"blobs": "independent"}


def test_the_dee_reference_is_the_first_independent_method_with_the_full_budget():
    """A split-budget method listed first is never the reference: its runs
    carry no subset curves (the planner once took it, the tables did not)."""
    study = planned(small(snapshot=SNAPSHOT, split=SPLIT, independent=INDEPENDENT))
    assert study.dee_references() == {"blobs": "independent"}
    assert planned(small(snapshot=SNAPSHOT, split=SPLIT)).dee_references() == {}


def test_expected_seconds_worked_by_hand():
    """Seeds 1-3 of blobs (2 features, 3 classes, 8 hidden units): the
    snapshot runs' models sit in slots 1-3 and the independent runs' 4
    members in slots 4-15, one lane of 32 either way."""
    c = COSTS
    study = planned(small(repeats=3, runs_per_job=3, snapshot=SNAPSHOT, independent=INDEPENDENT))
    weights = 32 * ((2 + 1) * 8 + (8 + 1) * 3)  # a lane of 2-8-3 MLPs
    step = c.lane_step + c.lane_step_per_weight * weights
    train = c.train_startup + 1 * 12 * 4 * step + 3 * 3 * c.save_snapshot
    independent = 1 * 12 * 4 * step + 3 * 4 * c.save_snapshot  # 12 models, one lane
    # both in one job: one start-up
    assert study.train_groups["blobs", "seeds-1-3"] == {"methods-1-2": ["snapshot", "independent"]}
    both = {"dataset": "blobs", "group": "methods-1-2", "chunk": "seeds-1-3"}
    assert study.seconds("train", both) == pytest.approx(train + independent, rel=1e-12)
    assert study.training_seconds("blobs", "snapshot", "seeds-1-3") == pytest.approx(train - c.train_startup)
    evaluate = c.job_startup + 9 * c.evaluate_member
    assert study.evaluate_seconds("blobs", "snapshot", "seeds-1-3") == pytest.approx(evaluate, rel=1e-12)
    aggregate = c.job_startup + 9 * c.aggregate_member  # no subsets: not a reference
    assert study.aggregate_seconds("blobs", "snapshot", "seeds-1-3") == pytest.approx(aggregate, rel=1e-12)
    # the reference: per run the 4 + 6 + 4 subsets of 1, 2 and 3 of its 4 members
    subsets = 3 * (4 + 6 + 4)
    reference = c.job_startup + 12 * c.aggregate_member + subsets * c.subset_fit
    assert study.aggregate_seconds("blobs", "independent", "seeds-1-3") == pytest.approx(reference, rel=1e-12)
    # the job's chain: its training, then its longest evaluation and aggregation (the reference's)
    chain = train + independent + evaluate + reference
    assert study.priority("train", both) == round(chain)
    snapshot = {"dataset": "blobs", "method": "snapshot", "chunk": "seeds-1-3"}
    assert study.chain_seconds("evaluate", snapshot) == pytest.approx(evaluate + aggregate)
    assert study.chain_seconds("aggregate", snapshot) == pytest.approx(aggregate)
    assert study.cluster_minutes("train", both) == 5  # the floor


def test_methods_are_packed_into_training_jobs_within_train_job_seconds():
    """Four methods of one chunk whose training takes s, 1.2 s, s and s
    (s: a lane of 12 epochs of 4 steps and its snapshots): a limit of 2.2 s
    packs them as [1, 2] [3, 4]; 0 gives each its own job; a limit below
    one method's training still gives it a job."""
    c = COSTS
    longer = {**SNAPSHOT, "members": 4}  # 4 snapshots written instead of 3
    methods = {"a": SNAPSHOT, "b": longer, "c": SNAPSHOT, "d": SNAPSHOT}
    config = small(repeats=3, runs_per_job=3, **methods)
    weights = 32 * ((2 + 1) * 8 + (8 + 1) * 3)
    s = 12 * 4 * (c.lane_step + c.lane_step_per_weight * weights) + 9 * c.save_snapshot
    b = s + 3 * c.save_snapshot
    assert planned(config).training_seconds("blobs", "b", "seeds-1-3") == pytest.approx(b, rel=1e-12)
    config["execution"]["train_job_seconds"] = s + b  # [a, b] fits exactly; [a, b, c] does not
    jobs = planned(config).train_groups["blobs", "seeds-1-3"]
    assert jobs == {"methods-1-2": ["a", "b"], "methods-3-4": ["c", "d"]}
    config["execution"]["train_job_seconds"] = 0
    jobs = planned(config).train_groups["blobs", "seeds-1-3"]
    assert jobs == {f"methods-{i}-{i}": [m] for i, m in enumerate("abcd", start=1)}
    config["execution"]["train_job_seconds"] = s / 2
    assert len(planned(config).train_groups["blobs", "seeds-1-3"]) == 4
    study = planned(config)
    assert (
        study.train_manifest("blobs", "c", "seeds-1-3")
        == "results/runs/blobs/training/methods-3-3/seeds-1-3.json"
    )
    assert study.train_run_configs("blobs", "methods-2-2", "seeds-1-3") == [study.run_config("blobs", "b")]
    config["execution"]["train_job_seconds"] = s + b
    study = planned(config)
    # the decision grid finds each method's first run beside its training job's manifest
    assert study.first_seed_manifests("blobs") == [
        "results/runs/blobs/training/methods-1-2/seeds-1-3.json",
        "results/runs/blobs/training/methods-3-4/seeds-1-3.json",
    ]
    assert study.first_seed_trained("blobs") == {"a": 0, "b": 0, "c": 1, "d": 1}


def test_a_training_job_finds_its_runs_beside_its_manifest():
    from snapens.core.paths import trained_run_dirs

    manifest = "pre/results/runs/blobs/training/methods-1-2/seeds-3-4.json"
    assert [str(d) for d in trained_run_dirs(manifest, "snapshot/members-2", [3, 4])] == [
        "pre/results/runs/blobs/snapshot/members-2/seed-3",
        "pre/results/runs/blobs/snapshot/members-2/seed-4",
    ]


def test_pack_by_hand():
    from snapens.plan.chunks import pack

    assert pack([1, 1, 1], 2) == [(0, 1), (2, 2)]
    assert pack([3, 1, 1], 2) == [(0, 0), (1, 2)]  # one above the limit alone
    assert pack([1, 1, 1], 3) == [(0, 2)]
    assert pack([1, 1, 1], 0) == [(0, 0), (1, 1), (2, 2)]
    assert pack([], 5) == []


def test_seeds_past_a_lane_take_a_second_one():
    """Seeds 30-33: slots 30, 31 in lane 0 and 32, 33 in lane 1."""
    config = small(repeats=4, runs_per_job=4, snapshot=SNAPSHOT)
    config["study"]["first_seed"] = 30
    study = planned(config)
    one = planned(small(repeats=4, runs_per_job=4, snapshot=SNAPSHOT))
    c, steps = COSTS, 12 * 4
    extra = study.training_seconds("blobs", "snapshot", "seeds-30-33") - one.training_seconds(
        "blobs", "snapshot", "seeds-1-4"
    )
    weights = 32 * ((2 + 1) * 8 + (8 + 1) * 3)
    assert extra == pytest.approx(steps * (c.lane_step + c.lane_step_per_weight * weights), rel=1e-9)


def test_a_file_dataset_is_planned_from_its_files_rows(tmp_path):
    study = planned(file_study(presplit_npz(tmp_path / "mine.npz", n_train=80)))
    assert study.train_rows == {"mine": 80}
    assert study.source_files("mine") == [str(tmp_path / "mine.npz")]
    assert study.budget("mine", "snapshot").steps_per_epoch == 3  # ceil(80 / 32)


@pytest.mark.parametrize("what,key,value,message", BAD, ids=[b[0] for b in BAD])
def test_no_study_is_planned_from_a_bad_config(what, key, value, message):
    with pytest.raises(ConfigError):
        planned(mutate(key, value))


@pytest.mark.parametrize(
    "name", ["config.yaml", "full.yaml", "sweep.yaml", "mnist1d-budget.yaml", "file-dataset.yaml"]
)
def test_every_shipped_config_is_planned_with_one_chunk_set_per_dataset(name):
    config = yaml.safe_load((ROOT / "config" / name).read_text())
    study = planned(config)
    runs = sum(len(study.dataset_methods[d]) * len(study.dataset_seeds[d]) for d in study.datasets)
    assert len(study.runs()) == runs
    for d in study.datasets:
        assert sum(map(len, study.dataset_chunks[d].values())) == len(study.dataset_seeds[d])
        for m in study.dataset_methods[d]:
            budget = study.budget(d, m)
            assert len(budget.snapshot_epochs) == budget.members
            assert 0 <= budget.last_snapshot_rate <= 1


def test_a_redrawn_twin_gets_no_figure_that_would_repeat_its_fixed_twins():
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    names = {t.rsplit("/", 1)[-1] for t in planned(config).targets() if t.endswith(".png")}
    repeats = {
        f"{family}_blobs_redrawn.png" for family in ("lr_schedules", "learning_curves", "decision_regions")
    }
    assert not repeats & names
    assert {
        f"{family}_blobs.png" for family in ("lr_schedules", "learning_curves", "decision_regions")
    } <= names
    assert {"tutorial_blobs_redrawn.png", "methods_blobs_redrawn.png"} <= names
    # without its fixed twin, a redrawn dataset gets every family
    del config["datasets"]["blobs"]
    alone = {t.rsplit("/", 1)[-1] for t in planned(config).targets() if t.endswith(".png")}
    assert repeats <= alone


def test_retuning_the_cost_model_does_not_repack_the_training_jobs(monkeypatch):
    """Packing uses its own frozen constants (cost.PACKING): a retuned lane
    step changes the expected seconds, not which job trains which method (a
    renamed job would train again)."""
    import dataclasses

    from snapens.plan import cost

    config = yaml.safe_load((ROOT / "config" / "sweep.yaml").read_text())
    before = planned(config)
    d, c = next(iter(before.train_groups))
    m = before.dataset_methods[d][0]
    expected = before.training_seconds(d, m, c)
    monkeypatch.setattr(cost, "COSTS", dataclasses.replace(cost.COSTS, lane_step=2e-3, save_snapshot=1e-3))
    after = planned(config)
    assert after.training_seconds(d, m, c) > expected  # the retuned model is used ...
    assert after.train_groups == before.train_groups  # ... but not for packing


def test_a_training_job_the_plan_has_not_made_is_refused_by_name():
    study = planned(small(repeats=3, runs_per_job=3, snapshot=SNAPSHOT, independent=INDEPENDENT))
    with pytest.raises(
        ValueError, match=r"no training job blobs/methods-7-7/seeds-1-3 .* blobs/methods-1-2/seeds-1-3"
    ):
        study.train_run_configs("blobs", "methods-7-7", "seeds-1-3")
    with pytest.raises(ValueError, match="no training job"):
        study.priority("train", {"dataset": "blobs", "group": "methods-2-2", "chunk": "seeds-1-3"})
