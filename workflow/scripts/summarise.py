from snapens.jobs import job_log, summarise

with job_log(snakemake.log[0]):
    summarise(
        snakemake.params.runs,
        dict(snakemake.output.items()),
        snakemake.params.confidence,
        snakemake.params.title,
        snakemake.params.independent,
        snakemake.params.study,
    )
