# Data generator, the upstream simulator's file half (simulator/, docs/DATA.md).
.PHONY: generate bench-generate test-generate

GEN_DATE ?= $(shell date -u +%F)

generate: venv ## generate one day of dirty landing data (GEN_DATE=YYYY-MM-DD, default today)
	$(PY) -m simulator generate --date $(GEN_DATE)

test-generate: venv ## unit tests of the data generator
	$(PY) -m pytest -q tests/unit/test_generate_files.py tests/unit/test_generate_defects.py tests/unit/test_generate_patterns.py tests/unit/test_generate_cli.py

bench-generate: venv ## benchmark the generator: order lines/s and peak RSS at 1M and 5M lines
	$(PY) bench/bench_generate.py
