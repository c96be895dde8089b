from snapens.jobs import job_log, make_data

with job_log(snakemake.log[0]):
    make_data(snakemake.params.spec, snakemake.output[0])
