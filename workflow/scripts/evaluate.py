from pathlib import Path

from snapens.logs import job_log
from snapens.stages.evaluate import evaluate

with job_log(snakemake.log[0]):
    evaluate(
        snakemake.input.data,
        [Path(f).parent for f in snakemake.output.members],
        snakemake.params.evaluation,
        threads=snakemake.threads,
    )
