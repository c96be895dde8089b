from snapens.core.logs import job_log
from snapens.core.paths import listed, run_dirs
from snapens.evaluate.rule_aggregate import aggregate

with job_log(snakemake):
    aggregate(
        listed(snakemake.input.data),
        run_dirs(snakemake.output.manifest, snakemake.params.seeds),
        snakemake.params.evaluation,
        evaluated=[snakemake.input.evaluated],
        manifest=snakemake.output.manifest,
    )
