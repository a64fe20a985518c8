# PostgreSQL warehouse: bootstrap, migrations, status and the load benchmark.
.PHONY: warehouse migrate warehouse-status warehouse-stop bench-load

warehouse: venv ## reach WAREHOUSE_URL (or start a project-local PostgreSQL on :54329), create db, migrate
	$(PY) -m retail_kpi.bootstrap

migrate: venv ## apply pending warehouse/migrations/V*.sql (records them in meta.schema_migrations)
	$(PY) -m retail_kpi warehouse migrate

warehouse-status: venv ## list warehouse migrations and whether each is applied
	$(PY) -m retail_kpi warehouse status

warehouse-stop: venv ## stop the project-local PostgreSQL started by `make warehouse`, if any
	$(PY) -c "from retail_kpi.warehouse import local_pg; local_pg.stop()"

bench-load: venv ## load of 1M order lines vs the COPY ceiling measured in the same run (prints the ratio)
	$(PY) bench/bench_load.py --lines $${BENCH_LINES:-1000000} --rounds $${BENCH_ROUNDS:-3}
