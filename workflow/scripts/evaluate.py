from snapens.logs import job_log
from snapens.stages.evaluate import evaluate

with job_log(snakemake.log[0]):
    evaluate(
        snakemake.input.data,
        snakemake.params.runs,
        snakemake.params.evaluation,
        threads=snakemake.threads,
        trained=[snakemake.input.trained],
        manifest=snakemake.output.manifest,
    )
