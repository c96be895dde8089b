import pandas as pd

from snapens.jobs import job_log
from snapens.plotting import methods_side_by_side, save

with job_log(snakemake.log[0]):
    summary = pd.read_csv(snakemake.input.summary)
    fig = methods_side_by_side(summary, snakemake.wildcards.dataset, snakemake.params.confidence)
    save(fig, snakemake.output.png.removesuffix(".png"))
