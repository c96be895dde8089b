from snapens.core.logs import job_log
from snapens.core.paths import as_file_list
from snapens.data.rule_make_dataset import make_dataset

# the data file of a `kind: file` dataset, as the rule declares it (none for the others)
source = as_file_list(snakemake.input.source)
with job_log(snakemake):
    make_dataset(snakemake.params.spec, snakemake.output[0], source=source[0] if source else None)
