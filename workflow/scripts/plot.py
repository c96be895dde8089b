# Every plot_{family} rule: draw one registered figure family for one dataset.
from snapens.core.logs import job_log
from snapens.report.rule_plot import plot

with job_log(snakemake):
    plot(
        snakemake.params.family,
        {name: path for name, path in snakemake.input.items() if name != "code"},
        snakemake.wildcards.dataset,
        snakemake.params.figure,
        snakemake.output.png.removesuffix(".png"),
    )
