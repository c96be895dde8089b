"""Stage 4 of the DAG, rule ``summarise``: the study tables, across repeats.

:mod:`~snapens.analyse.statistics` (intervals and paired tests),
:mod:`~snapens.analyse.dee` (the deep ensemble equivalent),
:mod:`~snapens.analyse.tables` (every table of ``{results}/tables/``),
:mod:`~snapens.analyse.summary` (``summary.md`` and the headline) and
:mod:`~snapens.analyse.rule_summarise` (the rule's body).
"""
