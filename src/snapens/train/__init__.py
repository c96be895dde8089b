"""Stage 2 of the DAG, rule ``train``: seeded runs that save snapshots.

:mod:`~snapens.train.schedules` (learning rates and snapshot epochs),
:mod:`~snapens.train.model` (the MLP and its seeds), :mod:`~snapens.train.lanes`
(which models a job trains side by side), :mod:`~snapens.train.loop` (the
compiled training loop; imports TensorFlow), :mod:`~snapens.train.archives`
and :mod:`~snapens.train.snapshots` (the ``.keras`` files), and
:mod:`~snapens.train.rule_train` (the rule's body).
"""
