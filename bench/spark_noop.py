"""An empty Spark application: what start-up alone costs (``make bench`` submits it).

It builds the session exactly like the pipeline's jobs (``spark_jobs.common``), prints
the wall-clock time at which the session was ready, runs one trivial job (the first job
also pays for the executor's first task) and stops.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script by spark-submit: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from spark_jobs.common import build_session

READY = "BENCH_SESSION_READY"
FIRST_JOB = "BENCH_FIRST_JOB_DONE"


def main() -> int:
    spark = build_session("retail-bench-noop")
    print(f"{READY} {time.time():.3f}", flush=True)
    spark.range(1).count()
    print(f"{FIRST_JOB} {time.time():.3f}", flush=True)
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
