from pathlib import Path

from snapens.logs import job_log
from snapens.stages.aggregate import aggregate

with job_log(snakemake.log[0]):
    aggregate(
        snakemake.input.data,
        [Path(f).parent for f in snakemake.output.ensemble],
        snakemake.params.evaluation,
    )
