from snapens.logs import job_log
from snapens.stages.summarise import summarise

with job_log(snakemake.log[0]):
    summarise(
        snakemake.params.runs,
        snakemake.params.data,
        dict(snakemake.output.items()),
        snakemake.params.evaluation,
        snakemake.params.title,
        snakemake.params.references,
        snakemake.params.study,
        snakemake.params.sweeps,
        snakemake.params.methods,
        manifests=snakemake.input.manifests,
    )
