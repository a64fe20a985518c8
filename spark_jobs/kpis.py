"""Spark job: compute the KPI tables of the business dates a run touched.

    spark-submit spark_jobs/kpis.py --date YYYY-MM-DD --run-id RUN [--lake DIR]

Reads the silver lake, recomputes the days and months whose inputs changed (the run date,
dates that got late rows in this run, and the growth/trailing windows those feed; see
``retail_kpi.kpi.windows``), and writes ``lake/kpi/<table>/dt=<date>/`` Parquet,
``lake/kpi_json/dt=<date>/<table>.json`` and ``lake/kpi/_touched/dt=<run date>.json``.
Definitions live in ``retail_kpi/kpi/catalogue.yaml``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script by spark-submit: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pyspark.sql import DataFrame, SparkSession

from retail_kpi.kpi import catalogue, windows
from spark_jobs import kpi_compute, kpi_io
from spark_jobs.common import add_session_args, fail, session_conf, session_for, sized_for

log = logging.getLogger("kpis")
#: Session settings of a KPI run: UTC buckets, and Parquet timestamps that any reader
#: (pyarrow, the loader) sees as UTC instants.
RUN_CONF = {
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.session.timeZone": "UTC",
}

#: Silver Parquet is about a third of the landing CSV it came from (1M order lines:
#: 193 MB landed, 59 MB silver), so the small-batch threshold, set in landing MB, is
#: compared with the silver input times this.
SILVER_TO_LANDING = 3


def write_outputs(
    tables: dict[str, DataFrame], lake: Path, plan: windows.Plan, run_id: str
) -> dict[str, int]:
    """Parquet per table and partition, then JSON per date from what was written."""
    cat = catalogue.load()
    kpi_dir = lake / "kpi"
    counts: dict[str, int] = {}
    for t in cat.tables:
        started = time.monotonic()
        targets = plan.targets(t.period)
        df = tables[t.name].select(*t.column_names)
        kpi_io.write_table(df, kpi_dir / t.name, t.date_column, targets)
        meta = {"run_id": run_id, "run_date": plan.run_date.isoformat(), "grain": list(t.grain)}
        n = 0
        for day in targets:
            rows = kpi_io.partition_rows(kpi_dir / t.name, day, t.column_names)
            rows.sort(key=lambda r: tuple(str(r[g]) for g in t.grain))
            kpi_io.write_json(lake, t.name, day, rows, meta)
            n += len(rows)
        counts[t.name] = n
        log.info("%s: %d rows in %.1fs", t.name, n, time.monotonic() - started)
    kpi_io.write_touched(
        kpi_dir,
        plan.run_date,
        {
            "run_date": plan.run_date,
            "run_id": run_id,
            "touched": list(plan.touched),
            "days": list(plan.days),
            "months": list(plan.months),
            "rows": counts,
        },
    )
    return counts


def run(
    spark: SparkSession,
    lake: Path,
    run_date: dt.date,
    run_id: str,
    since: dt.date | None = None,
) -> dict[str, int]:
    """Compute and write everything for one run; returns rows written per table.

    The session settings it needs are restored afterwards, so a session shared with other
    jobs (tests, one application per DAG stage) keeps writing as before.
    """
    with session_conf(spark, RUN_CONF):
        return _run(spark, lake, run_date, run_id, since)


def _run(
    spark: SparkSession, lake: Path, run_date: dt.date, run_id: str, since: dt.date | None
) -> dict[str, int]:
    plan = windows.make_plan(lake / "silver", run_date, since)
    log.info(
        "run %s: touched %s -> %d days, %d months, %d input days",
        run_date,
        [d.isoformat() for d in plan.touched],
        len(plan.days),
        len(plan.months),
        len(plan.inputs),
    )
    size = _silver_bytes(lake / "silver", plan.history)
    with sized_for(spark, size * SILVER_TO_LANDING) as small:
        log.info("silver input %.1f MB%s", size / 2**20, ", interpreted" if small else "")
        kept: list[DataFrame] = []
        tables = kpi_compute.compute(spark, lake / "silver", plan, kept)
        try:
            return write_outputs(tables, lake, plan, run_id)
        finally:
            for df in kept:
                df.unpersist()


def _silver_bytes(silver: Path, days: tuple[dt.date, ...]) -> int:
    """Bytes of the silver partitions of ``days`` (every entity): the job's input size."""
    wanted = {f"dt={d.isoformat()}" for d in days}
    return sum(
        f.stat().st_size
        for part in silver.glob("*/dt=*")
        if part.name in wanted
        for f in part.rglob("*.parquet")
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--date",
        required=True,
        help="run (landing) date YYYY-MM-DD, or several comma-separated (computed in turn "
        "by one application)",
    )
    p.add_argument("--run-id", default="manual", help="pipeline run id, recorded in the outputs")
    p.add_argument("--lake", default=None, help="lake root (default: RETAIL_LAKE_DIR)")
    add_session_args(p)
    p.add_argument(
        "--recompute-from",
        default=None,
        help="also recompute every business day in the lake from this date on (backfills)",
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        run_dates = sorted({dt.date.fromisoformat(d.strip()) for d in args.date.split(",")})
        since = dt.date.fromisoformat(args.recompute_from) if args.recompute_from else None
    except ValueError:
        fail(f"--date/--recompute-from must be dates (YYYY-MM-DD), got {args.date!r}.")
    if args.lake:
        lake = Path(args.lake).resolve()
    else:
        from retail_kpi.config import settings

        lake = settings().lake_dir
    if not (lake / "silver").is_dir():
        fail(f"No silver lake under {lake}; run the clean job for {args.date} first.")
    started = time.monotonic()
    spark = session_for("retail-kpis", args)
    try:
        for run_date in run_dates:
            counts = run(spark, lake, run_date, args.run_id, since)
            log.info("%s: KPIs written: %s", run_date, counts)
    finally:
        spark.stop()
    log.info("KPIs of %d run date(s) in %.1fs", len(run_dates), time.monotonic() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
