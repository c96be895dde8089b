from snapens.jobs import evaluate, job_log, run_dirs

with job_log(snakemake.log[0]):
    evaluate(
        snakemake.input.data,
        run_dirs(snakemake.output.members),
        ece_bins=snakemake.params.ece_bins,
        threads=snakemake.threads,
    )
