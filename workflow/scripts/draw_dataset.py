from snapens.core.logs import job_log
from snapens.data.rule_make_dataset import draw_datasets

with job_log(snakemake):
    draw_datasets(snakemake.params.spec, snakemake.output[0], snakemake.params.seeds)
