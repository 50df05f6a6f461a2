# Goalpost: the two commands are `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYTHON312 ?= $(firstword $(wildcard $(shell pyenv root 2>/dev/null)/versions/3.12*/bin/python3) $(shell command -v python3.12))
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/goalpost
REDIS_URL ?= redis://127.0.0.1:6379/0
# `make serve`'s cache, shared by its web and worker processes: a Redis database of its own.
REDIS_CACHE_URL ?= redis://127.0.0.1:6379/1
PYTEST_WORKERS ?= 2

.PHONY: install run serve test lint format worker beat bench bench-parts chromium load drills

$(VENV)/bin/python:
	@py=""; for c in $(PYTHON312); do if [ -x "$$c" ]; then py="$$c"; break; fi; done; \
	if [ -z "$$py" ]; then echo "Python 3.12 is needed (pyenv's 3.12.1 or python3.12 on PATH)."; exit 1; fi; \
	echo "Creating $(VENV) with $$py"; "$$py" -m venv $(VENV)

$(VENV)/.installed: $(VENV)/bin/python pyproject.toml
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $@

install: $(VENV)/.installed

run: install
	@unset DATABASE_URL CELERY_BROKER_URL; export DEBUG=1; \
	$(PY) manage.py migrate --verbosity 0 && \
	$(PY) manage.py seed_demo && \
	echo "Goalpost is starting on http://127.0.0.1:8000 (SQLite, tasks run eagerly). Ctrl-C stops it." && \
	$(PY) manage.py runserver 127.0.0.1:8000

# The production-like stack on one machine: gunicorn (whitenoise, compressed and cache-busted
# static files), a Celery worker and beat on Redis, PostgreSQL; honcho starts the Procfile.
SERVE_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/goalpost_serve
serve: install
	@export DATABASE_URL=$(SERVE_DATABASE_URL) CELERY_BROKER_URL=$${CELERY_BROKER_URL:-$(REDIS_URL)} \
	  CACHE_URL=$${CACHE_URL:-$(REDIS_CACHE_URL)} \
	  DEBUG=0 STATIC_MANIFEST=1 SECURE_HTTPS=$${SECURE_HTTPS:-0} LOG_FORMAT=$${LOG_FORMAT:-json} \
	  SECRET_KEY=$${SECRET_KEY:-$$(cat .serve-secret 2>/dev/null || $(PY) -c "import secrets; print(secrets.token_urlsafe(50))" | tee .serve-secret)}; \
	$(PY) -c "import environ, psycopg; c = environ.Env.db_url_config('$(SERVE_DATABASE_URL)'); psycopg.connect(host=c['HOST'], port=c['PORT'] or 5432, user=c['USER'], password=c['PASSWORD'] or None, dbname='postgres', autocommit=True).execute('CREATE DATABASE ' + c['NAME'])" 2>/dev/null; \
	$(PY) manage.py migrate --verbosity 0 && $(PY) manage.py collectstatic --noinput --verbosity 0 && \
	$(PY) manage.py seed_demo && echo "Serving on http://$${BIND:-127.0.0.1:8000} (gunicorn + worker + beat). Ctrl-C stops all." && \
	$(VENV)/bin/honcho start -f Procfile

# Load test (bench/load): its own database and port, the bench org, 50 users for 60 s.
load: install
	$(PY) -m bench.load.run

# Fault drills (bench/drills): each prints PASS or FAIL with its numbers.
drills: install
	$(PY) -m bench.drills.run

lint: install
	$(VENV)/bin/ruff check .

format: install
	$(VENV)/bin/ruff format .

# The suite runs on PostgreSQL; tests marked sqlite_parity run a second time on SQLite.
test: install
	$(VENV)/bin/ruff check .
	@DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -c "import environ, psycopg; c = environ.Env.db_url_config('$(TEST_DATABASE_URL)'); psycopg.connect(host=c['HOST'], port=c['PORT'] or 5432, user=c['USER'], dbname='postgres', connect_timeout=3).close()" 2>/dev/null \
	  || { echo "PostgreSQL is not answering at $(TEST_DATABASE_URL): start it with: pg_ctlcluster --skip-systemctl-redirect \$$(ls /etc/postgresql) main start"; exit 1; }
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(REDIS_URL) $(VENV)/bin/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)
	DATABASE_URL=sqlite:///$(CURDIR)/.test-parity.sqlite3 $(VENV)/bin/pytest -m sqlite_parity -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# Benchmarks (not part of the suite) on PostgreSQL: DATABASE_URL, default the goalpost_bench database.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/goalpost_bench
# The growth table: 10k, 30k and 100k customers, each target with its figure (a few minutes;
# the orgs are kept in goalpost_bench_10k, ... and reused). `make bench-parts`: the single-size
# benches, each on a fresh 10k org.
bench: install
	DATABASE_URL=$${DATABASE_URL:-$(BENCH_DATABASE_URL)} $(PY) -m bench.bench_growth

bench-parts: install
	DATABASE_URL=$${DATABASE_URL:-$(BENCH_DATABASE_URL)} $(PY) -m bench.bench_metrics
	DATABASE_URL=$${DATABASE_URL:-$(BENCH_DATABASE_URL)} $(PY) -m bench.bench_import
	DATABASE_URL=$${DATABASE_URL:-$(BENCH_DATABASE_URL)} $(PY) -m bench.bench_pages
	DATABASE_URL=$${DATABASE_URL:-$(BENCH_DATABASE_URL)} $(PY) -m bench.bench_recalc
	DATABASE_URL=$${DATABASE_URL:-$(BENCH_DATABASE_URL)} $(PY) -m bench.bench_latency

worker: install
	$(VENV)/bin/celery -A goals_project worker --loglevel=INFO

beat: install
	$(VENV)/bin/celery -A goals_project beat --loglevel=INFO --schedule=/tmp/goalpost-celerybeat-schedule

chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
