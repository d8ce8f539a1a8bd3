# The two commands: `make run` (the platform, with a demo institution) and
# `make test` (the whole suite against real services). See README.md.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
LOCK := requirements/dev.lock
PYTEST_ARGS ?=

.PHONY: run stop test bench loadtest lint format lock venv status clean frontend

run: $(VENV)/.installed
	$(PY) deploy/dev/stack.py run

stop:
	@if [ -x $(PY) ]; then $(PY) deploy/dev/stack.py down --profile dev; fi

status: $(VENV)/.installed
	$(PY) deploy/dev/stack.py status

test: $(VENV)/.installed
	$(PY) deploy/dev/stack.py test -- $(PYTEST_ARGS)

# BENCH_ARGS="--only content" runs one benchmark (tests/bench/run.py --help).
BENCH_ARGS ?=
bench: $(VENV)/.installed
	$(PY) deploy/dev/stack.py bench -- $(BENCH_ARGS)

# Requests/second and p99 through nginx + gunicorn (tests/bench/loadtest.py; see README).
loadtest: $(VENV)/.installed
	$(PY) tests/bench/loadtest.py $(LOADTEST_ARGS)

# ruff, the import-linter contracts of pyproject.toml (the layers of the apps), and every
# template's text marked for translation (deploy/dev/i18n_check.py).
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	PYTHONPATH=platform $(VENV)/bin/lint-imports
	$(PY) deploy/dev/i18n_check.py

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

venv: $(VENV)/.installed

# npm ci (when frontend/package-lock.json changed) and the browser bundles (frontend/build/).
frontend: $(VENV)/.installed
	$(PY) deploy/dev/stack.py frontend

# Exact versions and hashes from the lock file: two installs a month apart are identical.
$(VENV)/.installed: $(LOCK) requirements/base.lock
	@test -n "$(PYTHON)" || { echo "Python 3.11 is needed (python3.11 or python3)"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || \
	  { echo "Python 3.11 is needed; $(PYTHON) is $$($(PYTHON) --version)"; exit 1; }
	$(PYTHON) deploy/dev/stack.py system-deps
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	touch $@

# Re-resolve the pins after editing requirements/*.in (needs network access to PyPI).
lock:
	$(PYTHON) -m pip install --quiet --target var/uv uv
	PYTHONPATH=var/uv var/uv/bin/uv pip compile --quiet --python-version 3.11 --generate-hashes \
	  requirements/base.in -o requirements/base.lock
	PYTHONPATH=var/uv var/uv/bin/uv pip compile --quiet --python-version 3.11 --generate-hashes \
	  requirements/dev.in -o requirements/dev.lock

clean: stop
	rm -rf var $(VENV)
