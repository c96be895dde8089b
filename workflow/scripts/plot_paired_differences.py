import pandas as pd

from snapens.jobs import job_log
from snapens.plotting import paired_differences, save

with job_log(snakemake.log[0]):
    runs = pd.read_csv(snakemake.input.runs)
    fig = paired_differences(runs, snakemake.wildcards.dataset, snakemake.params.confidence)
    save(fig, snakemake.output.png.removesuffix(".png"))
