from snapens.analyse.rule_summarise import summarise
from snapens.core.logs import job_log
from snapens.core.paths import Layout, listed

layout = Layout.of_table(snakemake.output.runs)
with job_log(snakemake):
    summarise(
        [(d, m, s, layout.run_dir(d, m, s)) for d, m, s in snakemake.params.runs],
        dict(zip(snakemake.params.datasets, listed(snakemake.input.data))),
        dict(snakemake.output.items()),
        snakemake.params.evaluation,
        snakemake.params.title,
        snakemake.params.references,
        snakemake.params.study,
        snakemake.params.sweeps,
        snakemake.params.methods,
        manifests=listed(snakemake.input.manifests),
        baselines=snakemake.params.baselines,
    )
