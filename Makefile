# Everything a new machine needs: `make serve` or `make test` create .venv and install on first use.
# `make serve` installs only what serving needs (the package and its runtime dependencies); `make test` and
# `make docs` add the dev extra (ruff, mypy, pytest, the SDKs, MkDocs) and the Node SDK.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check
SERVE_STAMP := $(VENV)/.installed-serve
DEV_STAMP := $(VENV)/.installed-dev
# `make serve PORT=18080`; without it CLARIFAI_MOCK_PORT applies, else 8080.
PORT ?=

.PHONY: serve test lint typecheck unit docs docs-build bench clean browser

$(SERVE_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet -e .
	touch $(SERVE_STAMP)

# The Node SDK for tests/e2e/test_node_sdk.py is installed only where npm exists; without it that test skips.
$(DEV_STAMP): $(SERVE_STAMP) pyproject.toml tests/node/package.json tests/node/package-lock.json
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[dev]'
	if command -v npm >/dev/null 2>&1; then npm ci --prefix tests/node --silent --no-audit --no-fund; fi
	touch $(DEV_STAMP)

serve: $(SERVE_STAMP)
	$(BIN)/clarifai-mock serve --fixtures fixtures/ $(if $(PORT),--port $(PORT))

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

# The whole suite; it includes `mkdocs build --strict` (tests/unit/test_docs.py) and every runnable docs example.
unit: $(DEV_STAMP)
	$(BIN)/python -m pytest -q -n auto --dist loadfile

# tests/e2e/test_inspector.py drives Debian's chromium (Playwright's own download needs the network): install it
# with apt where it is missing and we are root; elsewhere those tests skip and say why.
browser:
	@if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; fi

test: browser lint typecheck unit

# The docs site on http://127.0.0.1:8000, rebuilt on every save.
docs: $(DEV_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve

docs-build: $(DEV_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

bench: $(DEV_STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) site
