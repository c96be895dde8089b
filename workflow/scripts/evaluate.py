from snapens.logs import job_log
from snapens.runfiles import run_dirs
from snapens.stages.evaluate import evaluate

with job_log(snakemake.log[0]):
    evaluate(
        snakemake.input.data,
        run_dirs(snakemake.output.members),
        snakemake.params.evaluation,
        threads=snakemake.threads,
    )
