# Two commands: `make run` (a running app with demo data) and `make test` (lint and every test).
# Needs only Python 3.11+ and make; everything else is installed into .venv from requirements.txt.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
MANAGE := $(BIN)/python manage.py

.PHONY: run test install lint messages security format migrate demo reset-demo requirements clean bench-tools

SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.txt
	touch $(STAMP)

# The translation catalogues (locale/) are compiled with Babel: no GNU gettext needed.
install: $(STAMP)
	$(MANAGE) compile_catalogues

migrate: install
	$(MANAGE) migrate --noinput
	$(MANAGE) createcachetable

demo: migrate
	$(MANAGE) load_demo_data

run: demo
	@echo "Starting web (http://127.0.0.1:8000), task worker and outbox relay; Ctrl-C stops all."
	@# Ctrl-C is how it ends (honcho answers it with 130): not an error.
	$(BIN)/honcho start -f Procfile || [ $$? -eq 130 ]

# The embedded default's data (SQLite database, sent mail, files, the development secret key):
# the next `make run` starts over with fresh demo data. A DATABASE_URL database is not touched.
reset-demo:
	rm -rf var

# lint-imports checks the floors (pyproject.toml [tool.importlinter]): an upward import fails.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(MANAGE) check_catalogues
	$(MANAGE) check_unmarked_strings

# After marking strings: add them to locale/de and locale/fr (needs GNU gettext's xgettext, as
# Django's makemessages does), then translate them; `make lint` says what is still missing.
messages: install
	$(MANAGE) makemessages --no-location --no-obsolete -l de -l fr \
		--ignore ".venv/*" --ignore "var/*" --ignore "tests/*" --ignore "bench/*"

# pip-audit asks the PyPI advisory service about every pinned package: a known vulnerability fails.
# A package the service gives no answer for is counted as not audited and named in
# var/pip-audit.json; AUDIT_STRICT=1 fails on those too. (`manage.py check --deploy` on production
# settings runs in pytest: tests/core/test_production_settings.py; ruff's S rules run in lint.)
AUDIT_JSON := var/pip-audit.json

define AUDIT_SUMMARY
import json, pathlib, sys
report = pathlib.Path(sys.argv[1])
if not report.exists():
    sys.exit("pip-audit: no report (see its error above)")
deps = json.loads(report.read_text())["dependencies"]
skipped = [d["name"] for d in deps if "skip_reason" in d]
vulnerable = [d for d in deps if d.get("vulns")]
for d in vulnerable:
    for v in d["vulns"]:
        fixed = ", ".join(v["fix_versions"]) or "no fixed release"
        print(f"VULNERABLE {d['name']} {d['version']}: {v['id']} (fixed in {fixed})")
print(f"pip-audit: {len(deps) - len(skipped)} of {len(deps)} pinned packages audited, "
      f"{len(vulnerable)} with known vulnerabilities")
if skipped:
    print(f"pip-audit: WARNING, NOT AUDITED (no answer from the advisory service): {len(skipped)}: "
          + " ".join(skipped[:8]) + (" ..." if len(skipped) > 8 else ""))
sys.exit(1 if vulnerable or (skipped and sys.argv[2:] == ["strict"]) else 0)
endef
export AUDIT_SUMMARY

security: install
	mkdir -p var && rm -f $(AUDIT_JSON)
	$(BIN)/pip-audit -r requirements.txt --require-hashes --disable-pip --progress-spinner off \
		--cache-dir var/pip-audit-cache \
		--format json --output $(AUDIT_JSON); \
	$(BIN)/python -c "$$AUDIT_SUMMARY" $(AUDIT_JSON) $(if $(AUDIT_STRICT),strict)

# The suite runs on both cores of CI's machine (pytest-xdist: a database, a Redis database and
# ports per worker). PYTEST_WORKERS=0 runs it in one process, =auto on every core.
PYTEST_WORKERS ?= 2

test: lint security
	$(BIN)/pytest -n $(PYTEST_WORKERS)

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Re-pin after changing pyproject.toml's dependencies.
requirements: install
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements.txt

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .import_linter_cache

# bench/pages.py drives its load with wrk, a system package (not on PyPI): Debian's, installed
# with apt when missing, as .ci/run installs chromium for the browser tests.
bench-tools:
	@command -v wrk >/dev/null 2>&1 || { \
		echo "installing Debian's wrk for bench/pages.py"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	}
	@wrk -v 2>&1 | head -1
