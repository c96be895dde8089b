# The snapshot-ensemble study. Run `make study` (or `snakemake --cores 8`);
# the stages live in workflow/rules/, the science in src/snapens/.
import os
import sys

# The study's library comes from this checkout, for Snakemake and, through
# PYTHONPATH, for every job: an environment holding only environment.yml's
# packages (conda's, or a cluster's) runs the workflow without installing it.
SRC = os.path.join(workflow.basedir, "src")
if SRC not in sys.path:
    sys.path.insert(0, SRC)
PYTHONPATH = os.environ.get("PYTHONPATH", "").split(os.pathsep)
if SRC not in PYTHONPATH:
    os.environ.update(PYTHONPATH=os.pathsep.join(p for p in [SRC, *PYTHONPATH] if p))

# At most one pending wake-up timer in Snakemake's scheduler, as a daemon
# thread (src/snapens/rescheduling.py says why).
from snapens.rescheduling import patch_snakemake

patch_snakemake()

# The default study; a --configfile given on the command line replaces it
# (rather than being merged into it), so config/full.yaml means what it says.
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/tables.smk"
include: "workflow/rules/figures.smk"


report: "workflow/report/workflow.rst"


rule all:
    default_target: True
    input:
        all_targets(),
