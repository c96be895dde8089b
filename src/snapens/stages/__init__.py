"""The body of each workflow rule, one module per rule, callable without Snakemake.

Each function takes plain paths and values; ``workflow/scripts/{rule}.py``
only unpacks the ``snakemake`` object and calls the function of the same name
inside :func:`snapens.logs.job_log`. Run-level stages handle a chunk of runs
(``run_dirs``, paired with ``seeds``) and write the job's manifest
(:mod:`snapens.chunks`), the one file Snakemake is told of; a run's numbers do
not depend on the chunk it is in.

=================  ===============================================================
``make_dataset``   one dataset, ``results/data/{dataset}.npz``
``train``          seeded runs: snapshots, ``training.csv``, ``run.json``
``evaluate``       every snapshot on the test set: ``probabilities.npz``,
                   ``members.csv``, ``averaged.csv``
``aggregate``      last-k ensembles, diversity, member weights: ``ensemble.csv``,
                   ``diversity.csv``, ``weighted.csv``
``summarise``      the study tables (:mod:`snapens.tables`, :mod:`snapens.reporting`)
``decision_grid``  the final model's and ensemble's probabilities over a 2-D grid
``plot``           one figure of a family of :data:`snapens.figures.FAMILIES`
=================  ===============================================================
"""
