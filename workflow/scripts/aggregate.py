from snapens.logs import job_log
from snapens.stages.aggregate import aggregate

with job_log(snakemake.log[0]):
    aggregate(
        snakemake.input.data,
        snakemake.params.runs,
        snakemake.params.evaluation,
        evaluated=[snakemake.input.evaluated],
        manifest=snakemake.output.manifest,
    )
