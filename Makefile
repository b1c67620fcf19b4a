# Two commands on a fresh machine: `make run` (dab with the demo project) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO ?= tests/fixtures/dbt/v12
PYTEST_WORKERS ?= 2

.PHONY: install lock run demo test lint check bench clean

# Exact versions from the lock file, then dab itself without resolving anything again.
$(VENV)/.installed: pyproject.toml requirements/dev.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

# After changing dependencies in pyproject.toml: re-resolve the pinned versions.
lock: install
	$(PY) -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --extra dev --strip-extras --no-emit-index-url --no-emit-find-links \
		-o requirements/dev.lock pyproject.toml

install: $(VENV)/.installed

demo: install
	$(BIN)/dab db upgrade
	$(BIN)/dab ingest --source dbt --manifest $(DEMO)/manifest.json --catalog $(DEMO)/catalog.json \
		--run-results $(DEMO)/run_results.json --sources $(DEMO)/sources.json

run: demo
	@echo "dab: web console at http://$(HOST):$(PORT)/ui/"
	$(BIN)/dab serve --host $(HOST) --port $(PORT)

test: install
	$(PY) -m pytest -n $(PYTEST_WORKERS) -q

lint: install
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

check: lint test

clean:
	rm -rf $(VENV) .dab .pytest_cache .mypy_cache .ruff_cache

# Request path against a real uvicorn with wrk (Debian package `wrk`); short runs, one table
# beside the runbook's "Performance Benchmarks" rows. BENCH_ARGS="--workers 2", and
# DAB_BENCH_DATABASE_URL=postgresql+asyncpg://... for PostgreSQL.
BENCH_ARGS ?= --models 10000 --wrk-seconds 5 --no-single-client
bench: install
	$(PY) benchmarks/bench_api.py $(BENCH_ARGS)
