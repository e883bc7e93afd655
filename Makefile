# The two commands: `make run` and `make test`. `make setup` is what both share.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup run test lint format bench worker clean-data

$(STAMP): pyproject.toml
	@test -x $(PY) || { PYTHON=$$(scripts/find-python) && echo "Creating $(VENV) with $$PYTHON" && $$PYTHON -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

setup: $(STAMP)
	$(PY) -m config.embedded_db
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo_setup

run: setup
	@echo "Starting a background worker and the web server on http://127.0.0.1:8000 (Ctrl-C stops both)"
	@DEBUG=$${DEBUG:-1} $(PY) manage.py db_worker --interval 1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	DEBUG=$${DEBUG:-1} $(PY) manage.py runserver 127.0.0.1:8000

worker: setup
	$(PY) manage.py db_worker

test: setup
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: setup
	$(PY) -m benchmarks.run_all

clean-data:
	@echo "This deletes the embedded database in .data/. Stop make run first."
	rm -rf .data
