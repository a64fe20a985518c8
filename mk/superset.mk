# Superset: dashboards as code (superset/bundle), served from its own virtualenv.
SUPERSET_VENV ?= .venv-superset
SUPERSET_PY := $(SUPERSET_VENV)/bin/python
SUPERSET_HOME ?= $(CURDIR)/.superset
SUPERSET_PORT ?= 8088
export SUPERSET_HOME SUPERSET_PORT

.PHONY: superset superset-stop superset-venv superset-lock superset-import superset-screenshot superset-query-contexts chromium

# Superset 6.1 pins SQLAlchemy 1.4 and Flask-AppBuilder; Airflow 3 needs SQLAlchemy 2,
# so Superset gets its own venv, installed from its own lock.
$(SUPERSET_VENV)/.installed: superset/requirements.txt superset/constraints.txt | $(VENV)/.installed
	@test -x $(SUPERSET_PY) || $(UV) venv -q --python $(PY) $(SUPERSET_VENV)
	$(UV) pip install --python $(SUPERSET_PY) -q --compile-bytecode -r superset/requirements.txt -c superset/constraints.txt
	@touch $@

superset-venv: $(SUPERSET_VENV)/.installed ## create/update Superset's own virtualenv (.venv-superset)

superset-lock: ## regenerate superset/constraints.txt from superset/requirements.txt
	$(UV) pip compile -q superset/requirements.txt -o superset/constraints.txt --no-header --python-version 3.11

superset: superset-venv ## init Superset, import the dashboards, serve on 127.0.0.1:8088 (prints URL + login)
	$(SUPERSET_PY) superset/manage.py up --port $(SUPERSET_PORT)

superset-import: superset-venv ## re-import superset/bundle into the running Superset (overwrites)
	$(SUPERSET_PY) superset/manage.py import

superset-stop: ## stop the Superset that `make superset` started
	@test -x $(SUPERSET_PY) && $(SUPERSET_PY) superset/manage.py stop || echo "superset: not installed"

chromium: ## install Debian's chromium for the browser tests (needs root or sudo)
	@bash superset/ensure_chromium.sh

superset-screenshot: superset-venv chromium ## refresh docs/img/executive-overview.png from the running Superset
	$(SUPERSET_PY) superset/browse.py --url http://127.0.0.1:$(SUPERSET_PORT) \
	  --password="$$($(SUPERSET_PY) superset/manage.py login | cut -d' ' -f2)" \
	  --shots $(SUPERSET_HOME)/screenshots --only executive-overview > /dev/null
	@mkdir -p docs/img
	$(SUPERSET_PY) -c "import sys; from PIL import Image; im = Image.open(sys.argv[1]).convert('RGB'); \
	  im.thumbnail((1200, 1200)); im.quantize(colors=128).save(sys.argv[2], optimize=True)" \
	  $(SUPERSET_HOME)/screenshots/executive-overview.png docs/img/executive-overview.png

superset-query-contexts: superset-venv chromium ## after editing a chart: store each chart's query context in superset/bundle (needs `make superset` running)
	$(SUPERSET_PY) superset/query_contexts.py --url http://127.0.0.1:$(SUPERSET_PORT) \
	  --password="$$($(SUPERSET_PY) superset/manage.py login | cut -d' ' -f2)"
