"""tools/verdict_changes.py: verdicts of two paired tables matched by their keys."""

import pandas as pd

from tools import verdict_changes

ROW = {
    "dataset": "d",
    "comparison": "final",
    "family": "",
    "a_method": "m",
    "a_model": "ensemble",
    "b_method": "m",
    "b_model": "final",
    "n": 20,
    "mean_diff": -0.01,
    "p_value": 0.01,
    "p_holm": 0.02,
    "wins": 15,
    "ties": 0,
    "losses": 5,
}


def tables(tmp_path, name, verdicts):
    """A tables/ directory whose paired_tests.csv has one row per (metric, method, verdict)."""
    folder = tmp_path / name
    folder.mkdir()
    rows = [ROW | {"metric": metric, "a_method": m, "b_method": m, "verdict": v} for metric, m, v in verdicts]
    pd.DataFrame(rows).to_csv(folder / "paired_tests.csv", index=False)
    return folder


def test_changed_verdicts_are_counted_and_listed(tmp_path, capsys):
    before = tables(
        tmp_path,
        "before",
        [
            ("nll", "a", "better"),
            ("nll", "b", "unclear"),
            ("accuracy", "a", "worse"),
            ("ece", "a", "not tested"),
        ],
    )
    # nll_capped exists only after: left out; ece "not tested" is no test
    after = tables(
        tmp_path,
        "after",
        [
            ("nll", "a", "better"),
            ("nll", "b", "too few repeats"),
            ("accuracy", "a", "unclear"),
            ("nll_capped", "a", "better"),
        ],
    )
    both = verdict_changes.matched(verdict_changes.read(before), verdict_changes.read(after))
    assert sorted(both["metric"]) == ["accuracy", "nll", "nll"]
    counts = verdict_changes.counts(both).set_index("metric")
    assert counts.loc["nll", "tests"] == 2 and counts.loc["nll", "changed"] == 1
    assert counts.loc["nll", "better (before)"] == counts.loc["nll", "better (after)"] == 1
    assert counts.loc["accuracy", "worse (before)"] == 1 and counts.loc["accuracy", "unclear (after)"] == 1
    changed = verdict_changes.changes(both)
    assert sorted(zip(changed.metric, changed.verdict_before, changed.verdict_after)) == [
        ("accuracy", "worse", "unclear"),
        ("nll", "unclear", "too few repeats"),
    ]
    verdict_changes.main([str(before), str(after), "--metrics", "nll", "--out", str(tmp_path / "c.md")])
    assert "too few repeats" in capsys.readouterr().out and (tmp_path / "c.md").exists()


def test_a_new_metric_is_set_beside_the_one_it_replaced(tmp_path):
    before = tables(tmp_path, "before", [("nll", "a", "unclear")])
    after = tables(tmp_path, "after", [("nll", "a", "unclear"), ("nll_capped", "a", "better")])
    out = tmp_path / "c.md"
    verdict_changes.main([str(before), str(after), "--pair", "nll_capped=nll", "--out", str(out)])
    changed = out.read_text().split("\n\n")[1]  # the capped NLL read as the NLL it replaced
    rows = [r for r in changed.splitlines() if r.startswith("| d ")]
    assert len(rows) == 1 and "| unclear " in rows[0] and "| better " in rows[0]
