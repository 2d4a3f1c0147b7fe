# The README's commands. Each target sets up what it needs: a private uv (from PyPI) in .tools/,
# then .venv/ from uv.lock. Nothing is installed outside the checkout.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.synced
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)
# Installs ship compiled bytecode, so each plugin start (many per pipeline run) skips recompiling
# its imports, also where PYTHONDONTWRITEBYTECODE is set; Meltano's uv installs inherit it.
export UV_COMPILE_BYTECODE := 1

N ?= 1000000
PYTEST_ARGS ?=

.PHONY: help setup demo test lint format bench clean

help:  ## list the commands
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 10

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP): $(UV) uv.lock pyproject.toml tap-domo/pyproject.toml target-eloqua/pyproject.toml sandbox/pyproject.toml
	$(UV) sync --locked --all-packages --quiet
	@touch $@

setup: $(STAMP)  ## create .venv from uv.lock (done by every other target)

demo: $(STAMP)  ## run the pipeline against the local sandbox, twice, with a new Domo load between
	$(BIN)/python -m demo.run

test: $(STAMP)  ## run the whole test suite (unit, integration, e2e)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)  ## ruff (lint + format check) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy tap-domo/tap_domo target-eloqua/target_eloqua sandbox/sandbox

format: $(STAMP)  ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The benchmark runs each plugin from a virtualenv of its own holding only its locked runtime
# dependencies, as Meltano installs a plugin (the workspace's .venv also holds the test tools,
# whose numpy alone adds ~0.2 s to every plugin start through the SDK's joblib import).
PLUGIN_VENVS := .bench/venvs
$(PLUGIN_VENVS)/%/.synced: $(UV) uv.lock %/pyproject.toml
	rm -rf $(PLUGIN_VENVS)/$*
	$(UV) venv --quiet $(PLUGIN_VENVS)/$*
	$(UV) export --quiet --frozen --no-dev --no-emit-workspace --no-header --package $* \
		-o $(PLUGIN_VENVS)/$*/requirements.txt
	$(UV) pip install --quiet --python $(PLUGIN_VENVS)/$*/bin/python \
		-r $(PLUGIN_VENVS)/$*/requirements.txt
	$(UV) pip install --quiet --python $(PLUGIN_VENVS)/$*/bin/python --no-deps -e ./$*
	@touch $@

bench: $(STAMP) $(PLUGIN_VENVS)/tap-domo/.synced $(PLUGIN_VENVS)/target-eloqua/.synced  ## benchmark the pipeline against its floor (N rows, default 1,000,000)
	$(BIN)/python -m bench.run --rows $(N) --plugin-venvs $(PLUGIN_VENVS)

clean:  ## remove the environments and caches
	rm -rf $(VENV) $(TOOLS) .bench .meltano .pytest_cache .mypy_cache .ruff_cache
