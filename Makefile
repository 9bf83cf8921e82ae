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
	@echo "make bench - run the benchmarks and write bench/results.*"
	@echo "make export / clean-nbs / readme - after editing notebooks: nbdev_export, nbdev_clean, README from index.ipynb"

$(STAMP): settings.ini setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# the CPU build of torch first: an unpinned torch would pull gigabytes of CUDA packages
	$(PIP) torch==2.13.0 2> $(VENV)/pip.log || (cat $(VENV)/pip.log; exit 1)
	$(PIP) -e ".[dev]" 2>> $(VENV)/pip.log || (cat $(VENV)/pip.log; exit 1)
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
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 MPLBACKEND=Agg $(PY) -m pytest tests -n $(JOBS) -q -p no:cacheprovider

# the documentation site without a Quarto binary: nbdev prepares the notebooks (_proc/), smalldocs renders them (_docs/),
# KaTeX comes from the npm registry (no CDN); incremental: only changed notebooks are processed again
docs: install
	$(PY) tools/build_docs.py

# headless Chromium for the docs' browser test (tests/test_docs.py): Debian's package, installed once
chromium:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver > /dev/null; }
