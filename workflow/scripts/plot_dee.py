import pandas as pd

from snapens.jobs import job_log
from snapens.plotting import dee_bars, save

with job_log(snakemake.log[0]):
    fig = dee_bars(pd.read_csv(snakemake.input.dee), snakemake.wildcards.dataset)
    save(fig, snakemake.output.png.removesuffix(".png"))
