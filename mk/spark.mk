# The project's Spark Connect server: one long-lived Spark application on 127.0.0.1:15002 that
# the DAGs' Spark tasks share when the Airflow connection `spark` points at it
# (retail_kpi/services/spark_connect.py; docs/DEPLOY.md#spark-connect). SPARK_MASTER picks its
# master (local[*] by default). With SPARK_REMOTE set, `make spark-connect` only checks it.
.PHONY: spark-connect spark-connect-stop spark-connect-status

spark-connect: venv ## start the Spark Connect server; prints the AIRFLOW_CONN_SPARK that uses it
	$(PY) -m retail_kpi.services.spark_connect start
	@echo "Spark tasks through it: export AIRFLOW_CONN_SPARK='$$($(PY) -m retail_kpi.services.spark_connect airflow-conn)'"

spark-connect-stop: ## stop the project's Spark Connect server, by its recorded PID
	$(PY) -m retail_kpi.services.spark_connect stop

spark-connect-status: ## is the Spark Connect server running and answering a query (address, PID, memory)
	$(PY) -m retail_kpi.services.spark_connect status
