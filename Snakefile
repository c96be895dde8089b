# The study's workflow is workflow/Snakefile (the Snakemake catalog's layout);
# this file lets `snakemake` run it from here, its `rule all` the default target.
workflow.include("workflow/Snakefile", overwrite_default_target=True)
