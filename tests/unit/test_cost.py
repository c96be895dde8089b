"""The cost model, worked by hand on the default study's numbers."""

import pytest

from snapens.plan import cost
from workflow_utils import ROOT

C = cost.Constants(
    train_startup=3.8,
    job_startup=0.6,
    lane_step=6e-4,
    lane_step_per_weight=1.3e-8,
    xla_factor=1.4,
    xla_per_weight=8e-7,
    save_snapshot=5e-4,
    evaluate_member=4e-3,
    aggregate_member=5e-3,
    subset_fit=1e-3,
)


def test_lane_weights_of_the_tutorials_mlp():
    # 32 models of 2 -> 50 -> 3: (2 + 1) * 50 + (50 + 1) * 3 = 303 weights each
    assert cost.lane_weights(2, 50, 3) == 32 * 303 == 9696
    assert cost.lane_weights(40, 100, 10) == 32 * (41 * 100 + 101 * 10) == 163520


def test_a_training_job_of_the_default_study_by_hand():
    # one lane, 500 epochs of 4 steps (100 rows, batch 32), 30 runs x 10 snapshots
    step = 6e-4 + 1.3e-8 * 9696  # 0.726048 ms
    assert cost.lane_step_seconds(9696, c=C) == pytest.approx(7.26048e-4, rel=1e-12)
    assert cost.train_seconds(1, 2000, 9696, 300, c=C) == pytest.approx(3.8 + 2000 * step + 0.15, rel=1e-12)
    assert cost.train_seconds(1, 2000, 9696, 300, c=C) == pytest.approx(5.402096, rel=1e-9)
    # with XLA: 1.4 x the graph-mode step plus 0.8 us per weight
    assert cost.lane_step_seconds(9696, jit_compile=True, c=C) == pytest.approx(8.7732672e-3, rel=1e-9)
    # ten lanes cost ten times the steps, not ten start-ups
    assert cost.train_seconds(10, 2000, 9696, 0, c=C) - 3.8 == pytest.approx(10 * 2000 * step, rel=1e-12)


def test_evaluation_requests_and_memory():
    assert cost.evaluate_seconds(300, c=C) == pytest.approx(0.6 + 1.2)
    assert [cost.cluster_minutes(s) for s in (0, 100, 101, 1000)] == [5, 5, 6, 50]
    assert cost.memory_mb(300, 15, 7) == 500  # 405 MB, rounded up to 100
    assert cost.memory_mb(300, 15, 0) == 300
    assert cost.figure_mb(31) == 800  # the sweep's 31 methods: 765 MB
    assert cost.tables_mb(2100) == 900  # 450 + 0.2 * 2100 = 870, rounded up to 100
    assert cost.grid_mb(7) == 200 and cost.grid_mb(60) == 600  # 192 and 510 MB, rounded up


def test_the_readme_quotes_the_constants_and_the_config_reference_links_there():
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert cost.describe() in readme
    config_reference = (ROOT / "config" / "README.md").read_text()
    assert "README.md#speed" in config_reference
    # the start-up figures are stated there only
    for text in ("~4 s for training", "~6 s", "~1 s for the others"):
        assert text not in config_reference


def test_aggregation_counts_the_reference_runs_subsets():
    from snapens.core.settings import subset_count
    from snapens.evaluate.ensembling import subsets

    # every k-subset of 10 members but the full one: 2^10 - 2 (no C(10, k) is above 512)
    assert subset_count(10) == 2**10 - 2 == 1022
    assert subset_count(3) == 3 + 3 and subset_count(1) == 0
    # 20 members: k = 3..17 capped at 512 each, C(20, 1) = C(20, 19) = 20, C(20, 2) = C(20, 18) = 190
    assert subset_count(20) == 2 * 20 + 2 * 190 + 15 * 512 == 8100
    assert subset_count(20) == sum(len(subsets(20, k)) for k in range(1, 20))
    # the default study's independent job: 30 runs of 10 members, 1022 subsets each
    assert cost.aggregate_seconds(300, 30 * 1022, c=C) == pytest.approx(0.6 + 1.5 + 30.66)
    assert cost.aggregate_seconds(300, c=C) == pytest.approx(2.1)
