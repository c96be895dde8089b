"""What every stage shares, and no science: atomic I/O
(:mod:`~snapens.core.io`), the output layout (:mod:`~snapens.core.paths`),
job manifests (:mod:`~snapens.core.manifests`), job logs
(:mod:`~snapens.core.logs`), provenance, process set-up
(:mod:`~snapens.core.runtime`), a run's settings and the study's identity
(:mod:`~snapens.core.settings`) and grids of a method's settings
(:mod:`~snapens.core.sweeps`)."""
