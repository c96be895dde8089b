from snapens.logs import job_log
from snapens.stages.train import train

with job_log(snakemake.log[0]):
    train(
        snakemake.input.data,
        snakemake.params.runs,
        snakemake.params.seeds,
        snakemake.params.run_config,
        threads=snakemake.threads,
        manifest=snakemake.output.manifest,
    )
