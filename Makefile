# The two commands of the README: `make demo` and `make test`. Each builds .venv from
# pyproject.toml first (again only when pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint schema clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/itsm-gateway demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/itsm-gateway export-schema --check

test: lint
	$(BIN)/pytest

schema: $(STAMP)
	$(BIN)/itsm-gateway export-schema

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
