from snapens.logs import job_log
from snapens.stages.make_dataset import make_dataset

with job_log(snakemake.log[0]):
    make_dataset(snakemake.params.spec, snakemake.output[0])
