from snapens.core.logs import job_log
from snapens.core.paths import as_file_list, run_dirs
from snapens.train.rule_train import train

with job_log(snakemake):
    train(
        as_file_list(snakemake.input.data),
        run_dirs(snakemake.output.manifest, snakemake.params.seeds),
        snakemake.params.seeds,
        snakemake.params.run_config,
        threads=snakemake.threads,
        manifest=snakemake.output.manifest,
    )
