# Pipeline benchmark (bench/run.py, bench/README.md; figures of record: README "Performance").
.PHONY: bench bench-quick test-bench

bench: venv ## benchmark the DAG's stages at 1M and 5M order lines + a micro-batch (report in bench/results/)
	$(PY) bench/run.py $(BENCH_ARGS)

bench-quick: venv ## the same benchmark at 100k order lines (a few minutes on an idle 2-core machine)
	$(PY) bench/run.py --quick $(BENCH_ARGS)

test-bench: venv ## unit tests of the benchmark harness (no timings asserted)
	$(PY) -m pytest -q tests/unit/test_bench_report.py tests/unit/test_bench_harness.py
