"""Prototype: the clean and KPI jobs in ONE Spark application (``bench/run.py --one-spark-app``).

The DAG submits two applications (``clean_silver``, ``compute_kpis``), each paying JVM
start-up and JIT warm-up. This script runs the same two ``run`` functions, unchanged, in
one session, so the bench can show what that saves before anyone rewires the DAG.

    spark-submit bench/spark_combined.py --date YYYY-MM-DD --run-id RUN
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script by spark-submit: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from retail_kpi.config import settings
from spark_jobs import clean, kpis
from spark_jobs.common import build_session


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--date", required=True, type=dt.date.fromisoformat)
    p.add_argument("--run-id", required=True)
    args = p.parse_args(argv)
    s = settings()
    spark = build_session(f"retail-clean-kpis-{args.date}", master=s.spark_master)
    try:
        clean.run(spark, args.date, args.run_id, str(s.landing_dir), str(s.lake_dir))
        spark.catalog.clearCache()
        kpis.run(spark, s.lake_dir, args.date, args.run_id)
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
