# The two commands: `make run` and `make test`. Both set up what they need and are
# idempotent: stamps record what was installed, so a second run starts at once.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 5000
CHROMIUM := /usr/bin/chromium

.PHONY: run test setup setup-test chromium lint bench clean

# `make run VERBOSE=1` shows TensorFlow's start-up messages and every notice.
run: setup
	@$(VENV)/bin/tf-playground serve --host $(HOST) --port $(PORT) $(if $(VERBOSE),--verbose)

test: setup-test
	$(PY) -m ruff check .
	$(PY) -m pytest

setup: $(VENV)/.installed node_modules/.installed

setup-test: setup $(VENV)/.installed-test chromium

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[test,cluster]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian's Chromium for the browser tests (Playwright cannot download its own here).
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if command -v apt-get >/dev/null 2>&1; then \
	    SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "Chromium is missing at $(CHROMIUM) and apt-get is not available: install Chromium" >&2; \
	    exit 1; \
	  fi; \
	fi

lint: setup-test
	$(PY) -m ruff check .

bench: setup
	$(PY) bench/engine.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache test-output
