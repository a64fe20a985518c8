# Spark ingest + clean (spark_jobs/clean.py, docs/DATA_QUALITY.md).
.PHONY: clean-day test-clean score-clean bench-clean

CLEAN_DATE ?= $(shell date -u +%F)

clean-day: venv ## ingest + clean one landing date into bronze/silver/quarantine (CLEAN_DATE=YYYY-MM-DD)
	$(VENV)/bin/spark-submit --master "$${SPARK_MASTER:-local[2]}" spark_jobs/clean.py --date $(CLEAN_DATE) --run-id manual-$(CLEAN_DATE)

test-clean: venv ## unit tests of ingest and clean (hand-written landing files, real Spark)
	$(PY) -m pytest -q tests/unit/test_clean_rules.py tests/unit/test_ingest.py tests/unit/test_clean_transforms.py tests/unit/test_clean_job.py

score-clean: venv ## generate dirty days, clean them, score recall/precision against the manifest
	$(PY) -m pytest -q tests/integration/test_clean_scoring.py

bench-clean: venv ## benchmark the clean job at 1M order lines (BENCH_LINES to change)
	$(PY) bench/bench_clean.py --lines $${BENCH_LINES:-1000000}
