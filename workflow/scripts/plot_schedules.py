from snapens.jobs import job_log
from snapens.plotting import lr_schedules, save

with job_log(snakemake.log[0]):
    fig = lr_schedules(
        snakemake.params.methods, snakemake.params.epochs, snakemake.params.steps_per_epoch
    )
    save(fig, snakemake.output.png.removesuffix(".png"))
