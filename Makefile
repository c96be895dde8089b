# Set-up and entry points. `make study` and `make test` work on a fresh machine
# with Python 3.11+: they create .venv from the pins in requirements.txt first.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CORES  ?= all
# the layout before chunked jobs, lanes and TensorFlow-free evaluation
BASELINE ?= a245225
SNAKEMAKE_ARGS ?=

.PHONY: help venv study test test-fast test-slurm bench bench-study bench-study-baseline bench-study-scale bench-sweep bench-sweep-blobs report report-check lint format clean

help:
	@echo "make study   run the default study (config/config.yaml) on $(CORES) cores"
	@echo "make test    unit tests and end-to-end workflow tests"
	@echo "make test-slurm  the tiny study through profiles/slurm on a single-node SLURM it starts"
	@echo "make bench   time the tutorial's model.fit training against the project's loop"
	@echo "make bench-study  the default study at --cores 1 and 2: wall, speed-up, per-rule time and memory"
	@echo "make bench-study-baseline  the default study against BASELINE=$(BASELINE), alternately, 3 pairs at --cores 2"
	@echo "make bench-study-scale  the default study with 300 repeats at --cores 2 (wall per run)"
	@echo "make bench-sweep  the sweep study (config/sweep.yaml) at --cores 2; bench-sweep-blobs: its blobs part"
	@echo "make report  results/report.html from a finished study"
	@echo "make report-check  open the report in headless Chromium, screenshot every figure"
	@echo "make lint    snakemake --lint and snakefmt --check"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed, found " + sys.version.split()[0] + "; set PYTHON=...")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python requirements.txt pyproject.toml
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

venv: $(VENV)/.installed

study: venv
	$(BIN)/snakemake --cores $(CORES) $(SNAKEMAKE_ARGS)

test: venv
	$(BIN)/python -m pytest

test-fast: venv
	$(BIN)/python -m pytest -m "not slow"

test-slurm: venv
	bash tests/slurm/run.sh

bench: venv
	$(BIN)/python -m snapens.bench

bench-study: venv
	$(BIN)/python -m snapens.bench_study --cores 1 2

bench-study-baseline: venv
	$(BIN)/python -m snapens.bench_study --cores 2 --baseline $(BASELINE) --pairs 3

bench-study-scale: venv
	$(BIN)/python -m snapens.bench_study --cores 2 --repeats 300

bench-sweep: venv
	$(BIN)/python -m snapens.bench_study --configfile config/sweep.yaml --cores 2

bench-sweep-blobs: venv
	$(BIN)/python -m snapens.bench_study --configfile config/sweep.yaml --datasets blobs --cores 2

report: venv
	$(BIN)/snakemake --report results/report.html $(SNAKEMAKE_ARGS)

report-check: report
	$(BIN)/python -m snapens.report_check results/report.html

lint: venv
	$(BIN)/snakemake --lint
	$(BIN)/snakefmt --check .

format: venv
	$(BIN)/snakefmt .

clean:
	rm -rf results .snakemake
