# Reverie: the two commands of the README, each installing what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## demo: the main job on the embedded store (ingest real sessions, dream, render)
demo: $(STAMP)
	$(BIN)/reverie demo $(if $(SESSIONS),--sessions $(SESSIONS),)

## test: the whole test suite (starts the ArcadeDB Bolt server itself)
test: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) demo .pytest_cache
