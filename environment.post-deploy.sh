#!/usr/bin/env sh
# Installs the study's library into the rules' conda environment: Snakemake
# (`--sdm conda`) runs it once, right after making that environment from
# environment.yml (whose pins are the library's dependencies).
#
# Snakemake runs a copy of this file, <workdir>/.snakemake/conda/<hash>.post-deploy.sh,
# with `/usr/bin/env sh` (this shebang) inside the activated environment, from
# the working directory and with the environment variables of the Snakemake
# process (snakemake/deployment/conda.py: Env.create, execute_deployment_script).
# Neither this copy's directory nor the working directory is the project's, so
# the library comes from SNAPENS_SOURCE, which workflow/Snakefile sets in that
# process while it is parsed:
#   - a checkout (the directory of pyproject.toml): the one the Snakefile is
#     in, also when the workflow is a module of another workflow from a local
#     copy. It is installed editable, so that the jobs run the library the
#     rules were planned with, and an edit of it reruns the jobs that run it
#     (docs/architecture.md) with the edited code;
#   - a URL (anything with ://), pip-installed as it is: a module fetched from a
#     repository (github(...)) has no checkout, so set it to the release before
#     running Snakemake, e.g.
#       export SNAPENS_SOURCE=https://github.com/<owner>/<repo>/archive/refs/tags/v0.2.0.tar.gz
set -eu
src="${SNAPENS_SOURCE:-}"
case "$src" in
"")
    echo "environment.post-deploy.sh: SNAPENS_SOURCE is not set; the study's workflow/Snakefile" \
        "sets it to its checkout, or set it to the release's URL (README, 'Use as a module')" >&2
    exit 1
    ;;
*://*)
    python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation "$src"
    ;;
*)
    if [ ! -f "$src/pyproject.toml" ]; then
        echo "environment.post-deploy.sh: SNAPENS_SOURCE=$src holds no pyproject.toml;" \
            "it must be the study's checkout or the release's URL (README, 'Use as a module')" >&2
        exit 1
    fi
    python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation \
        --editable "$src"
    ;;
esac
