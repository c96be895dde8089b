import pandas as pd

from snapens.jobs import job_log
from snapens.plotting import diversity_heatmaps, save

with job_log(snakemake.log[0]):
    fig = diversity_heatmaps(pd.read_csv(snakemake.input.diversity), snakemake.wildcards.dataset)
    save(fig, snakemake.output.png.removesuffix(".png"))
