from snapens.core.logs import job_log
from snapens.core.paths import as_file_list, run_dirs
from snapens.evaluate.rule_aggregate import aggregate

with job_log(snakemake):
    aggregate(
        as_file_list(snakemake.input.data),
        run_dirs(snakemake.output.manifest, snakemake.params.seeds),
        snakemake.params.evaluation,
        evaluated=[snakemake.input.evaluated],
        manifest=snakemake.output.manifest,
    )
