# S&OP Studio: `make run` serves the app on http://127.0.0.1:8050, `make test` runs every check.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: run test lint clean

run: $(VENV)/.runtime-installed
	$(PY) app.py

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

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(PY)
	$(PIP) install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime-installed $@

clean:
	rm -rf test-artifacts .pytest_cache .ruff_cache
