# PostgreSQL warehouse: bootstrap, migrations, status and the load benchmark.
.PHONY: warehouse migrate warehouse-status warehouse-stop bench-load

warehouse: venv ## start the project's PostgreSQL (or reach WAREHOUSE_URL), create db, migrate, print the BI login
	$(PY) -m retail_kpi.bootstrap

migrate: venv ## apply pending warehouse/migrations/V*.sql (records them in meta.schema_migrations)
	$(PY) -m retail_kpi warehouse migrate

warehouse-status: venv ## list warehouse migrations and whether each is applied
	$(PY) -m retail_kpi warehouse status

warehouse-stop: venv ## stop the project's PostgreSQL started by `make warehouse`, if any
	$(PY) -c "from retail_kpi.services import postgres; print('postgresql:', 'stopped' if postgres.stop() else 'not running')"

bench-load: venv ## load of 1M order lines vs the COPY ceiling measured in the same run (prints the ratio)
	$(PY) bench/bench_load.py --lines $${BENCH_LINES:-1000000} --rounds $${BENCH_ROUNDS:-3}
