"""A tiny Spark job whose executors must import ``retail_kpi`` (tests the --py-files path).

The cluster test runs it through the Airflow Spark connection on ``local[*]`` and on a
standalone cluster. Its Python UDF and ``mapPartitions`` closure refer to ``retail_kpi``
modules, which cloudpickle ships by reference: an executor without the package fails
with ``ModuleNotFoundError``. It writes what it computed, plus where each executor
imported the package from, as Parquet under ``--lake``.
"""

from __future__ import annotations

import argparse
import os

from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from retail_kpi import pyfiles, schemas

ROWS = 500


def country_name(code: str | None) -> str | None:
    """Executed on executors: a lookup that needs ``retail_kpi.schemas`` there."""
    return schemas.COUNTRY_NAMES.get(code) if code else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--date", required=True)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--lake", required=True)
    args = parser.parse_args(argv)
    spark = SparkSession.builder.getOrCreate()
    codes = sorted(schemas.COUNTRIES)
    df = spark.range(ROWS, numPartitions=4).select(
        F.col("id"),
        F.element_at(
            F.array(*[F.lit(c) for c in codes]), (F.col("id") % len(codes) + 1).cast("int")
        ).alias("country_code"),
    )
    name_udf = F.udf(country_name, T.StringType())
    out = df.select(
        "id",
        "country_code",
        name_udf("country_code").alias("country_name"),
        F.lit(args.date).alias("business_date"),
        F.lit(args.run_id).alias("run_id"),
    )
    out.write.mode("overwrite").parquet(f"{args.lake}/probe/dt={args.date}")
    origins = df.rdd.mapPartitions(lambda _: [(pyfiles.origin(), os.getpid())]).toDF(
        ["origin", "pid"]
    )
    origins.write.mode("overwrite").parquet(f"{args.lake}/_executors/dt={args.date}")
    spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
