"""Stage 5 of the DAG, rules ``plot_{family}``: figures drawn from the
tables alone (:mod:`~snapens.report.figures`, the registry of figure
families; :mod:`~snapens.report.style`, what every figure shares; the
drawing functions by subject: :mod:`~snapens.report.runs`,
:mod:`~snapens.report.members`, :mod:`~snapens.report.dee`,
:mod:`~snapens.report.sweeps`, :mod:`~snapens.report.frontier`;
:mod:`~snapens.report.layout`, the figure check;
:mod:`~snapens.report.rule_plot`, the rules' body)."""
