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

from retail_kpi import batch_size, schemas
from retail_kpi import landing as landing_contract
from retail_kpi.cleaning import reconcile, rules
from spark_jobs import clean_ops, clean_reference, clean_sales, kafka_source, lake_commit
from spark_jobs import lake_io as io
from spark_jobs.common import silver_schema, sized_for, union_all
from spark_jobs.dispose import Context, EntityResult
from spark_jobs.ingest import LandingError, ingest_entity

log = logging.getLogger(__name__)


class Lake:
    """Paths of one run (strings: any Hadoop file system URI works).

    The run's outputs go to the date's staging folder and are moved into place only once
    they reconcile (:mod:`spark_jobs.lake_commit`); what earlier runs committed is read
    from the live lake.
    """

    def __init__(self, root: str, day: str) -> None:
        self.root, self.day = root, day
        self.stage = lake_commit.staging_dir(root, day)

    def bronze(self, entity: str) -> str:
        return f"{self.stage}/bronze/{entity}/dt={self.day}"

    def silver_out(self, entity: str) -> str:
        """This run's silver of ``entity``, partitioned by dt (business date) and ingest_dt."""
        return f"{self.stage}/silver/{entity}"

    def silver(self, entity: str) -> str:
        """Committed silver of ``entity`` (every run's)."""
        return f"{self.root}/silver/{entity}"

    def quarantine(self, entity: str) -> str:
        return f"{self.stage}/quarantine/{entity}/dt={self.day}"

    def audit(self) -> str:
        return f"{self.stage}/_audit/clean/dt={self.day}"

    def duplicates(self, entity: str) -> str:
        return f"{self.audit()}/duplicates/{entity}"


def landing_files(spark: SparkSession, landing: str, day: str) -> landing_contract.Selection:
    """The landing files of ``day`` that count, per entity with their format
    (:func:`retail_kpi.landing.select`, the rule the landing gate applies too), checked
    against the date's done-marker; raises LandingError naming every offending file."""
    found, folders = io.landing_listing(landing, day)
    where = f"{landing}/{landing_contract.ready_relpath(day)}"
    text = io.read_text(where)
    marker = None if text is None else landing_contract.parse_marker(text, where)
    return landing_contract.select(found, day, folders=folders, marker=marker).check()


def ingest_all(
    spark: SparkSession,
    landing: str,
    lake: Lake,
    selection: landing_contract.Selection | None = None,
) -> dict[str, int]:
    """Write every entity's bronze partition; returns the data-line counts (files + Kafka).

    Per entity: its sources — the landing files with their format, and the Kafka messages
    the micro-batches put in the lake for this ingest date
    (:func:`spark_jobs.kafka_source.ingest_entity`) -> one bronze DataFrame -> one
    partition write.
    """
    rows_in = {}
    if selection is None:
        selection = landing_files(spark, landing, lake.day)
    messages = {
        e: kafka_source.ingest_entity(spark, lake.root, e, lake.day) for e in schemas.ENTITIES
    }
    if not selection.counted() and not any(n for _, n in messages.values()):
        raise LandingError(
            f"No landing files for {lake.day} under {landing}/<entity>/dt={lake.day}/ and no "
            f"Kafka messages under {lake.root}/raw/kafka/batch=*/entity=*/dt={lake.day}/; "
            "land that date first (upstream, or python -m simulator generate --date ...) "
            "or run the micro-batch that reads its messages."
        )
    for entity in schemas.ENTITIES:
        sources = [(f"{landing}/{rel}", fmt) for rel, fmt in selection.files[entity]]
        from_files, n_files = ingest_entity(spark, sources, entity)
        from_kafka, n_kafka = messages[entity]
        bronze = union_all([from_files, from_kafka]) if n_kafka else from_files
        rows_in[entity] = n_files + n_kafka
        io.replace_partition(bronze, lake.bronze(entity))
        log.info(
            "bronze %s: %d files, %d data lines; %d Kafka messages",
            entity,
            len(sources),
            n_files,
            n_kafka,
        )
    return rows_in


def silver_today(spark: SparkSession, lake: Lake, entity: str) -> DataFrame:
    """This run's silver rows of ``entity`` (every business date), as written."""
    base = lake.silver_out(entity)
    leaves = io.glob(f"{base}/dt=*/ingest_dt={lake.day}")
    if not leaves:
        return spark.createDataFrame([], silver_schema(entity))
    return spark.read.option("basePath", base).parquet(*leaves).drop("dt", "ingest_dt")


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
    result.silver.write.mode("overwrite").partitionBy("dt", "ingest_dt").parquet(
        lake.silver_out(result.entity)
    )
    io.replace_partition(result.quarantine, lake.quarantine(result.entity))
    io.replace_partition(result.duplicates, lake.duplicates(result.entity))


def count_results(
    spark: SparkSession, lake: Lake, rows_in: dict[str, int]
) -> list[reconcile.EntityCounts]:
    """Counts read back from the lake (one Spark job), so a lost or doubled write shows up."""
    parts = []
    for entity in rules.CLEAN_ORDER:
        tag = F.lit(entity).alias("entity")
        no_reason = F.lit(None).cast("string").alias("reason_code")
        parts += [
            spark.read.parquet(lake.bronze(entity)).select(
                tag, F.lit("bronze").alias("kind"), no_reason
            ),
            silver_today(spark, lake, entity).select(tag, F.lit("clean").alias("kind"), no_reason),
            spark.read.parquet(lake.quarantine(entity)).select(
                tag, F.lit("quarantine").alias("kind"), "reason_code"
            ),
            spark.read.parquet(lake.duplicates(entity)).select(
                tag, F.lit("duplicate").alias("kind"), no_reason
            ),
        ]
    rows = union_all(parts).groupBy("entity", "kind", "reason_code").count().collect()
    got: dict[tuple[str, str], int] = {}
    reasons: dict[str, dict[str, int]] = {e: {} for e in rules.CLEAN_ORDER}
    for r in rows:
        key = (r["entity"], r["kind"])
        got[key] = got.get(key, 0) + int(r["count"])
        if r["kind"] == "quarantine":
            reasons[r["entity"]][r["reason_code"]] = int(r["count"])
    return [
        reconcile.EntityCounts(
            entity=e,
            rows_in=rows_in[e],
            rows_bronze=got.get((e, "bronze"), 0),
            rows_clean=got.get((e, "clean"), 0),
            rows_quarantined=got.get((e, "quarantine"), 0),
            rows_deduplicated=got.get((e, "duplicate"), 0),
            by_reason=dict(sorted(reasons[e].items())),
        )
        for e in rules.CLEAN_ORDER
    ]


def quarantined_keys(spark: SparkSession, lake: Lake, entity: str, days: int) -> DataFrame:
    """Record keys quarantined in the last ``days`` landing dates (this run's included)."""
    today = spark.read.parquet(lake.quarantine(entity)).select("record_key")
    df = io.read_parquet_or_none(spark, f"{lake.root}/quarantine/{entity}")
    if df is None:
        return today
    start = dt.date.fromisoformat(lake.day) - dt.timedelta(days=days)
    earlier = df.filter(
        (F.col("dt") >= F.lit(start.isoformat()).cast("date"))
        & (F.col("dt") != F.lit(lake.day).cast("date"))
    )
    return earlier.select("record_key").unionByName(today)


def read_bronze(spark: SparkSession, lake: Lake, entity: str, rows_in: int) -> DataFrame:
    """Bronze of this run; an empty entity becomes an empty local relation, which lets
    Catalyst prune its whole cleaning plan instead of running empty jobs."""
    bronze = spark.read.parquet(lake.bronze(entity))
    return bronze if rows_in else spark.createDataFrame([], bronze.schema)


def clean_all(spark: SparkSession, lake: Lake, ctx: Context, rows_in: dict[str, int]) -> None:
    """Clean entities in dependency order, writing each and reading it back as a lookup."""
    bronze = {e: read_bronze(spark, lake, e, rows_in[e]) for e in schemas.ENTITIES}

    def done(result: EntityResult) -> DataFrame:
        write_result(result, lake)
        log.info("cleaned %s", result.entity)
        return silver_today(spark, lake, result.entity)

    fx_today = done(clean_reference.clean_fx_rates(bronze["fx_rates"], ctx))
    ctx.lookups["fx"] = clean_reference.known_versions(
        fx_today,
        silver_history(spark, lake, "fx_rates", None),
        "fx_rates",
        ["usd_per_unit"],
        newest=None,
    )
    ctx.lookups["products"] = clean_reference.known_versions(
        done(clean_reference.clean_products(bronze["products"], ctx)),
        silver_history(spark, lake, "products", None),
        "products",
        ["list_price_usd", "manufacturing_price_usd"],
    )
    ctx.lookups["customers"] = clean_reference.known_versions(
        done(clean_reference.clean_customers(bronze["customers"], ctx)),
        silver_history(spark, lake, "customers", None),
        "customers",
        [],
    )
    stage = clean_sales.prepare_orders(bronze["orders"], ctx)
    items = done(clean_sales.clean_order_items(bronze["order_items"], ctx))
    done(clean_sales.finish_orders(stage, items, ctx))
    lookback = rules.ORDER_LOOKBACK_DAYS
    ctx.lookups["orders_today"] = silver_today(spark, lake, "orders")
    history = silver_history(spark, lake, "orders", lookback)
    if history is not None:
        ctx.lookups["orders_history"] = history
    ctx.lookups["orders_rejected"] = (
        quarantined_keys(spark, lake, "orders", lookback)
        .select(F.col("record_key").alias("order_id"))
        .filter(F.col("order_id").isNotNull())
        .distinct()
    )
    for entity, cleaner in clean_ops.CLEANERS.items():
        done(cleaner(bronze[entity], ctx))


def run_clean(
    spark: SparkSession, day: str, run_id: str, landing: str, lake_root: str
) -> dict[str, Any]:
    """The whole job for one landing date; raises ReconciliationError when counts differ.

    All or nothing: the outputs are committed to the live lake only once they reconcile
    (:mod:`spark_jobs.lake_commit`); a failed or killed run leaves the previous state.
    """
    lake = Lake(lake_root, day)
    lake_commit.recover(lake_root, day)
    size = io.total_bytes([f"{landing}/{e}/dt={day}" for e in schemas.ENTITIES])
    kafka = [p for e in schemas.ENTITIES for p in kafka_source.raw_paths(lake_root, e, day)]
    size += batch_size.KAFKA_TO_LANDING * io.total_bytes(kafka)  # Parquet ~ 1/3 of JSON
    with sized_for(spark, size) as small:
        log.info("input %s: %.1f MB%s", day, size / 2**20, ", interpreted" if small else "")
        selection = landing_files(spark, landing, day)
        rows_in = ingest_all(spark, landing, lake, selection)
        history = selection.history
        ctx = Context(
            day=day,
            run_id=run_id,
            lookups={},
            small_batch=small,
            history_from=None if history is None else history[0].isoformat(),
        )
        try:
            clean_all(spark, lake, ctx, rows_in)
        finally:
            spark.catalog.clearCache()
        counts = count_results(spark, lake, rows_in)
    doc = reconcile.report(counts, run_id=run_id, landing_date=day, history=history)
    io.write_json(f"{lake.audit()}/reconciliation.json", doc)
    reconcile.check(counts, outputs=lake.stage)
    moved = lake_commit.commit(lake_root, day)
    log.info("committed %s: %d folders moved into %s", day, moved, lake_root)
    return doc
