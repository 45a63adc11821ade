# Gongxue: `make run` serves the platform; `make test` runs the whole suite. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := wsgi.py
PYTEST_ARGS ?=

.PHONY: run test test-sqlite test-postgres test-browser venv venv-dev translations db bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.runtime
venv-dev: $(VENV)/.dev

translations: $(VENV)/.runtime
	$(BIN)/python scripts/messages.py --compile

db: venv translations
	$(BIN)/flask db upgrade
	$(BIN)/flask content load
	$(BIN)/flask demo seed

## Set everything up and serve on http://$(HOST):$(PORT) with SQLite in instance/.
run: db
	@echo "Gongxue is serving on http://$(HOST):$(PORT)  (demo accounts: see README.md)"
	GX_SCHEDULER_INTERVAL=60 $(BIN)/flask run --host $(HOST) --port $(PORT)

## The whole suite: SQLite, then PostgreSQL 15 (started in a temporary folder), then browser journeys.
test: venv-dev translations
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres
	$(MAKE) --no-print-directory test-browser

test-sqlite: venv-dev translations
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --ignore=tests/browser $(PYTEST_ARGS)

test-postgres: venv-dev translations
	$(BIN)/python scripts/with_postgres.py $(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --ignore=tests/browser $(PYTEST_ARGS)

test-browser: venv-dev translations
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/browser $(PYTEST_ARGS)

## Bugs a reader would miss: syntax errors, undefined names, unused imports and variables (ruff.toml).
lint: venv-dev
	$(BIN)/ruff check app tests bench scripts config.py wsgi.py

## Benchmarks (not part of make test); see bench/README.md.
bench: venv-dev translations
	$(BIN)/python -m bench.run $(BENCH_ARGS)

## Extract new strings and merge them into the catalogues.
messages: venv
	$(BIN)/python scripts/messages.py

clean:
	rm -rf $(VENV) instance .pytest_cache
