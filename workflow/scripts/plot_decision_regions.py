from snapens.jobs import decision_regions, job_log

with job_log(snakemake.log[0]):
    decision_regions(
        snakemake.input.data,
        snakemake.params.runs,
        snakemake.output.png.removesuffix(".png"),
        title=f"{snakemake.wildcards.dataset}: decision regions, seed {snakemake.params.seed}",
    )
