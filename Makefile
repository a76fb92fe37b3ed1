# Reverie: the two commands of the README, each installing what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test typecheck core-install lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## demo: the main job on the embedded store (ingest real sessions, dream, render)
demo: $(STAMP)
	$(BIN)/reverie demo $(if $(SESSIONS),--sessions $(SESSIONS),)

## test: ruff, mypy, the whole test suite (starts the ArcadeDB Bolt server itself),
## then the core install on its own
test: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(MAKE) --no-print-directory typecheck
	$(BIN)/pytest -q
	$(MAKE) --no-print-directory core-install

## typecheck: mypy over src/reverie (settings: [tool.mypy] in pyproject.toml)
typecheck: $(STAMP)
	$(BIN)/mypy

## core-install: `pip install .` (no extras) in a fresh venv, then init, ingest, motifs,
## dream, render and eval on a generated corpus (.ci/core-install)
core-install:
	PYTHON=$(PYTHON) bash .ci/core-install

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) demo .pytest_cache
