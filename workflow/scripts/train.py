from pathlib import Path

from snapens.logs import job_log
from snapens.stages.train import train

with job_log(snakemake.log[0]):
    train(
        snakemake.input.data,
        [Path(f).parent for f in snakemake.output.training],
        snakemake.params.seeds,
        snakemake.params.run_config,
        threads=snakemake.threads,
    )
