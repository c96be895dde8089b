"""The project's tooling, run from a checkout by the Makefile's targets and
never installed: benchmarks (:mod:`tools.bench_training`,
:mod:`tools.bench_study`), the cluster wall-time prediction
(:mod:`tools.cluster`) and the report checker (:mod:`tools.report_check`)."""
