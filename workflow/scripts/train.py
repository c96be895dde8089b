from snapens.core.logs import job_log
from snapens.core.paths import as_file_list
from snapens.train.rule_train import train_job

with job_log(snakemake):
    train_job(
        as_file_list(snakemake.input.data),
        snakemake.params.units,
        snakemake.params.seeds,
        threads=snakemake.threads,
        manifest=snakemake.output.manifest,
    )
