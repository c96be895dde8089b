"""What the workflow plans with before any job runs: the config checks
(:mod:`~snapens.plan.config`), chunks of runs (:mod:`~snapens.plan.chunks`),
the cost model (:mod:`~snapens.plan.cost`) and the library files each rule's
job runs (:mod:`~snapens.plan.sources`). Imported by the Snakefile, never by a
job."""
