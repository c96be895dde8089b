"""The cross-fitted choice of "the best" candidate: chosen on the other half
of the seeds and the other fold of the test rows, checked by hand, and its
false "worse" rate measured against the scheme that chose on every seed."""

import numpy as np
import pandas as pd
import pytest

from snapens.analyse.selection import choices, chosen_text, crossfit, fold_units, measured_seeds, seed_halves
from snapens.analyse.statistics import sign_flip


def candidate(values_by_seed):
    """A candidate's runs: ``{seed: (nll on the even rows, nll on the odd rows)}``."""
    return pd.DataFrame(
        [{"seed": s, "ensemble_nll_even": e, "ensemble_nll_odd": o} for s, (e, o) in values_by_seed.items()]
    ).set_index("seed")


def test_the_odd_seeds_choose_and_the_even_seeds_are_measured():
    assert seed_halves([1, 2, 3, 4, 5]) == {"odd": [1, 3, 5], "even": [2, 4]}
    assert measured_seeds([8, 7, 10]) == [8, 10]


def test_the_even_seeds_are_measured_with_the_odd_seeds_choice_by_hand():
    # On the odd seeds "a" looks best (lower NLL), on the even seeds "b": the odd seeds'
    # luck picks "a", and the even seeds are measured with it, on every row
    a = candidate({1: (0.30, 0.31), 2: (0.50, 0.52), 3: (0.32, 0.33), 4: (0.51, 0.50)})
    b = candidate({1: (0.45, 0.44), 2: (0.35, 0.36), 3: (0.46, 0.47), 4: (0.34, 0.37)})
    fit = crossfit({"a": a, "b": b}, "nll", [1, 2, 3, 4])
    assert fit.chosen == {"even": "a", "odd": "a"} and fit.seeds == (2, 4)
    assert fit.measured["even"].tolist() == [0.50, 0.51] and fit.measured["odd"].tolist() == [0.52, 0.50]
    assert chosen_text(fit.chosen) == "a"


def test_each_fold_is_measured_with_the_choice_of_the_other():
    # "b" is better on the odd seeds' even rows, "a" on their odd rows: the even seeds'
    # odd rows are measured with "b", their even rows with "a"
    a = candidate({1: (0.5, 0.3), 2: (0.1, 0.2), 3: (0.5, 0.3), 4: (0.1, 0.2)})
    b = candidate({1: (0.3, 0.5), 2: (0.7, 0.8), 3: (0.3, 0.5), 4: (0.7, 0.8)})
    assert choices({"a": a, "b": b}, "nll", [1, 2, 3, 4]) == {"even": "a", "odd": "b"}
    fit = crossfit({"a": a, "b": b}, "nll", [1, 2, 3, 4])
    assert fit.measured["even"].tolist() == [0.1, 0.1] and fit.measured["odd"].tolist() == [0.8, 0.8]
    assert chosen_text(fit.chosen) == "a | b"


def test_what_the_choice_reads_never_changes_what_is_measured():
    # changing the even seeds' values (what is measured) leaves the choice alone;
    # changing the odd seeds' (what it reads) leaves the measured values alone
    a = candidate({1: (0.30, 0.31), 2: (0.50, 0.52), 3: (0.32, 0.33), 4: (0.51, 0.50)})
    b = candidate({1: (0.45, 0.44), 2: (0.35, 0.36), 3: (0.46, 0.47), 4: (0.34, 0.37)})
    before = crossfit({"a": a, "b": b}, "nll", [1, 2, 3, 4])
    a2 = a.copy()
    a2.loc[[2, 4]] = 9.0
    assert crossfit({"a": a2, "b": b}, "nll", [1, 2, 3, 4]).chosen == before.chosen
    b2 = b.copy()
    b2.loc[[1, 3]] = 0.0  # now "b" is chosen, and measured on the same even seeds
    after = crossfit({"a": a, "b": b2}, "nll", [1, 2, 3, 4])
    assert after.chosen == {"even": "b", "odd": "b"}
    assert after.measured["even"].tolist() == [0.35, 0.34]


def old_scheme(candidates, seeds):
    """The scheme before: chosen on one fold by the mean over every seed,
    measured on the other fold of the same seeds."""
    measured = {}
    for fold, other in (("even", "odd"), ("odd", "even")):
        best = min(candidates, key=lambda c: candidates[c].loc[seeds, f"ensemble_nll_{fold}"].mean())
        measured[other] = candidates[best].loc[seeds, f"ensemble_nll_{other}"].to_numpy()
    return measured


def false_worse_rates(replications: int, seed: int = 0, n: int = 20, rates: int = 5):
    """Five equally good rates and an ensemble exactly as good: per seed and
    rate a seed effect (sd 0.02) and a per-fold effect (sd 0.005). The rate
    of "ensemble worse than the best single model" (p <= 0.05, mean
    difference above zero: a higher NLL) under the old and the new scheme."""
    rng = np.random.default_rng(seed)
    seeds = list(range(1, n + 1))
    worse = {"old": 0, "new": 0}
    for _ in range(replications):
        candidates = {}
        for r in range(rates):
            u = rng.normal(0, 0.02, n)
            folds = 0.4 + u[:, None] + rng.normal(0, 0.005, (n, 2))
            candidates[f"r{r}"] = candidate({s: tuple(folds[i]) for i, s in enumerate(seeds)})
        u = rng.normal(0, 0.02, n)
        ens = 0.4 + u[:, None] + rng.normal(0, 0.005, (n, 2))
        fit = crossfit(candidates, "nll", seeds)
        even = np.array([s - 1 for s in fit.seeds])  # the measured seeds' rows of ens
        for scheme, measured, rows in (
            ("old", old_scheme(candidates, seeds), np.arange(n)),
            ("new", fit.measured, even),
        ):
            a = {"even": ens[rows, 0], "odd": ens[rows, 1]}
            units, scale = fold_units("nll", a, measured, 1000)
            res = sign_flip(units, scale, 0.95)
            worse[scheme] += res["p_value"] <= 0.05 and res["mean_diff"] > 0
    return {k: v / replications for k, v in worse.items()}


@pytest.mark.slow
def test_choosing_on_other_seeds_keeps_false_worse_verdicts_at_the_nominal_rate():
    # one-sided, a false "worse" should come at most 2.5% of the time; the scheme that
    # chose on the same seeds carried their luck into the baseline (9.1% in the review;
    # docs/inference.md has both rates over 4,000 replications)
    rates = false_worse_rates(400)
    assert rates["new"] <= 0.025 + 2.5 * np.sqrt(0.025 * 0.975 / 400)  # within 2.5 standard errors
    assert rates["old"] >= 0.06  # the test can tell the two schemes apart
