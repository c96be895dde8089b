"""Where the study writes: the output contract's paths, in one place (the
workflow's rules, the figure registry and the tests read them from here)."""

from __future__ import annotations

DATA = "results/data/{dataset}.npz"
RUN = "results/runs/{dataset}/{method}/seed-{seed}"
# one per job of a run-level stage (train, evaluate, aggregate): the files its
# chunk of runs got, with sizes and hashes (snapens.chunks)
MANIFEST = "results/runs/{dataset}/{method}/chunks/{chunk}/{stage}.json"

# the study tables, by the name the summarise stage writes them under
TABLES = {
    "runs": "results/tables/runs.csv",
    "summary": "results/tables/summary.csv",
    "paired": "results/tables/paired_tests.csv",
    "curves": "results/tables/curves.csv",
    "diversity": "results/tables/diversity.csv",
    "dee": "results/tables/deep_ensemble_equivalent.csv",
    "learning": "results/tables/learning_curves.csv",
    "sweep": "results/tables/sweep.csv",
    "markdown": "results/tables/summary.md",
    "headline": "results/tables/headline.rst",
    "study": "results/tables/study.json",
}
# per dataset: the probabilities of one run per method over a grid of the plane
DECISION_GRID = "results/tables/decision_grid_{dataset}.npz"

FIGURE = "results/figures/{family}_{dataset}.{ext}"
FIGURE_FORMATS = ("png", "svg")
