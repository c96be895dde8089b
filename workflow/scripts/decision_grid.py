from snapens.core.logs import job_log
from snapens.core.paths import as_file_list, run_dirs
from snapens.evaluate.rule_decision_grid import decision_grid

seed, trained = snakemake.params.seed, as_file_list(snakemake.input.trained)
with job_log(snakemake):
    decision_grid(
        snakemake.input.data,
        {
            method: run_dirs(manifest, [seed])[0]
            for method, manifest in zip(snakemake.params.methods, trained)
        },
        seed,
        snakemake.output[0],
        trained=trained,
    )
