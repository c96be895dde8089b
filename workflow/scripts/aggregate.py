from snapens.jobs import aggregate, job_log, run_dirs

with job_log(snakemake.log[0]):
    aggregate(
        snakemake.input.data,
        run_dirs(snakemake.output.ensemble),
        ece_bins=snakemake.params.ece_bins,
    )
