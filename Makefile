# Everything a new machine needs: `make serve` or `make test` create .venv and install on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test lint typecheck unit bench clean browser

# The Node SDK for tests/e2e/test_node_sdk.py is installed only where npm exists; without it that test skips.
$(STAMP): pyproject.toml tests/node/package.json tests/node/package-lock.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	if command -v npm >/dev/null 2>&1; then npm ci --prefix tests/node --silent --no-audit --no-fund; fi
	touch $(STAMP)

serve: $(STAMP)
	$(BIN)/clarifai-mock serve --fixtures fixtures/

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest -q -n auto --dist loadfile

# tests/e2e/test_inspector.py drives Debian's chromium (Playwright's own download needs the network): install it
# with apt where it is missing and we are root; elsewhere those tests skip and say why.
browser:
	@if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; fi

test: browser lint typecheck unit

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV)
