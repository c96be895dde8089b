import pandas as pd

from snapens.jobs import job_log
from snapens.plotting import learning_curves, save

with job_log(snakemake.log[0]):
    fig = learning_curves(pd.read_csv(snakemake.input.learning), snakemake.wildcards.dataset)
    save(fig, snakemake.output.png.removesuffix(".png"))
