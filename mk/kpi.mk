# KPI layer: the Spark KPI job, its loader, the catalogue docs and the KPI benchmark.
.PHONY: kpis kpi-load kpi-docs kpi-check kpi-test bench-kpis

KPI_DATE ?= $(shell date -u +%F)

kpis: venv ## compute the KPI tables of KPI_DATE (and the dates its late rows touched) into lake/kpi
	PYSPARK_PYTHON=$(abspath $(PY)) $(VENV)/bin/spark-submit --master $${SPARK_MASTER:-local[2]} spark_jobs/kpis.py --date $(KPI_DATE) --run-id manual $(if $(KPI_FROM),--recompute-from $(KPI_FROM))

kpi-load: venv ## load the KPI dates the KPI_DATE run recomputed into mart.kpi_* alone (one transaction; the load does it with the facts)
	$(PY) -c "import datetime as d, logging; logging.basicConfig(level=logging.INFO); from retail_kpi.load.kpi_tables import load_kpis; print(load_kpis(d.date.fromisoformat('$(KPI_DATE)'), 'manual'))"

kpi-docs: venv ## regenerate docs/KPIS.md and the V1xx KPI migrations from retail_kpi/kpi/catalogue.yaml
	$(PY) -m retail_kpi.kpi.docs
	$(PY) -m retail_kpi.kpi.ddl

kpi-check: venv ## fail when docs/KPIS.md or the KPI migrations are out of date with the catalogue
	$(PY) -m retail_kpi.kpi.docs --check
	$(PY) -m retail_kpi.kpi.ddl --check

kpi-test: venv ## KPI unit + integration tests (independent recomputation, incremental runs, loads)
	$(PY) -m pytest tests/unit/test_kpi_windows.py tests/unit/test_kpi_catalogue.py tests/unit/test_kpi_job.py tests/unit/test_kpi_correctness.py tests/integration/test_kpi_load.py

bench-kpis: venv ## KPI job wall time at 1M order lines (BENCH_KPI_DAYS=30 spreads them over 30 days)
	$(PY) bench/bench_kpis.py --lines $${BENCH_LINES:-1000000} --days $${BENCH_KPI_DAYS:-1}
