# E-Gov Academy — `make run` serves the app with demo data on SQLite; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 2
export FLASK_APP := wsgi.py

.PHONY: run test lint bench translations i18n-update setup setup-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed translations
setup-dev: $(VENV)/.installed-dev translations

translations: $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy --statistics -d training/translations 2>&1 | grep -v '^$$' || true

run: setup
	$(BIN)/flask db upgrade
	@if $(BIN)/flask demo is-empty; then $(BIN)/flask demo load; else $(BIN)/flask courseware sync; fi
	@echo "E-Gov Academy: http://$(HOST):$(PORT)/  — demo accounts admin, examiner, reviewer, hr, leader, learner; password egov-demo-2026 (demo only)"
	$(BIN)/gunicorn --workers $(WORKERS) --bind $(HOST):$(PORT) --access-logfile - wsgi:app

lint: setup-dev
	$(BIN)/ruff check .

# SQLite always; PostgreSQL too when TEST_DATABASE_URL is set (.ci/run sets it when the server answers).
test: setup-dev
	$(BIN)/ruff check .
	TEST_DATABASE_URL= $(BIN)/python -m pytest $(PYTEST_ARGS)
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== PostgreSQL: $$TEST_DATABASE_URL =="; \
		$(BIN)/python -m pytest -m "not browser" $(PYTEST_ARGS); \
	else echo "== TEST_DATABASE_URL not set: PostgreSQL run skipped =="; fi

bench: setup-dev
	$(BIN)/python -m bench.run

# After adding or changing user-facing strings: refresh the catalogues, then translate the new English entries.
i18n-update: setup-dev
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output --ignore-dirs=.venv \
		-o training/translations/messages.pot .
	$(BIN)/pybabel update -i training/translations/messages.pot -d training/translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
