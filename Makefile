# The two set-up commands of the README: `make serve` and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: install serve test lint check-migrations

$(BIN)/ksopn: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/ksopn

serve: install
	$(BIN)/ksopn serve

test: install
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
