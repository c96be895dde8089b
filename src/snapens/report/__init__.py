"""Stage 5 of the DAG, rules ``plot_{family}``: figures drawn from the
tables alone (:mod:`~snapens.report.figures`, the registry of figure
families; :mod:`~snapens.report.plotting`, the drawing functions;
:mod:`~snapens.report.rule_plot`, the rules' body)."""
