"""The figure check on real figures: the workflow tests' studies (the tiny
study, the tiny sweep with baselines, the redrawn dataset) run with
``SNAPENS_FIGURE_CHECK=strict`` (``conftest.py``), so each of their plot jobs
fails on a figure with overlapping texts, an empty axes or more than
``snapens.report.layout.MAX_WIDTH`` inches of width, on the Figure it
draws; here, that this holds and that those studies draw every family."""

from test_redraw import redraw_config
from test_sweep_study import sweep_config

from snapens.plan.targets import family_datasets
from snapens.report import layout
from snapens.report.figures import FAMILIES
from workflow_utils import run_env, tiny_config


def families(config: dict) -> set[str]:
    """The families the study of ``config`` draws for at least one dataset."""
    return {name for name, family in FAMILIES.items() if family_datasets(family, config)}


def test_the_studies_of_the_workflow_tests_draw_every_family():
    assert families(tiny_config()) | families(sweep_config()) | families(redraw_config()) == set(FAMILIES)
    assert {"sweep_heatmap", "sweep_gain", "sweep_accuracy", "frontier"} <= families(sweep_config())
    assert "decision_regions" in families(tiny_config())  # blobs is 2-D


def test_their_plot_jobs_check_every_figure_strictly():
    assert run_env()[layout.CHECK_VARIABLE] == "strict"
