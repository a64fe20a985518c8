# Great Expectations gates (retail_kpi/quality, expectations/, docs/QUALITY.md).
.PHONY: validate quality-suites test-quality bench-validate data-docs

QUALITY_DATE ?= $(shell date -u +%F)
QUALITY_LAYER ?= all

validate: venv ## run the quality gates of a date (QUALITY_LAYER=landing|silver|kpi|warehouse|all, QUALITY_DATE=YYYY-MM-DD)
	$(PY) -m retail_kpi validate $(QUALITY_LAYER) --date $(QUALITY_DATE)

quality-suites: venv ## list every suite and check, with its policy (blocking or warning)
	$(PY) -m retail_kpi validate --list

test-quality: venv ## unit + integration tests of the gates (real GX, real Postgres)
	$(PY) -m pytest -q tests/unit/test_quality_suites.py tests/unit/test_quality_policy.py tests/unit/test_quality_readers.py tests/integration/test_quality_landing.py tests/integration/test_quality_silver.py tests/integration/test_quality_kpi.py tests/integration/test_quality_warehouse.py

bench-validate: venv ## GX cost at 1M order lines: pandas vs Spark vs SQL engine, and the whole silver gate (BENCH_LINES to change)
	$(PY) bench/bench_validate.py --lines $${BENCH_LINES:-1000000}

data-docs: ## print where the Data Docs are (open index.html in any browser, works offline)
	@$(PY) -c "from retail_kpi.config import settings; print(settings().lake_dir / '_data_docs' / 'index.html')"
