# Two commands: `make run` (a running app with demo data) and `make test` (lint and every test).
# Needs only Python 3.11+ and make; everything else is installed into .venv from requirements.txt.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
MANAGE := $(BIN)/python manage.py

.PHONY: run test install lint format migrate demo requirements bench clean

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(MANAGE) migrate --noinput
	$(MANAGE) createcachetable

demo: migrate
	$(MANAGE) load_demo_data

run: demo
	@echo "Starting web (http://127.0.0.1:8000), task worker and outbox relay; Ctrl-C stops all."
	$(BIN)/honcho start -f Procfile

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/pytest

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Re-pin after changing pyproject.toml's dependencies.
requirements: install
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements.txt

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
