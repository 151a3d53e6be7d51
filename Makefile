# Cursus — two commands: `make run` (demo on http://127.0.0.1:8000) and `make test` (everything).
SHELL := /bin/bash
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python

# First interpreter >= 3.12 that actually runs (pyenv shims may exist but fail).
PYTHON_CANDIDATES := python3.13 python3.12 python3 python $(wildcard $(HOME)/.pyenv/versions/3.1[2-9]*/bin/python3)
FIND_PYTHON := for p in $(PYTHON_CANDIDATES); do \
	  if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
	    command -v $$p; exit 0; fi; done; exit 1

.PHONY: run test venv lint check migrate demo worker bench clean

$(VENV)/.stamp-dev: requirements.txt requirements-dev.txt
	@base=$$($(FIND_PYTHON)) || { echo "Cursus needs Python 3.12 or newer (Django 6.1)."; \
	  echo "Install it (Debian 13: apt-get install python3 python3-venv; or pyenv install 3.12) and retry."; exit 1; }; \
	echo "Using $$base ($$($$base --version))"; \
	[ -x $(PY) ] && $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null || { rm -rf $(VENV); $$base -m venv $(VENV); }
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(VENV)/.stamp-dev

migrate: venv
	$(PY) manage.py migrate --no-input

demo: migrate
	$(PY) manage.py seed_defaults
	$(PY) manage.py seed_demo

# Serve the demo: the worker runs beside the web server and stops with it.
run: demo
	@$(PY) manage.py print_demo_accounts
	@trap 'kill 0' EXIT; \
	$(PY) manage.py db_worker --no-reload --interval 1 & \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

worker: venv
	$(PY) manage.py db_worker --no-reload

lint: venv
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy .

check: venv
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

test: lint check
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(VENV)/bin/pytest

bench: venv
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) var/*.sqlite3 var/media
