# Stromal: two commands set everything up on a fresh machine with Python 3.11+ and make.
#   make run   install, migrate the embedded SQLite database, load the demo, serve on :8000
#   make test  install and run the whole test suite
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test test-fast lint format bench docs lock clean mutate

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Stromal needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/stromal manage migrate --noinput
	$(BIN)/stromal manage collectstatic --noinput --verbosity 0
	$(BIN)/stromal demo
	@# The demo logins sign in with a password only: no second factor is required here unless
	@# STROMAL_MFA_REQUIRED_ROLES is set. Production refuses to drop it for physicians and admins.
	STROMAL_MFA_REQUIRED_ROLES="$${STROMAL_MFA_REQUIRED_ROLES-}" $(BIN)/stromal serve

test: install
	$(BIN)/python -m pytest -n auto --dist loadgroup $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix src tests benchmarks examples
	$(BIN)/ruff format src tests benchmarks examples

bench: install
	$(BIN)/python benchmarks/run_all.py

# Mutation testing of stromal.clinical against tests/clinical and tests/cli/test_assess.py
# (mutmut, settings in pyproject's [tool.mutmut]). CPU heavy: run it by hand, not in CI.
MUTATE_JOBS ?= 2
mutate: install
	rm -rf mutants
	$(BIN)/mutmut run --max-children $(MUTATE_JOBS)
	$(BIN)/mutmut results

# Regenerate docs/model.md from the model definition (a test fails when it is stale).
docs: install
	$(BIN)/python -m stromal.model.docs_gen

# Re-pin every dependency after changing pyproject.toml (needs network access to PyPI).
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -e '.[dev]'
	.lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^-e' > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
