"""The committed findings (docs/findings/, README's "Findings") are what
their tables give, their tables are the ones committed, and their config is
config/sweep.yaml as it stands; the answer's sentences carry the numbers of
the rows they name."""

import json
import re
import shutil

import pandas as pd
import pytest
import yaml

from snapens.analyse.answer import answer_claims, judged_groups
from snapens.data.kinds import redrawn_pairs
from tools import findings
from workflow_utils import ROOT, check_claims

NUMBER = re.compile(r"[+-]?\d+\.\d+")


@pytest.fixture
def copy(tmp_path):
    """docs/findings and README.md copied, to be damaged."""
    folder = tmp_path / "findings"
    shutil.copytree(findings.FINDINGS, folder)
    readme = tmp_path / "README.md"
    shutil.copyfile(ROOT / "README.md", readme)
    return folder, readme


def test_the_committed_findings_agree_with_their_tables_and_the_sweep_config():
    assert findings.problems() == []


def test_a_number_edited_by_hand_in_the_text_fails(copy):
    folder, readme = copy
    text = readme.read_text()
    block = text[text.index(findings.BEGIN) :]
    number = NUMBER.search(block).group(0)
    digit = number[-1]
    edited = number[:-1] + str((int(digit) + 1) % 10)
    readme.write_text(text.replace(block, block.replace(number, edited, 1)))
    assert any("README.md" in p for p in findings.problems(folder, readme))


def test_a_table_edited_by_hand_fails(copy):
    folder, readme = copy
    sweep = (folder / "sweep.csv").read_text()
    (folder / "sweep.csv").write_text(sweep.replace(",20,", ",21,", 1))
    assert findings.problems(folder, readme)


def test_a_changed_sweep_config_fails(copy, tmp_path):
    folder, readme = copy
    config = yaml.safe_load((ROOT / findings.CONFIG).read_text())
    config["study"]["repeats"] += 1
    changed = tmp_path / "sweep.yaml"
    changed.write_text(yaml.safe_dump(config))
    assert any("config hash" in p for p in findings.problems(folder, readme, changed))


def committed():
    study = json.loads((findings.FINDINGS / "study.json").read_text())["config"]
    sweep = pd.read_csv(findings.FINDINGS / "sweep.csv")
    return sweep, redrawn_pairs(study["datasets"])


def test_every_number_of_the_answer_is_in_the_row_it_names():
    """Each decimal a claim writes is one of its named columns (times the
    claim's sign, so that a gain is positive), rounded as written."""
    sweep, draws = committed()
    assert check_claims(answer_claims(None, None, sweep, draws), findings.FINDINGS) >= 6


def test_pays_counts_match_the_verdicts_counted_directly():
    """ "pays at k of n": k counted here from sweep.csv's verdict columns,
    without the answer module: both equal-cost verdicts "better"."""
    sweep, draws = committed()
    text = " ".join(c.text for p in answer_claims(None, None, sweep, draws) for c in p)
    for dataset in sweep.dataset.unique():
        g = sweep[(sweep.dataset == dataset) & (sweep.role == "judged") & (sweep.members > 1)]
        if dataset in draws or not len(g):
            continue
        first = g[g.base == g.base.iloc[0]]
        pays = (
            (first["vs_single_nll_calibrated_capped_verdict"] == "better")
            & (first["vs_equal_nll_calibrated_capped_verdict"] == "better")
        ).sum()
        paragraph = text[text.index(f"**{dataset}**") :]
        assert f"Capped calibrated NLL: pays at {pays} of {len(first)} grid points" in paragraph


def test_judged_groups_skip_the_baselines_own_grids():
    sweep, _ = committed()
    bases = {base for d in sweep.dataset.unique() for base, _ in judged_groups(sweep, d)}
    assert bases == {"snapshot", "snapshot_step"}
