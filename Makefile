# Vigía — quick start: `make demo` and `make test` (each does all the set-up it needs).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
VIGIA := $(VENV)/bin/vigia
STAMP := $(VENV)/.installed-stamp
DEMO_DIR ?= demo
DEMO_PORTALS ?= 340

.PHONY: setup system demo test bench lint fleet-truth clean

setup: system $(STAMP)

system:
	@bash scripts/setup-system.sh

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
	@$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

demo: setup
	@bash scripts/demo.sh $(DEMO_DIR) $(DEMO_PORTALS)

test: setup
	@$(PY) -m pytest -q -p no:cacheprovider

bench: setup
	@$(PY) -m bench.run

lint: setup
	@$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

clean:
	rm -rf $(DEMO_DIR) .pytest_cache
