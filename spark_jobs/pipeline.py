"""Orchestration of the clean job: which entity when, what is written where, the counts.

Each entity is written as soon as it is cleaned and later entities read the written
silver back as their lookup, so nothing is computed twice and lookups are small scans.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from retail_kpi import schemas
from retail_kpi.cleaning import reconcile, rules
from spark_jobs import clean_ops, clean_reference, clean_sales
from spark_jobs import lake_io as io
from spark_jobs.common import silver_schema
from spark_jobs.dispose import Context, EntityResult
from spark_jobs.ingest import count_data_lines, ingest_entity

log = logging.getLogger(__name__)


class Lake:
    """Paths of one run's outputs (strings: any Hadoop file system URI works)."""

    def __init__(self, root: str, day: str) -> None:
        self.root, self.day = root, day

    def bronze(self, entity: str) -> str:
        return f"{self.root}/bronze/{entity}/dt={self.day}"

    def silver(self, entity: str) -> str:
        return f"{self.root}/silver/{entity}"

    def quarantine(self, entity: str) -> str:
        return f"{self.root}/quarantine/{entity}/dt={self.day}"

    def audit(self) -> str:
        return f"{self.root}/_audit/clean/dt={self.day}"

    def duplicates(self, entity: str) -> str:
        return f"{self.audit()}/duplicates/{entity}"


def ingest_all(spark: SparkSession, landing: str, lake: Lake) -> dict[str, int]:
    """Write every entity's bronze partition; returns the landing data-line counts."""
    rows_in = {}
    for entity in schemas.ENTITIES:
        files = io.list_files(spark, f"{landing}/{entity}/dt={lake.day}", ".csv")
        rows_in[entity] = count_data_lines(spark, files)
        io.replace_partition(ingest_entity(spark, files, entity), lake.bronze(entity))
        log.info("bronze %s: %d files, %d data lines", entity, len(files), rows_in[entity])
    return rows_in


def silver_today(spark: SparkSession, lake: Lake, entity: str) -> DataFrame:
    """This run's silver rows of ``entity`` (every business date), as written."""
    base = lake.silver(entity)
    pattern = f"{base}/dt=*/ingest_dt={lake.day}"
    if not io.glob_exists(spark, pattern):
        return spark.createDataFrame([], silver_schema(entity))
    return spark.read.option("basePath", base).parquet(pattern).drop("dt", "ingest_dt")


def silver_history(
    spark: SparkSession, lake: Lake, entity: str, days: int | None
) -> DataFrame | None:
    """Silver rows of earlier runs (other ingest dates), optionally within ``days``."""
    df = io.read_parquet_or_none(spark, lake.silver(entity))
    if df is None:
        return None
    df = df.filter(F.col("ingest_dt") != F.lit(lake.day).cast("date"))
    if days is not None:
        start = dt.date.fromisoformat(lake.day) - dt.timedelta(days=days)
        df = df.filter(F.col("dt") >= F.lit(start.isoformat()).cast("date"))
    return df.drop("dt", "ingest_dt")


def write_result(result: EntityResult, lake: Lake) -> None:
    io.replace_ingest_partitions(result.silver, lake.silver(result.entity), lake.day)
    io.replace_partition(result.quarantine, lake.quarantine(result.entity))
    io.replace_partition(result.duplicates, lake.duplicates(result.entity))


def count_result(
    spark: SparkSession, lake: Lake, entity: str, rows_in: int
) -> reconcile.EntityCounts:
    """Counts read back from the lake, so a lost or doubled write shows up."""
    quarantine = spark.read.parquet(lake.quarantine(entity))
    by_reason = {
        r["reason_code"]: int(r["count"])
        for r in quarantine.groupBy("reason_code").count().collect()
    }
    return reconcile.EntityCounts(
        entity=entity,
        rows_in=rows_in,
        rows_bronze=spark.read.parquet(lake.bronze(entity)).count(),
        rows_clean=silver_today(spark, lake, entity).count(),
        rows_quarantined=sum(by_reason.values()),
        rows_deduplicated=spark.read.parquet(lake.duplicates(entity)).count(),
        by_reason=dict(sorted(by_reason.items())),
    )


def clean_all(spark: SparkSession, lake: Lake, ctx: Context) -> None:
    """Clean entities in dependency order, writing each and reading it back as a lookup."""
    bronze = {e: spark.read.parquet(lake.bronze(e)) for e in schemas.ENTITIES}

    def done(result: EntityResult) -> DataFrame:
        write_result(result, lake)
        log.info("cleaned %s", result.entity)
        return silver_today(spark, lake, result.entity)

    fx_today = done(clean_reference.clean_fx_rates(bronze["fx_rates"], ctx))
    ctx.lookups["fx"] = clean_reference.known_rates(
        fx_today, silver_history(spark, lake, "fx_rates", None)
    )
    ctx.lookups["products"] = done(clean_reference.clean_products(bronze["products"], ctx))
    ctx.lookups["customers"] = done(clean_reference.clean_customers(bronze["customers"], ctx))
    stage = clean_sales.prepare_orders(bronze["orders"], ctx)
    items = done(clean_sales.clean_order_items(bronze["order_items"], ctx))
    done(clean_sales.finish_orders(stage, items, ctx))
    ctx.lookups["orders_today"] = silver_today(spark, lake, "orders")
    ctx.lookups["orders_history"] = silver_history(spark, lake, "orders", rules.ORDER_LOOKBACK_DAYS)
    for entity, cleaner in clean_ops.CLEANERS.items():
        done(cleaner(bronze[entity], ctx))


def run_clean(
    spark: SparkSession, day: str, run_id: str, landing: str, lake_root: str
) -> dict[str, Any]:
    """The whole job for one landing date; raises ReconciliationError when counts differ."""
    lake = Lake(lake_root, day)
    rows_in = ingest_all(spark, landing, lake)
    ctx = Context(day=day, run_id=run_id, lookups={})
    try:
        clean_all(spark, lake, ctx)
    finally:
        spark.catalog.clearCache()
    counts = [count_result(spark, lake, e, rows_in[e]) for e in rules.CLEAN_ORDER]
    doc = reconcile.report(counts, run_id=run_id, landing_date=day)
    io.write_json(spark, f"{lake.audit()}/reconciliation.json", doc)
    reconcile.check(counts)
    return doc
