# Cursus — two commands: `make run` (demo on http://127.0.0.1:8000) and `make test` (everything).
SHELL := /bin/bash
PORT ?= 8000
DEMO_CANDIDATES ?= 12
VENV := .venv
PY := $(VENV)/bin/python
# DEBUG is off unless set (production). The demo and the suite run with the development defaults.
export DEBUG ?= 1
# Production-like settings for `manage.py check --deploy` (nothing here is a real secret).
DEPLOY_ENV := DEBUG=0 EMAIL_MODE=smtp ALLOWED_HOSTS=cursus.example.org SITE_URL=https://cursus.example.org \
	SECRET_KEY=deploy-check-$$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n') \
	SECURE_SSL_REDIRECT=1 SECURE_HSTS_SECONDS=31536000 SECURE_HSTS_INCLUDE_SUBDOMAINS=1 SECURE_HSTS_PRELOAD=1 \
	SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO ACCOUNT_DEFAULT_HTTP_PROTOCOL=https \
	IBAN_ENCRYPTION_KEYS=$$(head -c32 /dev/urandom | base64 | tr '+/' '-_')
# Debian packages the suite needs: Chromium (browser tests), poppler (PDF text), DejaVu fonts (PDFs).
SYSDEPS_CHECK := [ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v pdftotext >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	fc-list 2>/dev/null | grep -qi dejavu || missing="$$missing fonts-dejavu-core"

# First interpreter >= 3.12 that actually runs (pyenv shims may exist but fail).
PYTHON_CANDIDATES := python3.13 python3.12 python3 python $(wildcard $(HOME)/.pyenv/versions/3.1[2-9]*/bin/python3)
FIND_PYTHON := for p in $(PYTHON_CANDIDATES); do \
	  if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
	    command -v $$p; exit 0; fi; done; exit 1

.PHONY: run serve test venv lint check migrate demo worker bench bench-import bench-export bench-deliberate bench-rush bench-close bench-load clean sysdeps

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
	SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} $(PY) manage.py seed_demo --candidates $(DEMO_CANDIDATES)
	$(PY) manage.py run_schedule --queue

# Serve the demo: the worker runs beside the web server and stops with it.
run: demo
	@PORT=$(PORT) $(PY) manage.py print_demo_accounts
	@trap 'kill 0' EXIT; \
	SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} $(PY) manage.py db_worker --no-reload --interval 1 & \
	SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} $(PY) manage.py runserver 127.0.0.1:$(PORT)

# The demo as production runs it (issue 11): DEBUG off, gunicorn, static files by WhiteNoise, the
# worker beside it. Keys made once in var/serve.env (see deploy/README.md for a real server).
serve: demo
	@$(PY) manage.py serve_env var/serve.env --port $(PORT)
	@set -e; set -a; . var/serve.env; set +a; export DEBUG=0; \
	$(PY) manage.py collectstatic --no-input -v0; \
	PORT=$(PORT) $(PY) manage.py print_demo_accounts; \
	echo "Emails are written to var/mail/."; \
	trap 'kill 0' EXIT; \
	$(PY) manage.py db_worker --no-reload --interval 1 & \
	PORT=$(PORT) $(VENV)/bin/gunicorn -c deploy/gunicorn.conf.py cursus.wsgi

worker: venv
	$(PY) manage.py db_worker --no-reload

lint: venv
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/bandit -q -r . -x ./.venv,./tests,./var,./bench --severity-level medium

check: venv
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(DEPLOY_ENV) $(PY) manage.py check --deploy --fail-level WARNING

# Install the Debian packages the suite needs when missing (as root with apt), or stop at once with
# the command to run.
sysdeps:
	@missing=""; $(SYSDEPS_CHECK); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null \
	      || { echo "Could not install:$$missing. Run: sudo apt-get install$$missing"; exit 1; }; \
	  else \
	    echo "The test suite needs Debian packages:$$missing"; \
	    echo "Run: sudo apt-get install$$missing   (then make test again)"; exit 1; \
	  fi; \
	fi

test: sysdeps lint check
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(VENV)/bin/pytest

bench: venv
	$(PY) bench/run.py

# A 10,000-line bank statement imported as camt.053 and as CFONB 120 (issue 9: under 10 s each).
bench-import: venv
	$(PY) bench/statement_import.py

# 5,000 SEPA direct debits exported, XSD validation included (issue 9: under 5 s).
bench-export: venv
	$(PY) bench/debit_export.py

# Closing a sitting of 500 decided dossiers, the office's request through the whole stack (issue 11
# item 5: under 1 s; the letters follow as tasks). On PostgreSQL: CLOSE_ARGS="--postgres postgres://…/name"
bench-close: venv
	$(PY) bench/sitting_close.py $(CLOSE_ARGS)

# The studies jury's deliberation of 5,000 students × 25 grades from the database beside a raw SQL read
# of the same grades (issue 10: target at most 3×).
bench-deliberate: venv
	$(PY) bench/deliberation.py --write

# The last hour before a deadline (issue 11 item 3): 2,000 candidates, 50 at a time, log in, fill their
# dossier, upload three 1 MB files and submit, against gunicorn on a throwaway PostgreSQL database; then
# every dossier submitted with its files, none lost or orphaned. Target: 0 errors, p99 submission ≤ 1 s.
# Smaller: make bench-rush RUSH_ARGS="--candidates 100 --concurrency 20"
RUSH_ARGS ?= --write
bench-rush: venv
	$(PY) bench/rush.py $(RUSH_ARGS)

# Pages under load (issue 11 item 2): gunicorn (2 workers, DEBUG off) on a throwaway PostgreSQL database
# with 500 dossiers at one sitting, each page under wrk beside a bare Django view served in the same run:
# req/s, p50, p95, share of the bare view, HTML size, target. Figures kept in bench/README.md. wrk is
# installed when missing (as root with apt), else the command to run is said.
# Shorter: make bench-load LOAD_ARGS="--duration 3 --warmup 1"
LOAD_ARGS ?= --write
bench-load: venv
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian package: wrk"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null \
	      || { echo "Could not install wrk. Run: sudo apt-get install wrk"; exit 1; }; \
	  else \
	    echo "make bench-load needs wrk. Run: sudo apt-get install wrk   (then make bench-load again)"; exit 1; \
	  fi; }
	$(PY) bench/load.py $(LOAD_ARGS)

clean:
	rm -rf $(VENV) var/*.sqlite3 var/media
