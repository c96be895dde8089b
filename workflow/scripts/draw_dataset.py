from snapens.core.logs import job_log
from snapens.data.rule_make_dataset import make_dataset

with job_log(snakemake):
    make_dataset(snakemake.params.spec, snakemake.output[0], seed=int(snakemake.wildcards.seed))
