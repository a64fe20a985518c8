"""Spark job: ingest one landing date into bronze, clean it into silver, reconcile.

    spark-submit spark_jobs/clean.py --date YYYY-MM-DD --run-id RUN [--landing DIR] [--lake DIR]

One Spark application per run. Every landing line ends up in exactly one place: silver,
quarantine (with a reason code) or the duplicate log; the counts are read back from what
was written and must add up, or the job exits non-zero with one sentence saying so.
Outputs (all replaced on rerun, see docs/DATA_QUALITY.md), written to
``<lake>/_staging/clean/dt=<date>/`` and moved into place only once they reconcile
(spark_jobs/lake_commit.py), so a failed or killed run leaves the previous state:

    <lake>/bronze/<entity>/dt=<date>/
    <lake>/silver/<entity>/dt=<business date>/ingest_dt=<date>/
    <lake>/quarantine/<entity>/dt=<date>/
    <lake>/_audit/clean/dt=<date>/{duplicates/<entity>/,reconciliation.json}
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script by spark-submit: this checkout's code
    # first, ahead of a --py-files zip (which is for executors; inside it, paths relative
    # to the repository would point into the archive).
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pyspark.sql import SparkSession

from retail_kpi.cleaning.reconcile import ReconciliationError
from retail_kpi.cli_args import iso_dates
from retail_kpi.config import settings
from spark_jobs.common import add_session_args, fail, session_for
from spark_jobs.ingest import LandingError
from spark_jobs.pipeline import run_clean

log = logging.getLogger("spark_jobs.clean")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--date",
        required=True,
        type=iso_dates,
        help="landing date YYYY-MM-DD, or several comma-separated (one application cleans "
        "them in turn; each date's partitions are replaced and reconciled on their own)",
    )
    parser.add_argument("--run-id", required=True, help="run id recorded on every output row")
    parser.add_argument("--landing", help="landing root (default RETAIL_LANDING_DIR)")
    parser.add_argument("--lake", help="lake root (default RETAIL_LAKE_DIR)")
    add_session_args(parser)
    return parser.parse_args(argv)


def run(spark: SparkSession, day: dt.date, run_id: str, landing: str, lake: str) -> dict[str, Any]:
    """Ingest + clean + reconcile one landing date; returns the reconciliation report."""
    return run_clean(spark, day.isoformat(), run_id, landing.rstrip("/"), lake.rstrip("/"))


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("py4j").setLevel(logging.WARNING)  # its shutdown chatter hides our error
    args = parse_args(argv)
    s = settings()
    landing = args.landing or str(s.landing_dir)
    lake = args.lake or str(s.lake_dir)
    spark = session_for(f"retail-clean-{args.date[0]}", args)
    try:
        for day in args.date:
            try:
                report = run(spark, day, args.run_id, landing, lake)
            except (LandingError, ReconciliationError) as err:
                fail(f"{day}: {err}" if len(args.date) > 1 else str(err))
            for entity, counts in report["entities"].items():
                log.info(
                    "%s %-12s in=%d clean=%d quarantined=%d deduplicated=%d",
                    day,
                    entity,
                    counts["rows_in"],
                    counts["rows_clean"],
                    counts["rows_quarantined"],
                    counts["rows_deduplicated"],
                )
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
