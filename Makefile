# The two set-up commands of the README: `make serve` and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: install browser contract-tools serve test test-fast lint lock lock-upgrade \
	check-migrations fuzz bench-tools bench bench-smoke messages screenshots

# Installs the locked versions, each file checked against its hash: requirements/dev.txt
# (runtime and dev tools) here, requirements/base.txt (runtime only) in the Dockerfile. Then
# the project itself, without dependencies.
$(BIN)/ksopn: pyproject.toml requirements/dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

install: $(BIN)/ksopn

# The docs test renders /docs in a real browser, and no browser build can be downloaded here:
# Debian's Chromium it is. Updates the package lists only when the install fails without.
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -qq chromium chromium-driver >/dev/null || \
		{ apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; }; \
	fi

# The OpenAPI document as clients meet it (tests/system/test_contract_tools.py): a client that
# openapi-python-client generates, type-checked and run, from .venv-contract (the
# generator's pins clash with the project's), and Redocly's linter from npm, both locked.
CONTRACT_VENV ?= .venv-contract
$(CONTRACT_VENV)/bin/openapi-python-client: tests/contract/requirements.txt
	$(PYTHON) -m venv $(CONTRACT_VENV)
	$(CONTRACT_VENV)/bin/python -m pip install --quiet --require-hashes -r tests/contract/requirements.txt
	touch $@

tests/contract/node_modules/.bin/redocly: tests/contract/package-lock.json
	npm ci --prefix tests/contract --no-audit --no-fund --silent
	touch $@

contract-tools: $(CONTRACT_VENV)/bin/openapi-python-client tests/contract/node_modules/.bin/redocly

serve: install
	$(BIN)/ksopn serve

# Everything, the system tests (tests/system/: real servers, crashes, load, fuzzing, the
# browser) included: what the README and CI run.
test: install browser contract-tools
	$(BIN)/pytest

# The unit and API tests only, for the edit-test loop: the slow lane (marker `slow`) is left
# out, and the rest runs on every core (pytest-xdist; each worker has its own test database).
# TEST_WORKERS=0 runs them in one process.
TEST_WORKERS ?= auto
test-fast: install
	$(BIN)/pytest -m "not slow" -n $(TEST_WORKERS)

# The lock: requirements/base.txt and dev.txt, written by pip-compile (pip-tools, in
# .venv-lock apart from the project) from pyproject.toml, with every file's hash, for
# Python 3.11 (the Docker image's). `make lock` after changing the dependencies in
# pyproject.toml keeps every pin it can; `make lock-upgrade` takes the newest releases
# pyproject.toml allows. Then `make install`, `make test`, and commit the two files.
LOCK_VENV ?= .venv-lock
PIP_TOOLS ?= pip-tools==7.6.2
COMPILE = $(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes --strip-extras \
	--no-emit-index-url --no-emit-find-links $(LOCK_FLAGS)
lock:
	@[ -x $(LOCK_VENV)/bin/pip-compile ] || { $(PYTHON) -m venv $(LOCK_VENV) && \
		$(LOCK_VENV)/bin/python -m pip install --quiet '$(PIP_TOOLS)'; }
	@$(LOCK_VENV)/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || \
		{ echo "the lock is for Python 3.11: rm -r $(LOCK_VENV); make lock PYTHON=python3.11" >&2; exit 1; }
	$(COMPILE) --output-file requirements/base.txt pyproject.toml
	$(COMPILE) --extra dev --constraint requirements/base.txt --output-file requirements/dev.txt \
		pyproject.toml

lock-upgrade:
	$(MAKE) lock LOCK_FLAGS=--upgrade

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# Builds a scratch SQLite database from the migrations and compares it with the models.
check-migrations: install
	@scratch=$$(mktemp -d) && \
	KSOPN_DATABASE_URL=sqlite:///$$scratch/check.sqlite3 $(BIN)/ksopn db upgrade && \
	KSOPN_DATABASE_URL=sqlite:///$$scratch/check.sqlite3 $(BIN)/alembic check && \
	rm -rf $$scratch

# The API against its own OpenAPI contract, at length: schemathesis on a live server, 500
# examples per operation (the test suite runs 20). SQLite; with KSOPN_TEST_DATABASE_URL set,
# PostgreSQL. FUZZ_EXAMPLES=2000 for longer still; KSOPN_FUZZ_SEED=<seed> replays a run.
FUZZ_EXAMPLES ?= 500
fuzz: install
	KSOPN_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest tests/system/test_fuzz.py -s

# The benchmark's own tools, apart from the project: wrk (Debian) and Datasette (PyPI, in
# .venv-bench, so that its dependencies never meet the project's).
BENCH_VENV ?= .venv-bench
bench-tools: install
	@command -v wrk >/dev/null || { export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -qq wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }; }
	@[ -x $(BENCH_VENV)/bin/datasette ] && [ -x $(BENCH_VENV)/bin/py-spy ] || { \
		$(PYTHON) -m venv $(BENCH_VENV) && \
		$(BENCH_VENV)/bin/python -m pip install --quiet 'datasette>=0.65,<1' 'py-spy>=0.4,<1'; }

# 200,000 and 1,000,000 reports (one run each), SQLite and PostgreSQL, results into
# docs/benchmarks.md (about three quarters of an hour).
BENCH_POSTGRES ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
bench: bench-tools
	$(BIN)/python bench/run.py --postgres $(BENCH_POSTGRES) --out docs/benchmarks.md

# The same on 20,000 reports with short runs, SQLite only: what CI runs so that the benchmark
# cannot rot (about two minutes).
bench-smoke: bench-tools
	$(BIN)/python bench/run.py --quick

# The pages' message catalogs (app/pages/locale/<lang>/LC_MESSAGES/messages.po): extracts every
# message of app/pages/*.py and the templates (app/pages/babel.cfg), and adds the new ones to
# each language's catalog. Translate the empty msgstr entries; the pages read the .po files
# directly (no .mo to build), and tests/pages/ fails while a Russian one is missing.
messages: install
	$(BIN)/pybabel extract -F app/pages/babel.cfg -o app/pages/locale/messages.pot \
		--no-location --sort-output --project "KSOPN registry pages" app/pages
	$(BIN)/pybabel update -i app/pages/locale/messages.pot -d app/pages/locale -D messages \
		--no-fuzzy-matching --ignore-obsolete --width 100

# PNG screenshots of every page, desktop (1280 px) and phone (390 px), English and Russian,
# into docs/screenshots/: a live server on a scratch seeded database, Debian's Chromium.
screenshots: install browser
	$(BIN)/python tests/system/screenshots.py --out docs/screenshots
