# The two commands of the README: `make demo` and `make test`. Each builds .venv from
# pyproject.toml first (again only when pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-tools lint typecheck schema clean bench mutate

# The gateway and, beside it, the emulators' own distribution (emulators/pyproject.toml: the demo
# and the tests need them; a production install does not have them).
$(STAMP): pyproject.toml emulators/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]' -e ./emulators
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/itsm-gateway demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/itsm-gateway export-schema --check

# Servers the tests start themselves: Debian's redis-server, installed when missing and run as
# root. Elsewhere the Redis tests skip, saying what is missing (ITSM_GATEWAY_REQUIRE_REDIS=1: fail).
# The same for Debian's chromium, the headless browser of the GraphiQL test (..._REQUIRE_BROWSER),
# and Request Tracker 5 (request-tracker5 with SQLite and its standalone server, preseeded by
# tests/support/rt.py; about 30 s on a fresh machine) for the RT tests (..._REQUIRE_RT).
test-tools: $(STAMP)
	@command -v redis-server >/dev/null || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server; \
		else \
			echo "redis-server is missing: the Redis tests will be skipped (apt-get install redis-server)"; \
		fi; \
	}
	@command -v chromium >/dev/null || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
		else \
			echo "chromium is missing: the browser test will be skipped (apt-get install chromium)"; \
		fi; \
	}
	@[ -x /usr/share/request-tracker5/libexec/rt-server ] || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			$(BIN)/python -m tests.support.rt; \
		else \
			echo "request-tracker5 is missing: the RT tests will be skipped (make test-tools as root)"; \
		fi; \
	}

test: lint test-tools
	$(BIN)/pytest

# The load benchmark (bench/README.md): Debian's wrk, installed when missing and run as root.
bench: $(STAMP)
	@command -v wrk >/dev/null || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk; \
		else \
			echo "bench needs wrk: apt-get install wrk"; exit 1; \
		fi; \
	}
	$(BIN)/python -m bench.load

# The standing mutation check (docs/mutation.md): slow, so neither `make test` nor CI runs it.
# `make mutate MODULES=resolvers/timezones.py` checks one module.
# The offline-token exchanger's mutants run the shared-exchange tests against redis-server: with
# it missing they would skip and its mutants survive, so a missing server fails the baseline run.
mutate: $(STAMP)
	ITSM_GATEWAY_REQUIRE_REDIS=1 $(BIN)/python -m mutation $(MODULES)

# The type checker alone (its settings are in pyproject.toml).
typecheck: $(STAMP)
	$(BIN)/mypy

schema: $(STAMP)
	$(BIN)/itsm-gateway export-schema

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
