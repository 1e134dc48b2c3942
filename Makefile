# Backpropagation from Scratch: the two commands a reader needs.
#   make serve   create .venv if missing, install, serve the book at http://127.0.0.1:8000
#   make test    create .venv if missing, install, run every test
# and a few more: make build, make bench, make lint, make clean.
# Installs happen once: each environment is re-made only when pyproject.toml changes.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
READER := .venv-reader
READER_INSTALLED := $(READER)/.installed
WEB := hooks/web
WEB_INSTALLED := $(WEB)/node_modules/.installed
SITE := site
CHROMIUM ?= /usr/bin/chromium
# The book's arrays are small; a BLAS thread pool only adds start-up stalls on
# a busy 2-core machine. (make bench leaves the default, and says so.)
ONE_BLAS_THREAD := OPENBLAS_NUM_THREADS=1
# pytest-xdist: one test process per core (at most 4: each drives a Chromium).
TEST_PROCESSES ?= auto

.PHONY: serve build test environments lint bench browser clean

serve: $(INSTALLED) $(WEB_INSTALLED)
	$(ONE_BLAS_THREAD) $(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

build: $(INSTALLED) $(WEB_INSTALLED)
	$(ONE_BLAS_THREAD) $(BIN)/mkdocs build --strict --site-dir $(SITE)

test: environments
	$(BIN)/ruff check src tests listings benchmarks hooks conftest.py
	@# the first test process to need the site builds it (mkdocs build --strict,
	@# log in test-artifacts/site-build.log) while the other runs other tests
	CHAINRULE_SITE_DIR=$(SITE) CHAINRULE_BUILD_SITE=1 CHAINRULE_READER_PYTHON=$(READER)/bin/python \
	CHAINRULE_CHROMIUM=$(CHROMIUM) $(ONE_BLAS_THREAD) \
	$(BIN)/pytest --numprocesses $(TEST_PROCESSES) --maxprocesses 4 --dist loadgroup

lint: $(INSTALLED)
	$(BIN)/ruff check src tests listings benchmarks hooks conftest.py

bench: $(INSTALLED)
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/run.py

# Everything make test needs. The installs wait on the network and the disk
# more than on the processor, so they run side by side; the reader's
# environment waits for the project's, because both build chainrule's
# editable install in the same source tree.
environments:
	$(MAKE) --jobs=3 $(INSTALLED) $(READER_INSTALLED) $(WEB_INSTALLED) browser

# The project's environment: the package, the site's tools and the test tools.
$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install -e '.[docs,test]'
	touch $@

# A reader's environment: chainrule and numpy, nothing else. Each page of the
# book must run in it top to bottom (tests/site/test_code_blocks.py).
$(READER_INSTALLED): pyproject.toml | $(INSTALLED)
	test -x $(READER)/bin/python || $(PYTHON) -m venv $(READER)
	$(READER)/bin/python -m pip install --quiet -e .
	touch $@

# In-page Python (hooks/inpage_python.py): the Pyodide runtime and the
# CodeMirror editor come from npm. `npm ci` installs exactly what
# package-lock.json names and checks every tarball against the sha512 it
# records (for pyodide 314.0.7, the registry's published dist.integrity);
# build.mjs bundles the editor. Nothing is fetched from a CDN at run time.
$(WEB_INSTALLED): $(WEB)/package-lock.json $(WEB)/editor.mjs $(WEB)/build.mjs
	@command -v npm >/dev/null || { echo "In-page Python needs Node.js and npm" \
		"(Debian/Ubuntu: sudo apt-get install nodejs npm)" >&2; exit 1; }
	npm ci --prefix $(WEB) --no-audit --no-fund --ignore-scripts
	node $(WEB)/build.mjs
	touch $@

# The browser tests drive Debian's Chromium; Playwright's own download does
# not work on these machines. Install it when we can, say how when we cannot.
browser:
	@if [ -x "$(CHROMIUM)" ]; then exit 0; fi; \
	if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
		echo "The browser tests need Chromium at $(CHROMIUM)." >&2; \
		echo "Install it (Debian/Ubuntu: sudo apt-get install chromium)" >&2; \
		echo "or run: make test CHROMIUM=/path/to/chromium" >&2; \
		exit 1; \
	fi

clean:
	rm -rf $(SITE) .pytest_cache .cache test-artifacts
