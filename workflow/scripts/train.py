from snapens.jobs import job_log, run_dirs, train

with job_log(snakemake.log[0]):
    train(
        snakemake.input.data,
        run_dirs(snakemake.output.training),
        snakemake.params.seeds,
        snakemake.params.run_config,
        threads=snakemake.threads,
    )
