"""Stage 1 of the DAG, rule ``make_dataset``: the datasets, made once and
fixed across repeats (:mod:`~snapens.data.kinds`, the registry of kinds;
:mod:`~snapens.data.dataset`, the arrays and their splits;
:mod:`~snapens.data.files`, a user's own file; :mod:`~snapens.data.rule_make_dataset`,
the rule's body)."""
