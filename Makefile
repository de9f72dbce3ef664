# The two set-up commands of the README: `make serve` and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: install browser serve test lint check-migrations fuzz bench-tools bench bench-smoke

$(BIN)/ksopn: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
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

serve: install
	$(BIN)/ksopn serve

test: install browser
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

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
	KSOPN_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest tests/test_fuzz.py -s

# The benchmark's own tools, apart from the project: wrk (Debian) and Datasette (PyPI, in
# .venv-bench, so that its dependencies never meet the project's).
BENCH_VENV ?= .venv-bench
bench-tools: install
	@command -v wrk >/dev/null || { export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -qq wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }; }
	@[ -x $(BENCH_VENV)/bin/datasette ] || { $(PYTHON) -m venv $(BENCH_VENV) && \
		$(BENCH_VENV)/bin/python -m pip install --quiet 'datasette>=0.65,<1'; }

# A million reports, SQLite and PostgreSQL, results into docs/benchmarks.md (a quarter hour).
BENCH_POSTGRES ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
bench: bench-tools
	$(BIN)/python bench/run.py --postgres $(BENCH_POSTGRES) --out docs/benchmarks.md

# The same on 20,000 reports with short runs: what CI runs so that the benchmark cannot rot.
bench-smoke: bench-tools
	$(BIN)/python bench/run.py --quick
