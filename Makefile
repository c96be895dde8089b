# Set-up and entry points. `make study` and `make test` work on a fresh machine
# with a Python in PYTHON_RANGE: they create .venv from the pins in
# requirements.txt first and install the study's library into it.

PYTHON ?= python3
PYTHON_RANGE := >=3.11,<3.14
VENV   := .venv
BIN    := $(VENV)/bin
CORES  ?= all
# the study a target runs or reports (its results root is the config's `results`)
CONFIG ?= config/config.yaml
# the release before the package was split by stage (bench-study-baseline)
BASELINE ?= 231d7bd
SNAKEMAKE_ARGS ?=
RESULTS = $$($(BIN)/python -c 'import yaml, sys; print((yaml.safe_load(open(sys.argv[1])) or {}).get("results", "results"))' $(CONFIG))

.PHONY: help venv study figures test test-integration test-slurm verify bench bench-lanes bench-reference bench-study bench-study-baseline \
	bench-study-scale bench-sweep bench-sweep-blobs profile-jobs findings inference-sim report report-check lint format clean clean-study

help:
	@echo "make study             run a study (CONFIG=$(CONFIG)) on $(CORES) cores"
	@echo "make test              the offline, deterministic tier: unit tests and tiny end-to-end runs"
	@echo "make test-integration  network (environment.yml installed alone), timing, memory and browser checks"
	@echo "make test-slurm        the tiny sweep through profiles/slurm on a private single-node SLURM"
	@echo "make figures           redraw every figure of a finished study (CONFIG=...), nothing else"
	@echo "make verify            every file of a finished study against its job's manifest"
	@echo "make report            the HTML report of a finished study (CONFIG=...)"
	@echo "make report-check      open that report in headless Chromium, screenshot every figure"
	@echo "make lint              snakemake --lint, snakefmt --check, ruff check and ruff format --check"
	@echo "make bench             training speed, the tutorial's model.fit against the project's loop"
	@echo "make bench-lanes       a lane step of each MLP size with TensorFlow's oneDNN kernels on and off"
	@echo "make bench-reference   the DEE reference's subset curves of a finished study (CONFIG=...), fast against direct"
	@echo "make profile-jobs      where a finished study's evaluate and aggregate jobs spend their time, per run (CONFIG=...)"
	@echo "make bench-study       the default study at --cores 1 and 2: wall, speed-up, per-rule time and memory"
	@echo "make bench-study-baseline  the default study against BASELINE=$(BASELINE), alternately, 3 pairs"
	@echo "make bench-study-scale the default study with 300 repeats at --cores 2"
	@echo "make bench-sweep       the sweep (config/sweep.yaml) at --cores 2; bench-sweep-blobs: its blobs part"
	@echo "make findings          copy the finished sweep's key tables and figures to docs/findings/ and write its findings"
	@echo "make inference-sim     the simulation study of the paired test's size and coverage (docs/inference.md)"
	@echo "make clean             caches only (bytecode, pytest, ruff, Snakemake's): no study's files"
	@echo "make clean-study       delete one study's files, under its results root (CONFIG=$(CONFIG)), nothing else"

$(BIN)/python:
	@$(PYTHON) -c 'import re, sys; low, high = (tuple(map(int, v.split("."))) for v in re.findall(r"[0-9.]+", "$(PYTHON_RANGE)")); sys.exit(0 if low <= sys.version_info[:2] < high else "Python $(PYTHON_RANGE) is needed, found " + sys.version.split()[0] + "; set PYTHON=...")'
	$(PYTHON) -m venv $(VENV)

# The pinned packages (setuptools among them), then the library from this
# checkout, editable, built with the pinned setuptools (nothing more to fetch).
$(VENV)/.installed: $(BIN)/python requirements.txt pyproject.toml
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

venv: $(VENV)/.installed

study: venv
	$(BIN)/snakemake --cores $(CORES) --configfile $(CONFIG) $(SNAKEMAKE_ARGS)

# every plot_{family} rule run again; with the tables up to date, nothing else runs
figures: venv
	$(BIN)/snakemake --cores $(CORES) --configfile $(CONFIG) $(SNAKEMAKE_ARGS) \
		--forcerun $$($(BIN)/snakemake --configfile $(CONFIG) --list-rules 2>/dev/null | grep '^plot_')

test: venv
	$(BIN)/python -m pytest

test-integration: venv
	$(BIN)/python -m pytest tests/integration

test-slurm: venv
	bash tests/slurm/run.sh

verify: venv
	$(BIN)/snakemake --cores 1 --configfile $(CONFIG) verify

report: venv
	$(BIN)/snakemake --configfile $(CONFIG) --report $(RESULTS)/report.html $(SNAKEMAKE_ARGS)

report-check: report
	$(BIN)/python -m tools.report_check $(RESULTS)/report.html

lint: venv
	$(BIN)/snakemake --lint
	$(BIN)/snakefmt --check Snakefile workflow
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/snakefmt Snakefile workflow
	$(BIN)/ruff format .

bench: venv
	$(BIN)/python -m tools.bench_training

bench-lanes: venv
	$(BIN)/python -m tools.bench_lanes

bench-reference: venv
	$(BIN)/python -m tools.bench_reference --results $(RESULTS)

profile-jobs: venv
	$(BIN)/python -m tools.profile_jobs --configfile $(CONFIG)

bench-study: venv
	$(BIN)/python -m tools.bench_study --cores 1 2

bench-study-baseline: venv
	$(BIN)/python -m tools.bench_study --cores 2 --baseline $(BASELINE) --pairs 3

bench-study-scale: venv
	$(BIN)/python -m tools.bench_study --cores 2 --repeats 300

bench-sweep: venv
	$(BIN)/python -m tools.bench_study --configfile config/sweep.yaml --cores 2

bench-sweep-blobs: venv
	$(BIN)/python -m tools.bench_study --configfile config/sweep.yaml --datasets blobs --cores 2

# the sweep's tables and frontier figures copied to docs/findings/, and the
# findings text (docs/findings/README.md, README's "Findings") generated from them
findings: venv
	$(BIN)/python -m tools.findings make --config config/sweep.yaml

# type-I error, coverage and power of the paired procedures at the study's repeats
inference-sim: venv
	$(BIN)/python -m tools.inference_sim --cores 2 --out docs/inference.md

# Caches only, each made again when needed: Python's bytecode, pytest's and
# ruff's caches, Snakemake's file-information cache of the last dry run and its
# temporary copies of scripts. Not the studies' files, nor .snakemake's records
# of them (metadata: what made each output, so that changed code or params
# rerun it; incomplete: the outputs of interrupted jobs, which would otherwise
# pass for finished), its logs and conda environments, nor .venv. Refused while
# a Snakemake run holds its locks here, whose temporary files these may be.
clean:
	@if [ -n "$$(ls -A .snakemake/locks 2>/dev/null)" ]; then \
		echo "make clean: a Snakemake run holds .snakemake/locks; let it end (or, if none runs, snakemake --unlock)" >&2; \
		exit 1; \
	fi
	find . \( -path ./.venv -o -path ./.git \) -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
	rm -rf .pytest_cache .ruff_cache .snakemake/iocache .snakemake/scripts .snakemake/auxiliary

# A study's own entries under its results root (specification section 7, its
# report and the report's screenshots), e.g. `make clean-study
# CONFIG=config/sweep.yaml` for results/sweep/; another study's root inside it
# (results/sweep/ in the default study's results/) stays. Snakemake's records
# of the deleted files are harmless: the next run makes the files again.
STUDY_ENTRIES := data runs tables figures logs benchmarks report.html report-check

clean-study: venv
	@root="$(RESULTS)"; \
	test -n "$$root" || { echo "make clean-study: no results root read from $(CONFIG)" >&2; exit 1; }; \
	real=$$($(BIN)/python -c 'import os, sys; print(os.path.realpath(sys.argv[1]))' "$$root"); \
	case "$(CURDIR)/" in "$$real"/*) \
		echo "make clean-study: $(CONFIG)'s results root $$root holds the project; not deleting" >&2; exit 1;; \
	esac; \
	echo "deleting the study of $(CONFIG) under $$root/: $(STUDY_ENTRIES)"; \
	for entry in $(STUDY_ENTRIES); do rm -rf -- "$$root/$$entry"; done; \
	[ ! -d "$$root" ] || rmdir -- "$$root" 2>/dev/null || echo "kept in $$root/ (not this study's):" $$(ls -A "$$root")
