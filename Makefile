# The two set-up commands of the README: `make serve` and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: install browser serve test lint check-migrations

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
