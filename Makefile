# The two commands people remember: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
# Python 3.11, 3.12 or 3.13 (requires-python): the oldest found first, the one CI runs on.
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3.13 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
CHROMIUM := /usr/bin/chromium

.PHONY: run test install install-dev lint importlint fmt typecheck unit e2e bench load browser sso-provider lock vendor-check clean help

help:
	@echo "make run    - install, migrate a SQLite database under var/, load the curriculum and measures, serve on http://127.0.0.1:8000"
	@echo "make test   - install what tests need, lint, type-check and run the whole suite"
	@echo "make lint   - ruff, ruff format --check and the import contracts (make importlint alone)"
	@echo "make fmt    - fix what ruff can fix, then format the code"
	@echo "make importlint | typecheck | unit | e2e | lock | vendor-check | clean"

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert (3, 11) <= sys.version_info[:2] <= (3, 13), "Tandem needs Python 3.11 to 3.13, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Pinned installs: the lock files are the whole dependency tree; the project adds no more.
$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: requirements-dev.lock $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/tandem db upgrade
	$(BIN)/tandem curriculum load
	$(BIN)/tandem outcomes load
	$(BIN)/tandem demo
	@echo "Tandem is starting on http://$${TANDEM_HOST:-127.0.0.1}:$${TANDEM_PORT:-$${PORT:-8000}} (Ctrl+C stops it)."
	$(BIN)/tandem serve

# Browser tests drive Debian's Chromium (Playwright cannot download a browser here).
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
		echo "Installing Debian's chromium for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo

# The layer and domain-order contracts in pyproject.toml ([tool.importlinter]).
importlint: install-dev
	$(BIN)/lint-imports --no-logo

fmt: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: install-dev
	$(BIN)/mypy

vendor-check:
	sha256sum --quiet -c app/static/vendor/CHECKSUMS.sha256

# The suite runs on every core (pytest-xdist), each worker on databases of its own. The
# browser tests are one xdist group (tests/e2e/conftest.py): one worker starts the server and
# Chromium and runs them all, the others share out the rest. XDIST= runs it in one process.
XDIST ?= -n auto --dist loadgroup

# The developer's quick run (about 3 minutes on 2 cores): no browser, no schemathesis, no
# slow modules (tests/conftest.py, _SLOW), each date-sensitive test at the default instant
# only. `make test` runs everything.
unit: install-dev
	$(BIN)/pytest $(XDIST) -m "not e2e and not contract and not slow" --no-awkward-days

# The single sign-on tests start a real OpenID provider (panva's oidc-provider on Node,
# pinned in tests/sso/provider/package-lock.json).
SSO_PROVIDER := tests/sso/provider
sso-provider: $(SSO_PROVIDER)/node_modules/.package-lock.json

$(SSO_PROVIDER)/node_modules/.package-lock.json: $(SSO_PROVIDER)/package-lock.json
	npm ci --prefix $(SSO_PROVIDER) --no-audit --no-fund

e2e: install-dev browser sso-provider
	$(BIN)/pytest -m e2e

# The browser tests always serve their own SQLite database, so a PostgreSQL run (CI's
# second pass) leaves them out: they would test the same thing twice. Coverage is measured
# on the SQLite pass (with the browser tests); tracing costs a third more time, which the
# PostgreSQL pass spends on running the suite instead (COVERAGE=--cov turns it back on).
COVERAGE ?= --cov --cov-report=term:skip-covered
ifneq ($(filter postgresql%,$(TANDEM_DATABASE_URL)),)
TEST_SELECT := -m "not e2e"
ifeq ($(origin COVERAGE),file)
COVERAGE :=
endif
endif

# CHECKS= leaves out the lint and type checks (CI's second pass: the same code).
CHECKS ?= vendor-check lint typecheck

test: install-dev browser sso-provider
	$(if $(CHECKS),$(MAKE) --no-print-directory $(CHECKS))
	$(BIN)/pytest $(XDIST) $(COVERAGE) $(TEST_SELECT)

bench: install-dev
	$(BIN)/python -m bench

# A bounded Locust scenario (bench/load/locustfile.py) against `tandem serve --workers WORKERS`
# on a fresh database (PostgreSQL when TANDEM_DATABASE_URL names one); writes var/load.json.
USERS ?= 60
WORKERS ?= 2
DURATION ?= 60
load: install-dev
	USERS=$(USERS) WORKERS=$(WORKERS) DURATION=$(DURATION) $(BIN)/python -m bench.load

# Re-pin after changing dependencies in pyproject.toml (needs network access to PyPI).
lock: $(BIN)/python
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev -c requirements.lock --python-version 3.11 -o requirements-dev.lock

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .coverage htmlcov
