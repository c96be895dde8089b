import pandas as pd

from snapens.jobs import job_log
from snapens.plotting import save, seed_plot

with job_log(snakemake.log[0]):
    curves = pd.read_csv(snakemake.input.curves)
    fig = seed_plot(curves, snakemake.wildcards.dataset, snakemake.params.confidence)
    save(fig, snakemake.output.png.removesuffix(".png"))
