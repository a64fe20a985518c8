"""Reading silver partitions and writing KPI outputs (Parquet, JSON, touched list)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from retail_kpi import schemas
from retail_kpi.cleaning import rules
from spark_jobs.common import silver_schema

TOUCHED_DIR = "_touched"
JSON_DIR = "kpi_json"


def _has_parquet(folder: Path) -> bool:
    return any(p.suffix == ".parquet" for p in folder.rglob("*.parquet"))


def read_silver(
    spark: SparkSession,
    silver_dir: Path,
    entity: str,
    days: Iterable[dt.date],
    columns: list[str],
) -> DataFrame:
    """Columns of one silver entity for the given business days, typed by the contract.

    Days without a partition are skipped; no partitions at all gives an empty frame with
    the contract's types, so downstream transforms never special-case "no data".
    """
    schema = silver_schema(entity)
    fields = {f.name: f.dataType for f in schema.fields}
    base = silver_dir / entity
    paths = [base / f"dt={d.isoformat()}" for d in sorted(set(days))]
    paths = [p for p in paths if p.is_dir() and _has_parquet(p)]
    if not paths:
        empty = T.StructType([T.StructField(c, fields[c], True) for c in columns])
        return spark.createDataFrame([], empty)
    df = spark.read.option("basePath", str(base)).parquet(*[str(p) for p in paths])
    if entity not in rules.SNAPSHOTS and any(_landings(p) > 1 for p in paths):
        df = latest_landing(df, entity)
    return df.select(*[F.col(c).cast(fields[c]).alias(c) for c in columns])


def _landings(day_dir: Path) -> int:
    return sum(1 for p in day_dir.glob("ingest_dt=*") if _has_parquet(p))


def latest_landing(df: DataFrame, entity: str) -> DataFrame:
    """One row per business key: the copy of the latest landing date (``ingest_dt``).

    A record landed again later (a re-delivery, a correction) is in silver once per landing
    date; the loader keeps the latest copy (``retail_kpi.load.silver``) and so do the KPIs.
    Only needed when a business date has several landing dates, which the caller checks.
    """
    keys = [F.col(k) for k in schemas.BUSINESS_KEYS[entity]]
    latest = Window.partitionBy(*keys).orderBy(F.col("ingest_dt").desc())
    return df.withColumn("_n", F.row_number().over(latest)).where(F.col("_n") == 1).drop("_n")


def read_snapshots(
    spark: SparkSession,
    silver_dir: Path,
    entity: str,
    serve: dict[dt.date, dt.date],
    columns: list[str],
) -> DataFrame:
    """Snapshot rows tagged ``snapshot_for`` = each day they serve (``serve``: day -> snapshot).

    One row per (snapshot_for, key): if a snapshot repeats a key, its latest update wins.
    """
    key = columns[0]
    wanted = [*columns, "updated_at"]
    snaps = read_silver(spark, silver_dir, entity, [], wanted).withColumn(
        "_snap", F.lit(None).cast("date")
    )
    for snap in sorted(set(serve.values())):
        part = read_silver(spark, silver_dir, entity, [snap], wanted)
        snaps = snaps.unionByName(part.withColumn("_snap", F.lit(snap)))
    mapping = spark.createDataFrame(
        [(d, s) for d, s in serve.items()], "snapshot_for date, _snap date"
    )
    latest = snaps.groupBy("_snap", key).agg(
        *[F.max_by(c, "updated_at").alias(c) for c in columns[1:]]
    )
    return mapping.join(latest, on="_snap", how="inner").drop("_snap")


def clear_partitions(table_dir: Path, days: Iterable[dt.date]) -> None:
    """Remove the dt= folders about to be rewritten, so a date with no rows is emptied."""
    for d in days:
        shutil.rmtree(table_dir / f"dt={d.isoformat()}", ignore_errors=True)


def write_table(df: DataFrame, table_dir: Path, date_col: str, days: list[dt.date]) -> None:
    """Overwrite the table's dt= partitions of ``days`` (one file per partition)."""
    clear_partitions(table_dir, days)
    out = df.withColumn("dt", F.col(date_col))
    (
        out.repartition("dt")
        .write.mode("overwrite")
        .option("partitionOverwriteMode", "dynamic")
        .partitionBy("dt")
        .parquet(str(table_dir))
    )


def _json_value(v: Any) -> Any:
    if isinstance(v, Decimal):
        return float(v)  # 2-decimal money up to 1e13 round-trips exactly through repr
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


def partition_rows(table_dir: Path, day: dt.date, columns: list[str]) -> list[dict[str, Any]]:
    """Rows of one written partition, in grain order, as plain Python values."""
    folder = table_dir / f"dt={day.isoformat()}"
    if not folder.is_dir() or not _has_parquet(folder):
        return []
    table = pq.read_table(folder, columns=columns)
    return table.to_pylist()


def write_json(
    lake: Path, table: str, day: dt.date, rows: list[dict[str, Any]], meta: dict[str, Any]
) -> Path:
    """``lake/kpi_json/dt=<day>/<table>.json`` for downstream consumers (seed 004)."""
    folder = lake / JSON_DIR / f"dt={day.isoformat()}"
    folder.mkdir(parents=True, exist_ok=True)
    doc = {
        **meta,
        "table": table,
        "dt": day.isoformat(),
        "rows": [{k: _json_value(v) for k, v in r.items()} for r in rows],
    }
    path = folder / f"{table}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, indent=1, sort_keys=False))
    tmp.replace(path)
    return path


def touched_path(kpi_dir: Path, run_date: dt.date) -> Path:
    return kpi_dir / TOUCHED_DIR / f"dt={run_date.isoformat()}.json"


def write_touched(kpi_dir: Path, run_date: dt.date, doc: dict[str, Any]) -> Path:
    """The list of recomputed dates the loader replaces in Postgres."""
    path = touched_path(kpi_dir, run_date)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, indent=1, default=str))
    tmp.replace(path)
    return path
