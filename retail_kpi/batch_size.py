"""Small batch or big batch: one threshold decides how the Spark jobs run a date.

A small day (the default 2,000 orders) spends most of a Spark job compiling: generated
code for every stage, and C2 JIT compiles of code that runs for a second. A big day
spends it running that code. Below ``RETAIL_SPARK_SMALL_BATCH_MB`` of landing files the
jobs therefore interpret expressions (``spark_jobs.common.sized_for``) and the driver
JVM stops at the C1 JIT (:func:`driver_java_options`); at or above it they compile and
use the JVM's full JIT. Measured figures: README "Performance".
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from retail_kpi.config import env

MB = 1024 * 1024
#: JVM options added for a small batch: C1 only (a third less CPU for a small day's clean
#: job); on a 1M-line day they made the clean job 34 % slower (373 vs 279 s).
SMALL_BATCH_JAVA_OPTIONS = "-XX:TieredStopAtLevel=1"


def limit_bytes() -> int:
    raw = env("RETAIL_SPARK_SMALL_BATCH_MB")
    try:
        return int(float(raw or 0) * MB)
    except ValueError:
        raise SystemExit(
            f"RETAIL_SPARK_SMALL_BATCH_MB={raw!r} is not a number of MB; use e.g. 64, or 0."
        ) from None


def is_small(input_bytes: int) -> bool:
    """True when ``input_bytes`` (landing-file bytes, or their equivalent) is a small batch."""
    return input_bytes < limit_bytes()


#: Kafka messages are kept in the lake as Parquet (``raw/kafka``), about a third of the
#: JSON-lines text they would be as landing files; the threshold compares them times this.
KAFKA_TO_LANDING = 3


def kafka_bytes(lake_dir: Path, day: dt.date | str) -> int:
    """Bytes of the Kafka messages of ingest date ``day`` in the lake (every batch)."""
    stamp = day if isinstance(day, str) else day.isoformat()
    return sum(
        f.stat().st_size
        for folder in lake_dir.glob(f"raw/kafka/batch=*/entity=*/dt={stamp}")
        for f in folder.rglob("*")
        if f.is_file()
    )


def input_bytes(landing_dir: Path, lake_dir: Path | None, day: dt.date | str) -> int:
    """A date's input in landing-file bytes: its files plus its Kafka messages' equivalent."""
    kafka = KAFKA_TO_LANDING * kafka_bytes(lake_dir, day) if lake_dir is not None else 0
    return landing_bytes(landing_dir, day) + kafka


def landing_bytes(landing_dir: Path, day: dt.date | str) -> int:
    """Bytes of every landing file of ``day`` (all entities, whole-day and interval files)."""
    stamp = day if isinstance(day, str) else day.isoformat()
    return sum(
        f.stat().st_size
        for folder in landing_dir.glob(f"*/dt={stamp}")
        for f in folder.rglob("*")
        if f.is_file()
    )


def driver_java_options(small: bool) -> str | None:
    """``spark.driver.extraJavaOptions`` of a Spark task (None: the JVM's defaults)."""
    base = env("RETAIL_SPARK_DRIVER_JAVA_OPTIONS").strip()
    parts = [] if base.lower() == "none" else [base]
    if small:
        parts.insert(0, SMALL_BATCH_JAVA_OPTIONS)
    return " ".join(p for p in parts if p) or None
