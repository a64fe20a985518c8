# Retail KPI warehouse. `make help` lists the targets.
# Everything installs into project-local folders and starts on 127.0.0.1: PostgreSQL,
# the Kafka broker, JVM artifacts (`make services` lists what runs). Needed beforehand:
# Python 3.11+, Java 17+, Maven 3.8+ and make; apt-get (root or sudo) if PostgreSQL's
# server binaries are missing.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
export PATH := $(abspath $(VENV))/bin:$(PATH)
export AIRFLOW_HOME ?= $(CURDIR)/.airflow
export PYTHONPATH := $(CURDIR)$(if $(PYTHONPATH),:$(PYTHONPATH))

.PHONY: help venv test lint import-graph demo lock clean-data

help: ## list targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sort | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@test -x $(UV) || $(PY) -m pip install -q uv==0.13.9
	$(UV) pip install --python $(PY) -q --compile-bytecode -r requirements.txt -r requirements-dev.txt -c constraints.txt
	@touch $@

venv: $(VENV)/.installed ## create/update the virtualenv with pinned dependencies

lock: ## regenerate constraints.txt (the full transitive lock) from requirements*.txt
	$(UV) pip compile -q requirements.txt requirements-dev.txt -o constraints.txt --no-header

PYTEST_ARGS ?=
# Test files run on this many pytest-xdist workers, each file whole on one worker (its module
# fixtures are built once). 1 = no workers, the plain serial run.
PYTEST_WORKERS ?= 2
PYTEST_XDIST = $(if $(filter-out 1,$(PYTEST_WORKERS)),-n $(PYTEST_WORKERS) --dist loadfile)

# The project's PostgreSQL is left as the suite found it: stopped afterwards only when the
# bootstrap had to start it (a developer's running server stays up).
PG_RUNNING = $(PY) -c "from retail_kpi.services import postgres; print(int(postgres.is_running()))"

test: venv ## lint, then the whole test suite, as CI does (real Postgres, Kafka, Spark, GX, Airflow, Superset + Chromium)
	@$(MAKE) -s lint
	@was_running=$$($(PG_RUNNING)); \
	$(PY) -m retail_kpi.bootstrap && $(PY) -m pytest $(PYTEST_XDIST) $(PYTEST_ARGS); rc=$$?; \
	if [ "$$was_running" = 0 ]; then $(MAKE) -s warehouse-stop; fi; exit $$rc

demo: venv ## set everything up; 90 days of history + 3 days from files, yesterday from Kafka (runs in the Airflow UI); print KPIs
	$(PY) -m retail_kpi.bootstrap
	$(PY) -m retail_kpi.services.kafka start
	$(PY) -m retail_kpi demo
	@$(PY) -m retail_kpi.ops.services status

clean-data: ## delete generated data and local Airflow state (keeps the venv and warehouse)
	rm -rf data .airflow

lint: venv ## ruff, mypy, sqlfluff and the import contracts (no cycle, no upward import)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy retail_kpi simulator spark_jobs
	$(VENV)/bin/sqlfluff lint warehouse
	$(VENV)/bin/lint-imports --no-cache

# IMPORT_GRAPH="retail_kpi simulator spark_jobs" draws how the top-level packages depend.
IMPORT_GRAPH ?= retail_kpi
import-graph: venv ## the package-level import graph as DOT (cycle breakers marked; none today)
	@$(VENV)/bin/import-linter drawgraph --show-cycle-breakers $(IMPORT_GRAPH)

-include mk/*.mk
