# Local Airflow: api-server, scheduler, dag-processor and triggerer on 127.0.0.1.
# Environment (connections, parallelism for 2 cores): retail_kpi/airflow_env.py.
.PHONY: airflow airflow-stop airflow-status

airflow: venv ## start Airflow (UI on 127.0.0.1:8080), print the URL and login
	$(PY) -m retail_kpi.bootstrap
	$(PY) -m retail_kpi.ops.airflow_ctl start

airflow-stop: ## stop exactly the Airflow processes `make airflow` started
	$(PY) -m retail_kpi.ops.airflow_ctl stop

airflow-status: ## show which Airflow services run and whether the UI answers
	$(PY) -m retail_kpi.ops.airflow_ctl status
