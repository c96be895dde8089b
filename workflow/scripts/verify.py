# Rule verify: every manifest of the study against the files on disk.
from snapens.core.logs import job_log
from snapens.core.manifests import verify

with job_log(snakemake) as console:
    verify(snakemake.params.manifests, snakemake.params.options, out=console)
