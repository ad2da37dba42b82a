# The README's two commands: `make run` and `make test`. Both set up from scratch.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# PostgreSQL for the second test run: TEST_DATABASE_URL, else a local server if one answers.
PG_LOCAL := postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test lint test-sqlite test-postgres bench clean browser

$(STAMP): pyproject.toml
	@echo "== setting up: a virtualenv in $(VENV), then coopnews and its libraries (a minute or two, once)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@
	@echo "== installed"

.env:
	@cp .env.example .env
	@echo "created .env from .env.example: fill in your Slack tokens (README, 'Create the Slack app')"

run: $(STAMP) .env
	@echo "== starting coopnews: migrations, the sample news on a first start, then the bot (Ctrl-C stops it)"
	@$(BIN)/coopnews run

lint: $(STAMP)
	$(BIN)/ruff check .

test-sqlite: $(STAMP)
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest -q

test-postgres: $(STAMP)
	@url="$${TEST_DATABASE_URL:-}"; \
	if [ -z "$$url" ] && $(BIN)/python -c "import socket; socket.create_connection(('127.0.0.1', 5432), 1)" 2>/dev/null; then \
		url="$(PG_LOCAL)"; fi; \
	if [ -n "$$url" ]; then \
		echo "== tests on PostgreSQL"; TEST_DATABASE_URL="$$url" $(BIN)/python -m pytest -q; \
	else echo "== no PostgreSQL: set TEST_DATABASE_URL to run the suite on it"; fi

# The /news browser test needs Debian's chromium: installed here when missing and we may
# (root with apt, as in CI); otherwise that one test says it is skipped.
browser:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "== installing chromium for the browser test"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
			|| echo "== chromium could not be installed: the browser test will be skipped"; \
	else echo "== no chromium and no root apt: the browser test will be skipped"; fi

test: lint browser test-sqlite test-postgres

# One table (bench/table.py): every command, App Home, 20 clients, worker memory, import
# rate and memory, feed parse, each beside its baseline from the same run (a few minutes).
bench: $(STAMP)
	cd bench && ../$(BIN)/python table.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
