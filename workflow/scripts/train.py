from snapens.logs import job_log
from snapens.runfiles import run_dirs
from snapens.stages.train import train

with job_log(snakemake.log[0]):
    train(
        snakemake.input.data,
        run_dirs(snakemake.output.training),
        snakemake.params.seeds,
        snakemake.params.run_config,
        threads=snakemake.threads,
    )
