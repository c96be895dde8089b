"""Snapshot ensembles, studied reproducibly: the library of the study's
Snakemake workflow.

Its subpackages follow the workflow's DAG, and each imports only from those
before it (tested): :mod:`snapens.core` (shared plumbing),
:mod:`snapens.data` (rule ``make_dataset``), :mod:`snapens.train` (``train``),
:mod:`snapens.evaluate` (``evaluate``, ``aggregate``, ``decision_grid``),
:mod:`snapens.analyse` (``summarise``), :mod:`snapens.report`
(``plot_{family}``) and :mod:`snapens.plan` (what the Snakefile plans with).
Only the training job imports TensorFlow (:mod:`snapens.train.loop`, after
:func:`snapens.core.runtime.configure`), so every other job starts fast. ``docs/architecture.md`` maps every module to its rules.
"""

__version__ = "0.2.0"
