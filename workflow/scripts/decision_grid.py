from snapens.core.logs import job_log
from snapens.core.paths import as_file_list, trained_run_dirs
from snapens.evaluate.rule_decision_grid import decision_grid

seed, trained = snakemake.params.seed, as_file_list(snakemake.input.trained)
with job_log(snakemake):
    decision_grid(
        snakemake.input.data,
        {m: trained_run_dirs(trained[i], m, [seed])[0] for m, i in snakemake.params.trained_by.items()},
        seed,
        snakemake.output[0],
        trained=trained,
    )
