#!/usr/bin/env sh
# Run by Snakemake (`--sdm conda`) inside the environment it has just made
# from environment.yml, beside which this file lies: install the study's
# library from this checkout (its dependencies are environment.yml's pins).
set -eu
python -m pip install --quiet --no-deps --no-build-isolation "$(dirname "$0")"
