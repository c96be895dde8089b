"""Choosing "the best" candidate: the DEE reference's one-way choice (the
odd seeds choose, the even seeds are measured) checked by hand; and the
comparison with the best single model, which chooses nothing, its false
verdicts measured against the scheme that chose on every seed."""

import numpy as np
import pandas as pd
import pytest

from snapens.analyse.selection import choices, chosen_text, measured_seeds, seed_halves
from snapens.analyse.statistics import against_best, sign_flip


def candidate(values_by_seed):
    """A candidate's runs: ``{seed: (nll on the even rows, nll on the odd rows)}``."""
    return pd.DataFrame(
        [{"seed": s, "ensemble_nll_even": e, "ensemble_nll_odd": o} for s, (e, o) in values_by_seed.items()]
    ).set_index("seed")


def test_the_odd_seeds_choose_and_the_even_seeds_are_measured():
    assert seed_halves([1, 2, 3, 4, 5]) == {"odd": [1, 3, 5], "even": [2, 4]}
    assert measured_seeds([8, 7, 10]) == [8, 10]


def test_the_choice_reads_the_odd_seeds_and_the_other_fold_by_hand():
    # on the odd seeds "a" is better on the odd rows, "b" on the even rows; the even
    # seeds, whatever their values, do not enter: the even rows are measured with the
    # choice made on the odd rows ("a"), the odd rows with the even rows' ("b")
    a = candidate({1: (0.5, 0.3), 2: (9.0, 9.0), 3: (0.5, 0.3), 4: (9.0, 9.0)})
    b = candidate({1: (0.3, 0.5), 2: (0.0, 0.0), 3: (0.3, 0.5), 4: (0.0, 0.0)})
    assert choices({"a": a, "b": b}, "nll", [1, 2, 3, 4]) == {"even": "a", "odd": "b"}
    assert chosen_text({"even": "a", "odd": "b"}) == "a | b" and chosen_text({"even": "a", "odd": "a"}) == "a"


def test_the_best_of_several_by_hand():
    # a loss; the ensemble against two candidates over six seeds, every difference of one sign
    better_than_both = {"r1": np.full(6, -2), "r2": np.full(6, -5)}
    res = against_best(better_than_both, 1.0, higher_is_better=False)
    # better than the best only if better than each: the larger p, 2/64; the point against r1
    assert res["best"] == "r1" and res["p_value"] == 2 / 64 and res["mean_diff"] == -2
    worse_than_one = {"r1": np.full(6, 3), "r2": np.full(6, -5)}
    res = against_best(worse_than_one, 1.0, higher_is_better=False)
    # worse than one of two: Bonferroni, 2 x 2/64
    assert res["best"] == "r1" and res["p_value"] == 2 * 2 / 64
    mixed = {"r1": np.array([1, -1, 2, -2, 1, -1]), "r2": np.full(6, -5)}
    assert against_best(mixed, 1.0, higher_is_better=False)["p_value"] == 1.0  # neither


def test_the_best_of_interval_excludes_zero_exactly_when_p_is_at_most_alpha():
    rng = np.random.default_rng(8)
    for _ in range(200):
        n = int(rng.integers(6, 16))
        diffs = {f"r{r}": rng.integers(-3, 4, size=n) + int(rng.integers(-2, 3)) for r in range(3)}
        res = against_best(diffs, 1.0, bool(rng.integers(0, 2)), 0.95, flips=999)
        excludes = res["ci_low"] > 0 or res["ci_high"] < 0
        assert excludes == (res["p_value"] <= 0.05), diffs


def old_scheme(cands: np.ndarray) -> np.ndarray:
    """The scheme before: the rate chosen on one fold by its mean over every
    seed, measured on the other fold of the same seeds; per seed the mean of
    the two. ``cands``: rate x seed x fold."""
    out = []
    for fold, other in ((0, 1), (1, 0)):
        best = int(np.argmin(cands[:, :, fold].mean(axis=1)))
        out.append(cands[best, :, other])
    return (out[0] + out[1]) / 2


def false_verdicts(replications: int, better: float = 0.0, seed: int = 0, n: int = 20, rates: int = 5):
    """The review's simulation: per seed and rate a single model's loss on each
    fold of the test rows, a seed effect (sd 0.02) and a fold effect (sd
    0.005); an ensemble drawn the same way. With ``better`` = 0 every rate and
    the ensemble are equally good; else rate 0 and the ensemble are ``better``
    lower than the others. Rates of false "worse" and false "better"
    verdicts of "ensemble against the best single model" at 5%, under the old
    scheme and the study's (every rate, :func:`against_best`)."""
    rng = np.random.default_rng(seed)
    counts = {"old": [0, 0], "new": [0, 0]}
    shift = np.array([0.0] + [better] * (rates - 1))
    for _ in range(replications):
        u = rng.normal(0, 0.02, (rates, n))
        cands = 0.4 + shift[:, None, None] + u[:, :, None] + rng.normal(0, 0.005, (rates, n, 2))
        ens = (0.4 + rng.normal(0, 0.02, n)[:, None] + rng.normal(0, 0.005, (n, 2))).mean(axis=1)
        units = np.round(ens * 1e9).astype(np.int64)
        old = sign_flip(units - np.round(old_scheme(cands) * 1e9).astype(np.int64), 1e9)
        new = against_best(
            {r: units - np.round(cands[r].mean(axis=1) * 1e9).astype(np.int64) for r in range(rates)},
            1e9,
            higher_is_better=False,
        )
        for scheme, res in (("old", old), ("new", new)):
            if res["p_value"] <= 0.05:
                counts[scheme][res["mean_diff"] < 0] += 1  # [worse, better] for a loss
    return {k: (v[0] / replications, v[1] / replications) for k, v in counts.items()}


@pytest.mark.slow
def test_the_best_single_model_keeps_false_verdicts_at_their_nominal_share():
    # two-sided at 5%: a false "worse" (or "better") should come at most 2.5% of the
    # time; the old scheme carried the choosing seeds' luck into the baseline
    # (9.1% in the review; docs/inference.md has both over more replications)
    se = 2.5 * np.sqrt(0.025 * 0.975 / 400)
    equal = false_verdicts(400)
    assert equal["new"][0] <= 0.025 + se and equal["new"][1] <= 0.025 + se
    assert equal["old"][0] >= 0.06  # the test can tell the schemes apart
    # one rate truly better, and the ensemble as good as it: no false "better" for
    # having missed that rate (the ensemble must beat every rate)
    one_better = false_verdicts(400, better=0.01, seed=1)
    assert one_better["new"][1] <= 0.025 + se
