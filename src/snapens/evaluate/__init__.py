"""Stage 3 of the DAG, rules ``evaluate``, ``aggregate`` and ``decision_grid``:
every snapshot on the test set, then the ensembles of each run.

:mod:`~snapens.evaluate.scores`, :mod:`~snapens.evaluate.calibration` and
:mod:`~snapens.evaluate.metrics` (the registry of reported metrics);
:mod:`~snapens.evaluate.inference` and :mod:`~snapens.evaluate.loading`
(snapshots read and predicted without TensorFlow);
:mod:`~snapens.evaluate.ensembling` (last-k, vote, weights, diversity);
:mod:`~snapens.evaluate.runfiles` (the per-run files as a contract);
:mod:`~snapens.evaluate.rule_evaluate`, :mod:`~snapens.evaluate.rule_aggregate`,
:mod:`~snapens.evaluate.rule_decision_grid` (the rules' bodies).
"""
