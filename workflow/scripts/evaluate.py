from snapens.core.logs import job_log
from snapens.core.paths import as_file_list, run_dirs
from snapens.evaluate.rule_evaluate import evaluate

with job_log(snakemake):
    evaluate(
        as_file_list(snakemake.input.data),
        run_dirs(snakemake.output.manifest, snakemake.params.seeds),
        snakemake.params.evaluation,
        threads=snakemake.threads,
        trained=[snakemake.input.trained],
        manifest=snakemake.output.manifest,
    )
