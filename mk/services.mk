# Every service the project starts itself (retail_kpi/services; docs/DEPLOY.md).
.PHONY: services services-stop

services: venv ## list what runs: PostgreSQL, Kafka, Spark cluster, Airflow, Superset (address, PID, health, memory)
	@$(PY) -m retail_kpi.ops.services status

services-stop: venv ## stop every service the project started, each by its recorded PID
	@$(PY) -m retail_kpi.ops.services stop
