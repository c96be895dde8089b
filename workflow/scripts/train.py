from snapens.core.logs import job_log
from snapens.core.paths import as_file_list, trained_run_dirs
from snapens.train.rule_train import train_job

manifest, seeds = snakemake.output.manifest, snakemake.params.seeds
with job_log(snakemake):
    train_job(
        as_file_list(snakemake.input.data),
        [
            {"run_config": c, "run_dirs": trained_run_dirs(manifest, c["method"], seeds)}
            for c in snakemake.params.run_configs
        ],
        seeds,
        threads=snakemake.threads,
        manifest=manifest,
    )
