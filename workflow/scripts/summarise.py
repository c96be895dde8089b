from snapens.analyse.rule_summarise import summarise
from snapens.core.logs import job_log
from snapens.core.paths import Layout, as_file_list

layout = Layout.of_table(snakemake.output.runs)
# each dataset's files, as declared (under a module's prefix if any), in order
files, data = iter(as_file_list(snakemake.input.data)), {}
for dataset, count in snakemake.params.data_files.items():
    data[dataset] = [next(files) for _ in range(count)]
with job_log(snakemake):
    summarise(
        [(d, m, s, layout.run_dir(d, m, s)) for d, m, s in snakemake.params.runs],
        data,
        dict(snakemake.output.items()),
        snakemake.params.evaluation,
        snakemake.params.title,
        snakemake.params.references,
        snakemake.params.study,
        snakemake.params.sweeps,
        snakemake.params.methods,
        manifests=as_file_list(snakemake.input.manifests),
        baselines=snakemake.params.baselines,
        last_rates=snakemake.params.last_rates,
        threads=snakemake.threads,
    )
