import math

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, brier_score_loss, log_loss

from snapens.evaluate import ensemble_table, ensembling, metrics


@pytest.fixture
def case():
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(3), size=(5, 40))  # 5 members, 40 samples, 3 classes
    y = rng.integers(0, 3, 40)
    return probs, y


def test_metrics_against_sklearn_and_definitions(case):
    probs, y = case
    p = probs[0]
    assert metrics.accuracy(y, p) == accuracy_score(y, p.argmax(1))
    assert metrics.nll(y, p) == pytest.approx(log_loss(y, p, labels=[0, 1, 2]))
    assert metrics.nll(y, p) == pytest.approx(-np.mean(np.log(p[np.arange(40), y])))
    onehot = np.eye(3)[y]
    assert metrics.brier(y, p) == pytest.approx(np.mean(np.sum((p - onehot) ** 2, axis=1)) / 2)
    assert 0 <= metrics.brier(y, p) <= 1
    assert metrics.brier(y, p) == pytest.approx(brier_score_loss(y, p, labels=[0, 1, 2], scale_by_half=True))


def test_nll_clips_certain_mistakes_like_log_loss():
    # a true class given probability 0 (and one given exactly 1): clipped to float64 eps
    p = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.2, 0.3, 0.5]])
    y = np.array([1, 1, 2])
    expected = (-np.log(np.finfo(np.float64).eps) - np.log(1 - np.finfo(np.float64).eps) - np.log(0.5)) / 3
    assert metrics.nll(y, p) == pytest.approx(expected, rel=1e-12)
    assert metrics.nll(y, p) == pytest.approx(log_loss(y, p, labels=[0, 1, 2]), rel=1e-12)


def test_ece_hand_computed():
    # 4 samples, 2 classes; top probabilities 0.9, 0.9, 0.6, 0.55; bins of width 0.5 (ece_bins=2)
    probs = np.array([[0.9, 0.1], [0.1, 0.9], [0.6, 0.4], [0.45, 0.55]])
    y = np.array([0, 0, 0, 0])  # correct, wrong, correct, wrong
    # all four confidences fall in (0.5, 1.0]: |acc 0.5 - conf 0.7375| = 0.2375
    assert metrics.ece(y, probs, ece_bins=2) == pytest.approx(0.2375)
    # 10 bins: (0.8,0.9]: conf .9,.9 acc .5 -> 2/4*.4; (0.5,0.6]: .6,.55 acc .5 -> 2/4*.075
    assert metrics.ece(y, probs, ece_bins=10) == pytest.approx(0.5 * 0.4 + 0.5 * 0.075)


def test_ece_perfect_calibration_is_zero():
    probs = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert metrics.ece(np.array([0, 1]), probs) == 0.0


def test_metric_rejects_wrong_shape():
    with pytest.raises(ValueError, match="shape"):
        metrics.accuracy(np.zeros(3, int), np.ones((4, 2)) / 2)


def test_last_k_table_k1_is_last_member_and_kM_is_average(case):
    probs, y = case
    members = ensembling.member_table(np.log(probs), y, epochs=range(5))
    table = ensemble_table.last_k_table(np.log(probs), y)
    assert list(table["k"]) == [1, 2, 3, 4, 5]
    for m in metrics.METRICS:
        assert table[m].iloc[0] == pytest.approx(members[m].iloc[-1])
    full = metrics.evaluate(y, probs.mean(axis=0))
    for m in metrics.METRICS:
        assert table[m].iloc[-1] == pytest.approx(full[m])
    two = metrics.evaluate(y, probs[-2:].mean(axis=0))
    assert table["nll"].iloc[1] == pytest.approx(two["nll"])


def test_majority_vote_and_tie_break():
    # members' argmax votes: sample 0 -> [0, 0, 1] -> 0; sample 1 -> [1, 2] tie broken by summed prob
    probs = np.array(
        [
            [[0.6, 0.3, 0.1], [0.1, 0.5, 0.4]],
            [[0.5, 0.4, 0.1], [0.1, 0.3, 0.6]],
            [[0.2, 0.7, 0.1], [0.34, 0.33, 0.33]],
        ]
    )
    # sample 1 votes: 1, 2, 0 -> three-way tie; summed probs 0.55, 1.13, 1.33 -> class 2
    np.testing.assert_array_equal(ensembling.majority_vote(probs), [0, 2])


def test_metric_rejects_non_probabilities():
    with pytest.raises(ValueError, match="summing to one"):
        metrics.nll(np.array([0, 1]), np.array([[0.5, 0.6], [0.5, 0.5]]))


def test_average_weights_is_elementwise_mean():
    a = [np.array([[1.0, 2.0]]), np.array([0.0])]
    b = [np.array([[3.0, 6.0]]), np.array([1.0])]
    avg = ensembling.average_weights([a, b])
    np.testing.assert_array_equal(avg[0], [[2.0, 4.0]])
    np.testing.assert_array_equal(avg[1], [0.5])


def test_disagreement_and_correlation_hand_computed():
    probs = np.array(
        [
            [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]],  # labels 0 1 0 1
            [[0.8, 0.2], [0.7, 0.3], [0.4, 0.6], [0.1, 0.9]],  # labels 0 0 1 1
            [[0.1, 0.9], [0.8, 0.2], [0.4, 0.6], [0.7, 0.3]],  # labels 1 0 1 0
        ]
    )
    dis = ensembling.disagreement(probs)
    np.testing.assert_allclose(dis, [[0, 0.5, 1.0], [0.5, 0, 0.5], [1.0, 0.5, 0]])
    cor = ensembling.correlation(probs)
    x, y = probs[0].ravel(), probs[1].ravel()
    expected = np.sum((x - x.mean()) * (y - y.mean())) / np.sqrt(
        np.sum((x - x.mean()) ** 2) * np.sum((y - y.mean()) ** 2)
    )
    assert cor[0, 1] == pytest.approx(expected) and cor[1, 0] == pytest.approx(expected)
    np.testing.assert_allclose(np.diag(cor), 1.0)
    table = ensembling.diversity_table(probs)
    assert len(table) == 9
    row = table[(table.i == 1) & (table.j == 3)].iloc[0]
    assert row.disagreement == 1.0


def test_fit_weights_prefers_the_informative_member():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 200)
    good = np.full((200, 3), 0.05)
    good[np.arange(200), y] = 0.9
    noise = rng.dirichlet(np.ones(3), size=200)
    w = ensembling.fit_weights(np.stack([noise, good]), y)
    assert w.sum() == pytest.approx(1) and (w >= 0).all()
    assert w[1] > 0.95
    same = ensembling.fit_weights(np.stack([good, good]), y)
    np.testing.assert_allclose(same, [0.5, 0.5])


def test_fit_weights_minimises_validation_log_loss(case):
    probs, y = case
    w = ensembling.fit_weights(probs, y)
    best = metrics.nll(y, ensembling.weighted_average(probs, w))
    assert best <= metrics.nll(y, probs.mean(axis=0)) + 1e-12
    rng = np.random.default_rng(2)
    for _ in range(20):  # no random point of the simplex does better
        other = rng.dirichlet(np.ones(len(probs)))
        assert best <= metrics.nll(y, ensembling.weighted_average(probs, other)) + 1e-9


def test_subset_nll_by_hand():
    # 3 members, 2 samples (true class 0 for both), probabilities of class 0:
    # member 1: 0.5, 0.5; member 2: 0.9, 0.1; member 3: 0.3, 0.7
    p0 = np.array([[0.5, 0.5], [0.9, 0.1], [0.3, 0.7]])
    probs = np.stack([p0, 1 - p0], axis=2)
    y = np.array([0, 0])

    def nll(a, b):  # the NLL of one ensemble whose class-0 probabilities are a and b
        return -(np.log(a) + np.log(b)) / 2

    singles = (nll(0.5, 0.5) + nll(0.9, 0.1) + nll(0.3, 0.7)) / 3
    pairs = (nll(0.7, 0.3) + nll(0.4, 0.6) + nll(0.6, 0.4)) / 3
    lp = np.log(probs)
    assert ensembling.subset_nll(lp, y, 1) == pytest.approx(singles, rel=1e-12)
    assert ensembling.subset_nll(lp, y, 2) == pytest.approx(pairs, rel=1e-12)
    assert ensembling.subset_nll(lp, y, 3) == pytest.approx(nll(1.7 / 3, 1.3 / 3), rel=1e-12)
    # per fold: the even fold is sample 1, the odd fold sample 2
    folds = ensembling.subset_nlls(lp, y, 2)
    assert folds["subset_nll_even"] == pytest.approx(
        -(np.log(0.7) + np.log(0.4) + np.log(0.6)) / 3, rel=1e-12
    )
    assert folds["subset_nll_odd"] == pytest.approx(-(np.log(0.3) + np.log(0.6) + np.log(0.4)) / 3, rel=1e-12)


def test_calibrated_subset_curve_by_enumerating_the_subsets(case):
    from itertools import combinations

    from snapens.evaluate.calibration import temperature_scaled

    probs, y = case
    for k in (1, 2, 4):
        each = [
            temperature_scaled(y, probs[list(s)].mean(axis=0)) for s in combinations(range(len(probs)), k)
        ]
        got = ensembling.subset_calibrated_nll(np.log(probs), y, k)
        for fold in ("even", "odd"):
            expected = np.mean([e[f"nll_calibrated_{fold}"] for e in each])
            assert got[f"subset_nll_calibrated_{fold}"] == pytest.approx(expected, rel=1e-10)


def test_the_curves_end_at_the_full_ensemble_and_are_computed_only_when_asked(case):
    probs, y = case
    plain, calibrated = (
        ensemble_table.last_k_table(np.log(probs), y),
        ensemble_table.last_k_table(np.log(probs), y, subset_curves=True),
    )
    assert plain[metrics.subset_columns()].isna().all().all()
    assert calibrated[metrics.subset_columns()].notna().all().all()
    full = calibrated.iloc[-1]
    for fold in ("even", "odd"):  # the one M-subset is the full ensemble: its values, bit for bit
        assert full[f"subset_nll_{fold}"] == full[f"nll_{fold}"]
        assert full[f"subset_nll_calibrated_{fold}"] == full[f"nll_calibrated_{fold}"]


def test_subset_nll_never_rises_with_k_and_ends_at_the_full_ensemble(case):
    probs, y = case
    table = ensemble_table.last_k_table(np.log(probs), y, subset_curves=True)
    assert np.all(np.diff(table["subset_nll"]) <= 1e-12)  # the NLL of an average <= the average NLL
    assert table["subset_nll"].iloc[-1] == table["nll"].iloc[-1]
    assert table["subset_nll"].iloc[0] == pytest.approx(np.mean([metrics.nll(y, p) for p in probs]))


def test_subsets_are_all_of_them_or_a_fixed_draw():
    assert ensembling.subsets(4, 2).tolist() == [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]
    drawn = ensembling.subsets(30, 15, limit=50)
    assert drawn.shape == (50, 15) and len({tuple(r) for r in drawn.tolist()}) == 50
    assert (ensembling.subsets(30, 15, limit=50) == drawn).all()
    # 19 of the 20 3-subsets of 6: batches repeat subsets, the draw still ends distinct
    few = ensembling.subsets(6, 3, limit=19)
    assert len({tuple(r) for r in few.tolist()}) == 19
    assert all(r == sorted(set(r)) and 0 <= r[0] and r[-1] < 6 for r in few.tolist())


def test_calibrated_and_capped_metrics_follow_the_four_and_the_capped_nlls_are_headline():
    assert list(metrics.METRICS) == [
        "accuracy",
        "nll",
        "brier",
        "ece",
        "nll_calibrated",
        "ece_calibrated",
        "nll_capped",
        "nll_calibrated_capped",
    ]
    # the front page answers "how much of the NLL gain is more than calibration?", on the
    # capped NLLs (the rule fixed in advance: one run must not decide a verdict)
    for name, label, headline in (
        ("nll", "NLL", False),
        ("nll_calibrated", "calibrated NLL", False),
        ("ece_calibrated", "calibrated ECE", False),
        ("nll_capped", "capped NLL", True),
        ("nll_calibrated_capped", "capped calibrated NLL", True),
    ):
        m = metrics.metric(name)
        assert (m.label, m.higher_is_better, m.headline, m.count) == (label, False, headline, False)
    for name in metrics.TEMPERATURES:
        with pytest.raises(ValueError, match="already defined"):
            metrics.register(metrics.Metric(name, metrics.nll, False, name))


def test_run_tables_have_the_columns_the_study_reads(case):
    from snapens.evaluate.runfiles import empty_table, table_columns

    probs, y = case
    columns = table_columns()
    folds = [c for name in metrics.METRICS for c in metrics.fold_columns(name)]
    evaluated = (*metrics.METRICS, *metrics.TEMPERATURES, *folds)
    members = ensembling.member_table(np.log(probs), y, epochs=range(5))
    assert (
        tuple(members.columns)
        == columns["members"]
        == (
            "member",
            "epoch",
            *evaluated,
            "nonfinite_rows",
            "diverged",
        )
    )
    assert tuple(ensemble_table.last_k_table(np.log(probs), y).columns) == columns["ensemble"]
    assert list(empty_table("averaged").columns) == ["model", *evaluated, "nonfinite_rows", "diverged"]
    assert list(empty_table("weighted").columns) == ["model", *evaluated, "weights"]


def test_logsumexp_matches_hand_values_without_overflow():
    from snapens.evaluate.scores import logsumexp

    # log(e^0 + e^0) = log 2; log(e^1000 + e^1000) = 1000 + log 2 (exp(1000) overflows)
    a = np.array([[0.0, 0.0], [1000.0, 1000.0], [-np.inf, -np.inf], [-2000.0, -np.inf]])
    out = logsumexp(a, axis=1)
    assert out[0] == pytest.approx(np.log(2.0), abs=1e-15)
    assert out[1] == pytest.approx(1000 + np.log(2.0), rel=1e-15)
    assert out[2] == -np.inf  # no term: probability 0, not NaN
    assert out[3] == -2000.0
    assert logsumexp(a, axis=1, keepdims=True).shape == (4, 1)


def test_log_softmax_of_a_hand_computed_row():
    from snapens.evaluate.scores import log_softmax

    # softmax([log 1, log 3]) = [1/4, 3/4], whatever the common shift (a shift
    # of 800 keeps ~1e-13 of log 3: the spacing of floats near 800)
    z = np.log(np.array([[1.0, 3.0], [1.0, 3.0]])) + np.array([[0.0], [800.0]])
    np.testing.assert_allclose(log_softmax(z), np.log([[0.25, 0.75], [0.25, 0.75]]), rtol=0, atol=1e-12)


def test_last_k_grows_each_ensemble_by_its_next_older_member():
    # three members of one row, probabilities chosen so each average is exact:
    # last 1 = [0.2, 0.8]; last 2 = ([0.6, 0.4] + [0.2, 0.8]) / 2 = [0.4, 0.6];
    # last 3 = ([1.0, 0.0] + [0.6, 0.4] + [0.2, 0.8]) / 3 = [0.6, 0.4]
    probs = np.array([[[1.0, 0.0]], [[0.6, 0.4]], [[0.2, 0.8]]])
    with np.errstate(divide="ignore"):
        lp = np.log(probs)
    got = list(ensembling.last_k(lp))
    assert [k for k, _, _ in got] == [1, 2, 3]
    expected = [[0.2, 0.8], [0.4, 0.6], [0.6, 0.4]]
    for (_, averaged, _), want in zip(got, expected, strict=True):
        np.testing.assert_allclose(np.exp(averaged[0]), want, rtol=1e-12)
    # votes: last 1 -> class 1; last 2 -> classes 0 and 1 tie, summed 0.8 < 1.2 -> 1;
    # last 3 -> two votes for 0
    assert [int(v[0]) for _, _, v in got] == [1, 1, 0]


def test_a_diverged_model_by_hand():
    from snapens.evaluate.scores import DIVERGED_NATS, diverged

    y = np.array([0, 1])
    fine = np.log(np.array([[0.9, 0.1], [0.3, 0.7]]))
    assert not diverged(y, fine)
    assert DIVERGED_NATS == pytest.approx(-math.log(5e-324), rel=1e-3)  # float64's smallest positive number
    saturated = np.array([[0.0, -700.0], [-743.0, 0.0]])  # true classes at 0 nats: not diverged
    assert not diverged(y, saturated)
    wrong = np.array([[-800.0, 0.0], list(np.log([0.3, 0.7]))])  # a row's true class at 800 nats
    assert diverged(y, wrong) and diverged(y, fine, nonfinite_rows=1)
    table = ensembling.member_table(np.stack([fine, wrong]), y, epochs=[0, 1], nonfinite=[0, 0])
    assert table["diverged"].tolist() == [0, 1]


def test_the_capped_nll_counts_a_row_at_most_13_8_nats():
    from snapens.evaluate.scores import NLL_CAP, nll_capped_log, nll_log

    y = np.array([0, 0])
    lp = np.log(np.array([[0.5, 0.5], [1e-9, 1 - 1e-9]]))
    assert NLL_CAP == pytest.approx(-math.log(1e-6))
    assert nll_log(y, lp) == pytest.approx((math.log(2) - math.log(1e-9)) / 2, rel=1e-9)
    assert nll_capped_log(y, lp) == pytest.approx((math.log(2) + 13.815510557964274) / 2, rel=1e-12)


def test_a_metric_checks_each_matrix_once_and_gives_the_values_of_separate_calls():
    """evaluate() checks one matrix (and each fold's) once for all its
    metrics (a memo): every value is bit for bit that of calling the metric
    alone on a fresh copy of its rows, and the checks it runs are counted."""
    from unittest import mock

    from snapens.evaluate import scores

    rng = np.random.default_rng(5)
    y = rng.integers(0, 3, 101)
    z = rng.normal(size=(101, 3)) * 3
    lp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    with mock.patch.object(scores, "check", wraps=scores.check) as check:
        values = metrics.evaluate(y, evaluation={"ece_bins": 15}, log_probs=lp)
    # probabilities: the whole matrix and its two folds (one check each), and
    # the calibrated ECE's four scaled matrices (its own)
    computed = [c for c in check.call_args_list if c.args[2:] in ((), (None,)) and not c.kwargs.get("memo")]
    assert len(computed) == 3 + 4  # against 9 + 4 when each metric checked its matrix
    _, checked = scores.check_log(y, lp)
    p = np.exp(checked)
    rows = {"": np.arange(101), "_even": np.arange(0, 101, 2), "_odd": np.arange(1, 101, 2)}
    for suffix, r in rows.items():
        assert values[f"accuracy{suffix}"] == scores.accuracy(y[r].copy(), p[r].copy())
        assert values[f"brier{suffix}"] == scores.brier(y[r].copy(), p[r].copy())
        assert values[f"ece{suffix}"] == scores.ece(y[r].copy(), p[r].copy(), ece_bins=15)
        assert values[f"nll{suffix}"] == scores.nll_log(y[r].copy(), checked[r].copy())
        assert values[f"nll_capped{suffix}"] == scores.nll_capped_log(y[r].copy(), checked[r].copy())


def test_the_memo_keeps_a_result_per_pair_of_objects():
    from snapens.evaluate.scores import memoised

    calls = []
    memo = {}
    a, b, y = np.zeros(2), np.zeros(2), np.zeros(2)
    first = memoised(memo, "f", y, a, lambda *args: calls.append(args) or len(calls))
    assert memoised(memo, "f", y, a, lambda *args: calls.append(args) or len(calls)) == first == 1
    assert (
        memoised(memo, "f", y, b, lambda *args: calls.append(args) or len(calls)) == 2
    )  # an equal copy: computed
    assert memoised(None, "f", y, a, lambda *args: calls.append(args) or len(calls)) == 3  # no memo: always
