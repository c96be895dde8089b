"""Stage 4 of the DAG, rule ``summarise``: the study tables, across repeats.

The statistics: :mod:`~snapens.analyse.statistics` (intervals and paired
tests), :mod:`~snapens.analyse.comparisons` (a table's paired comparisons and
their Holm families), :mod:`~snapens.analyse.selection` (cross-fitted
choices), :mod:`~snapens.analyse.dee` (the deep ensemble equivalent) and
:mod:`~snapens.analyse.limits` (the Bayes-optimal classifier).

The tables of ``{results}/tables/``: :mod:`~snapens.analyse.tables` (runs,
summary, curves; the list of every table), :mod:`~snapens.analyse.paired_table`
with :mod:`~snapens.analyse.baselines`, :mod:`~snapens.analyse.dee_table`,
:mod:`~snapens.analyse.sweep_table`; what their readers rely on:
:mod:`~snapens.analyse.contract` and :mod:`~snapens.analyse.grid`.

The front pages: :mod:`~snapens.analyse.summary` (``summary.md``) and
:mod:`~snapens.analyse.headline` (``headline.rst``), from
:mod:`~snapens.analyse.answer`, :mod:`~snapens.analyse.glossary`,
:mod:`~snapens.analyse.sweep_text`, :mod:`~snapens.analyse.dee_text`,
:mod:`~snapens.analyse.limit_text`, :mod:`~snapens.analyse.draws` and
:mod:`~snapens.analyse.wording`.

:mod:`~snapens.analyse.rule_summarise` is the rule's body.
"""
