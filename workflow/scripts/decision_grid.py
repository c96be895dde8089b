from snapens.logs import job_log
from snapens.stages.decision_grid import decision_grid

with job_log(snakemake.log[0]):
    decision_grid(
        snakemake.input.data,
        snakemake.params.runs,
        snakemake.params.seed,
        snakemake.output[0],
        trained=snakemake.input.trained,
    )
