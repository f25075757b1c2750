# S&OP Studio: `make run` serves the app on http://127.0.0.1:8050, `make test` runs every check,
# `make serve` runs the multi-user deployment (Redis, a Celery worker, gunicorn; see scripts/serve.sh).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: run serve serve-stop load-test test lint clean

run: $(VENV)/.runtime-installed
	$(PY) app.py

# Redis + Celery + gunicorn with SOP_WEB_WORKERS web workers on SOP_HOST:SOP_PORT; Ctrl-C stops it all.
serve: $(VENV)/.celery-installed
	VENV=$(VENV) bash scripts/serve.sh start

serve-stop:
	VENV=$(VENV) bash scripts/serve.sh stop

# Locust, headless, on loopback: 20 users then 1 user against a fresh `scripts/serve.sh` (bench/load/).
load-test: $(VENV)/.load-installed
	VENV=$(VENV) bash bench/load/run.sh

test: $(VENV)/.dev-installed
	bash scripts/test.sh

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Stamp files keep repeated runs fast; they are redone whenever a requirements file changes.
$(VENV)/.runtime-installed: requirements.txt | $(PY)
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.celery-installed: requirements.txt requirements-celery.txt | $(PY)
	$(PIP) install --quiet -r requirements-celery.txt
	touch $(VENV)/.runtime-installed $@

$(VENV)/.load-installed: requirements.txt requirements-celery.txt requirements-load.txt | $(PY)
	$(PIP) install --quiet -r requirements-load.txt
	touch $(VENV)/.runtime-installed $(VENV)/.celery-installed $@

# The tests also start the deployment (tests/test_deploy.py), so they install its requirements too.
$(VENV)/.dev-installed: requirements.txt requirements-dev.txt requirements-celery.txt | $(PY)
	$(PIP) install --quiet -r requirements-dev.txt -r requirements-celery.txt
	touch $(VENV)/.runtime-installed $(VENV)/.celery-installed $@

clean:
	rm -rf test-artifacts .pytest_cache .ruff_cache
