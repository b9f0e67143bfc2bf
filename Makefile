# unmask — every target works on a fresh Debian 12 with python3, python3-venv, make and git.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed-stamp
PG_PORT ?= 54329
export UNMASK_TEST_PG_URL ?= postgresql://postgres@127.0.0.1:$(PG_PORT)/postgres

.PHONY: install demo test lint services services-stop bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	PY=$(BIN)/python scripts/build-deps.sh
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

## install: create .venv with the `unmask` command
install: $(STAMP)

## demo: serve the bundled synthetic platform on loopback, crawl it, print the figures and where the case and report are
demo: install
	$(BIN)/unmask demo --case demo-case

## services: install (Debian packages) and start the real servers the tests use, on loopback
services:
	PG_PORT=$(PG_PORT) scripts/test-services.sh start

services-stop:
	PG_PORT=$(PG_PORT) scripts/test-services.sh stop

## lint: ruff and mypy
lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

## test: everything the tests need, then lint and the whole test suite (SQLite and PostgreSQL)
test: install services lint
	$(BIN)/python -m pytest -n 2 -q

## bench: the benchmarks under bench/ (figures printed; recorded in docs/benchmarks.md)
bench: install
	$(BIN)/python bench/census_bench.py
	$(BIN)/python bench/analysis_bench.py
	$(BIN)/python bench/analysis_bench.py --stats
	$(BIN)/python bench/forum_bench.py
	$(BIN)/python bench/linking_bench.py
	$(BIN)/python bench/privacy_bench.py
	$(BIN)/python bench/infra_bench.py
	$(BIN)/python bench/fetch_bench.py
	$(BIN)/python bench/owners_bench.py --store
	$(BIN)/python bench/owners_query_bench.py
	$(BIN)/python bench/owners_query_bench.py --shape gleif
	$(BIN)/python bench/apps_bench.py

clean:
	rm -rf $(VENV) demo-case .pytest_cache .mypy_cache .ruff_cache
