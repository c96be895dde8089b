from snapens.logs import job_log
from snapens.runfiles import run_dirs
from snapens.stages.aggregate import aggregate

with job_log(snakemake.log[0]):
    aggregate(
        snakemake.input.data,
        run_dirs(snakemake.output.ensemble),
        snakemake.params.evaluation,
    )
