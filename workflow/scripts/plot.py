# Every plot_{family} rule: draw one registered figure family for one dataset.
from snapens.logs import job_log
from snapens.stages.plot import plot

with job_log(snakemake.log[0]):
    plot(
        snakemake.params.family,
        dict(snakemake.input.items()),
        snakemake.wildcards.dataset,
        snakemake.params.figure,
        snakemake.output.png.removesuffix(".png"),
    )
