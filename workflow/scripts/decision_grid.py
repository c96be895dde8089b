from snapens.core.logs import job_log
from snapens.core.paths import as_file_list
from snapens.evaluate.rule_decision_grid import decision_grid

with job_log(snakemake):
    decision_grid(
        snakemake.input.data,
        snakemake.params.runs,
        snakemake.params.seed,
        snakemake.output[0],
        trained=as_file_list(snakemake.input.trained),
    )
