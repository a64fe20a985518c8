"""Shared Spark helpers: the session builder, silver types and value parsers.

Every parser is a built-in Spark expression (no Python UDFs) and never throws under ANSI
mode: a value that does not parse becomes NULL, and the caller turns that NULL into a
quarantine reason instead of letting it through.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import reduce

from pyspark import SparkConf
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from retail_kpi import batch_size, config, schemas
from retail_kpi.cleaning import rules

#: Small-machine defaults; any of them can be overridden with ``--conf`` / spark-submit.
#: ``spark.driver.memory`` only takes effect when this process starts the JVM (tests,
#: ``python spark_jobs/clean.py``); under spark-submit the DAG passes it on the command
#: line (RETAIL_SPARK_DRIVER_MEMORY), because the JVM is already running here.
DEFAULT_CONF: dict[str, str] = {
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.adaptive.coalescePartitions.enabled": "true",
    "spark.sql.adaptive.skewJoin.enabled": "true",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.memory": "2g",
    "spark.sql.parquet.compression.codec": "snappy",
    # Cached frames are read once or twice per run; compressing them (gathering
    # dictionary/RLE statistics per column) took 5 % of the 1M-line clean job's time
    # (200 vs 191 s) and saved no memory that mattered at 4 GB.
    "spark.sql.inMemoryColumnarStorage.compressed": "false",
}


def submitted() -> bool:
    """True when ``spark-submit`` started this process: its ``--master`` and ``--conf`` rule.

    (``SparkConf()`` cannot tell before the context exists: the JVM's properties become
    visible to Python only then. spark-submit hands its gateway to the Python driver in
    ``PYSPARK_GATEWAY_PORT``.)
    """
    return "PYSPARK_GATEWAY_PORT" in os.environ


#: The per-session part of DEFAULT_CONF: what a client of a shared Spark Connect server sets
#: on its own session (the rest is the server's, :mod:`retail_kpi.services.spark_connect`).
SESSION_CONF: dict[str, str] = {k: v for k, v in DEFAULT_CONF.items() if k.startswith("spark.sql.")}


def add_session_args(parser: argparse.ArgumentParser) -> None:
    """``--master`` / ``--remote``: where a job runs when not started by spark-submit."""
    parser.add_argument(
        "--master", help="Spark master when not run by spark-submit (default SPARK_MASTER)"
    )
    parser.add_argument(
        "--remote",
        help="run as a client of this Spark Connect server (sc://host:port) instead of a "
        "Spark application of its own (default SPARK_REMOTE, unless --master is given)",
    )


def session_for(app_name: str, args: argparse.Namespace) -> SparkSession:
    """The job's session: spark-submit's application; else a Spark Connect client of
    ``--remote`` / SPARK_REMOTE; else an application of its own on ``--master`` /
    SPARK_MASTER."""
    if submitted():  # spark-submit's --master and --conf rule
        return build_session(app_name)
    remote = args.remote or (None if args.master else config.env("SPARK_REMOTE"))
    if remote:
        spark = connect_session(app_name, remote)
        # A killed task terminates its client: stop the server-side work too, or a write
        # of the killed run could still land after the next run of the date started.
        signal.signal(signal.SIGTERM, lambda signum, _: _interrupt(spark, signum))
        return spark
    return build_session(app_name, master=args.master or config.settings().spark_master)


def _interrupt(spark: SparkSession, signum: int) -> None:
    spark.interruptAll()
    raise SystemExit(128 + signum)


def connect_session(app_name: str, remote: str) -> SparkSession:
    """A session of the Spark Connect server at ``remote``, with the jobs' SQL settings.

    Nothing listening there fails the job at once, naming the server (the client would
    otherwise retry for minutes)."""
    from retail_kpi.services import process, spark_connect

    host, port = spark_connect.host_port(remote)
    if not process.port_open(host, port, timeout_s=5.0):
        fail(
            f"Spark Connect at {remote} does not answer (nothing listens on {host}:{port}); "
            "start it (make spark-connect) or point the Airflow connection 'spark' elsewhere."
        )
    spark = SparkSession.builder.remote(remote).appName(app_name).create()
    for key, value in SESSION_CONF.items():
        spark.conf.set(key, value)
    return spark


def build_session(app_name: str, master: str | None = None) -> SparkSession:
    """One session per application; spark-submit/--conf values win over our defaults."""
    conf = SparkConf()
    for key, value in DEFAULT_CONF.items():
        if not conf.contains(key):
            conf.set(key, value)
    if master and not conf.contains("spark.master"):
        conf.setMaster(master)
    if not conf.contains("spark.jars"):  # run without spark-submit: the locked jars
        from retail_kpi.services import jvm  # (Kafka source, OpenLineage), as the DAG passes

        conf.set("spark.jars", ",".join(jvm.spark_jars()))
    conf.setAppName(app_name)
    spark = SparkSession.builder.config(conf=conf).getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark


#: Session settings of a small batch: interpreted expressions, no whole-stage codegen.
INTERPRETED_CONF: dict[str, str] = {
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
}


@contextmanager
def session_conf(spark: SparkSession, conf: dict[str, str]) -> Iterator[None]:
    """Set ``conf`` on the session for the block, then restore what was there (tests and
    one-application runs share a session)."""
    saved = {k: spark.conf.get(k, None) for k in conf}
    for key, value in conf.items():
        spark.conf.set(key, value)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, old)


@contextmanager
def sized_for(spark: SparkSession, input_bytes: int) -> Iterator[bool]:
    """Within the block, interpret expressions when the input is a small batch.

    Compiling a plan's generated code costs tens of milliseconds per stage whatever the
    row count, and a small day's clean job compiles ~700 of them; interpreted, a
    2,000-order day's clean job took 8 % less time in a fresh JVM and 25 % less warm, its
    KPI job 15 % less (README "Performance"). Big batches keep compiled code: at 1M order
    lines the KPI job took 275 s interpreted (and C1 JIT), 115 s compiled (full JIT).
    ``input_bytes`` is landing-file bytes or their equivalent; the threshold is
    ``RETAIL_SPARK_SMALL_BATCH_MB`` (:mod:`retail_kpi.batch_size`). The session's
    settings are restored afterwards (tests share one session). Yields True when it
    switched.
    """
    small = batch_size.is_small(input_bytes)
    with session_conf(spark, INTERPRETED_CONF if small else {}):
        yield small


def fail(message: str) -> None:
    """Print one sentence for the operator and exit non-zero (no traceback)."""
    print(f"ERROR: {message}", file=sys.stderr)
    raise SystemExit(1)


# ---- types -------------------------------------------------------------------------


def spark_type(entity: str, col: schemas.Column) -> T.DataType:
    """Spark type of a silver column (decimal precision from the rule table)."""
    if col.type == "decimal":
        precision, scale = rules.decimal_type(col.name)
        return T.DecimalType(precision, scale)
    simple: dict[str, T.DataType] = {
        "string": T.StringType(),
        "int": T.IntegerType(),
        "timestamp": T.TimestampType(),
        "date": T.DateType(),
        "boolean": T.BooleanType(),
    }
    return simple[col.type]


def silver_schema(entity: str) -> T.StructType:
    return T.StructType(
        [T.StructField(c.name, spark_type(entity, c), c.nullable) for c in schemas.SILVER[entity]]
    )


def select_silver(df: DataFrame, entity: str, *extra: str) -> DataFrame:
    """The output contract: exactly the SILVER columns, typed, in order (+ ``extra``)."""
    cols = [F.col(c.name).cast(spark_type(entity, c)).alias(c.name) for c in schemas.SILVER[entity]]
    return df.select(*cols, *extra)


def landing_schema(entity: str) -> T.StructType:
    """All-string schema of a landing entity, in file order (never inferred)."""
    return T.StructType(
        [T.StructField(name, T.StringType(), True) for name in schemas.column_names(entity)]
    )


# ---- parsers (NULL when the value does not parse) ----------------------------------------


#: Characters trimmed from both ends of every landing value.
WHITESPACE = " \t\n\r\f\v"


def clean_str(c: Column | str) -> Column:
    """Trim ASCII whitespace (a character-set trim, much cheaper than a regex); empty -> NULL.

    (Skipping the trim for values without whitespace at their ends, 12 byte comparisons
    per value, made the clean job's parse stage one generated method too big for the JIT
    to compile: 191 -> 251 s at 1M order lines.)
    """
    col = F.col(c) if isinstance(c, str) else c
    trimmed = F.btrim(col, F.lit(WHITESPACE))  # TRIM(BOTH chars FROM col)
    return F.when(trimmed != "", trimmed)


def squash(c: Column | str) -> Column:
    """clean_str plus runs of inner whitespace collapsed to one space (names, cities)."""
    return F.regexp_replace(clean_str(c), r"\s+", " ")


def to_int(c: Column) -> Column:
    return c.try_cast(T.IntegerType())


def to_decimal(c: Column) -> Column:
    precision, scale = rules.PARSE_DECIMAL
    return c.try_cast(T.DecimalType(precision, scale))


def to_ts(c: Column) -> Column:
    return F.coalesce(*[F.try_to_timestamp(c, F.lit(fmt)) for fmt in rules.TIMESTAMP_FORMATS])


def to_date(c: Column) -> Column:
    return F.try_to_date(c, rules.DATE_FORMAT)


def to_bool(c: Column) -> Column:
    low = F.lower(c)
    return F.when(low.isin(*rules.TRUE_VALUES), True).when(low.isin(*rules.FALSE_VALUES), False)


def round_money(c: Column) -> Column:
    """Half-up to cents as decimal(18,2) (Spark's round on decimals is HALF_UP)."""
    return F.round(c, 2).cast(T.DecimalType(*rules.MONEY))


# ---- checks ------------------------------------------------------------------------------

FAILURE = T.StructType(
    [T.StructField("reason_code", T.StringType()), T.StructField("rule", T.StringType())]
)


def check(failed: Column, reason_code: str, rule: str) -> Column:
    """A failure struct when ``failed`` is true, else NULL."""
    if reason_code not in schemas.REASON_CODES:
        raise ValueError(f"{reason_code} is not in schemas.REASON_CODES; add and document it.")
    return F.when(
        failed, F.struct(F.lit(reason_code).alias("reason_code"), F.lit(rule).alias("rule"))
    )


def first_failure(checks: Iterable[Column]) -> Column:
    """The first failing check in priority order, NULL when all pass."""
    items = list(checks)
    return F.coalesce(*items, F.lit(None).cast(FAILURE)) if items else F.lit(None).cast(FAILURE)


def union_all(frames: list[DataFrame]) -> DataFrame:
    return reduce(lambda a, b: a.unionByName(b), frames)
