"""Spark job: read one planned Kafka micro-batch into the lake's raw zone, exactly once.

    spark-submit spark_jobs/kafka_ingest.py --batch FILE|JSON [--lake DIR] [--bootstrap HOSTS]

The batch (``retail_kpi.events.ledger.Batch`` as JSON: id and offset ranges, fixed when it
was planned) is read with Spark's Kafka source as a *batch* query over exactly those
ranges, and written, message by message and untouched, to

    <lake>/raw/kafka/batch=<id>/entity=<entity>/dt=<ingest date>/part-*.parquet
    <lake>/raw/kafka/batch=<id>/_batch.json     counts per partition and per ingest date

(columns topic, partition, offset, key, value, timestamp; the ingest date is the UTC date
of the message timestamp). The folder is written aside and renamed into place, so a
rerun of the same batch replaces it whole and a killed run leaves nothing half written.
Parsing, poison messages and quarantine happen in the clean job, which reads every
batch of a date (:mod:`spark_jobs.kafka_source`).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import uuid
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script by spark-submit (see clean.py)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from retail_kpi.config import settings
from retail_kpi.events import topics
from retail_kpi.events.ledger import Batch
from spark_jobs import lake_io as io
from spark_jobs.common import add_session_args, session_for

log = logging.getLogger("spark_jobs.kafka_ingest")

SUMMARY = "_batch.json"


def raw_root(lake: str) -> str:
    return f"{lake.rstrip('/')}/raw/kafka"


def batch_dir(lake: str, batch_id: int) -> str:
    return f"{raw_root(lake)}/batch={batch_id}"


def read_batch(spark: SparkSession, batch: Batch, bootstrap: str) -> DataFrame:
    """The batch's messages with their entity and ingest date (one Kafka read)."""
    assign, start, end = batch.spark_offsets()
    raw = (
        spark.read.format("kafka")
        .option("kafka.bootstrap.servers", bootstrap)
        .option("assign", assign)
        .option("startingOffsets", start)
        .option("endingOffsets", end)
        .option("failOnDataLoss", "true")
        .load()
    )
    prefix = topics.prefix()
    return raw.select(
        "topic",
        "partition",
        "offset",
        F.col("key").cast("string").alias("key"),
        "value",
        "timestamp",
        F.substring(F.col("topic"), len(prefix) + 1, 1000).alias("entity"),
        F.to_date(F.col("timestamp")).cast("string").alias("dt"),
    )


def summarise(rows: list[Any], batch: Batch) -> dict[str, Any]:
    """The batch's ``_batch.json``: messages per partition and per topic and ingest date."""
    partitions: dict[tuple[str, int], int] = {(r.topic, r.partition): 0 for r in batch.ranges}
    dates: dict[tuple[str, str], int] = {}
    for r in rows:
        partitions[(r["topic"], r["partition"])] = (
            partitions.get((r["topic"], r["partition"]), 0) + r["n"]
        )
        dates[(r["topic"], r["dt"])] = dates.get((r["topic"], r["dt"]), 0) + r["n"]
    return {
        "batch_id": batch.batch_id,
        "ranges": [[r.topic, r.partition, r.start, r.end] for r in batch.ranges],
        "partitions": [
            {"topic": t, "partition": p, "messages": n} for (t, p), n in sorted(partitions.items())
        ],
        "dates": [
            {"topic": t, "ingest_date": d, "messages": n} for (t, d), n in sorted(dates.items())
        ],
    }


def existing_summary(lake: str, batch: Batch) -> dict[str, Any] | None:
    """The summary of a batch already in the lake (written last, so it proves the rest)."""
    # Spark's readers skip "_" files, so read it through the file system
    text = io.read_text(f"{batch_dir(lake, batch.batch_id)}/{SUMMARY}")
    if text is None:
        return None
    summary = json.loads(text)
    planned = [[r.topic, r.partition, r.start, r.end] for r in batch.ranges]
    if summary.get("batch_id") != batch.batch_id or summary.get("ranges") != planned:
        raise RuntimeError(
            f"{batch_dir(lake, batch.batch_id)} holds another batch {summary.get('batch_id')} "
            f"(ranges {summary.get('ranges')}, planned {planned}): the lake and the offsets "
            "ledger disagree (a warehouse restored or recreated beside an old lake?). Move "
            "that folder away, then clear the task; see docs/RUNBOOK.md#kafka-offsets-ledger."
        )
    return summary


def ingest(spark: SparkSession, batch: Batch, lake: str, bootstrap: str) -> dict[str, Any]:
    """Put the batch's raw folder in the lake (once); returns its summary.

    A batch whose folder is complete (its summary exists) is left as it is: its ranges are
    fixed, so reading them again would write the same messages. Otherwise the messages
    are written to a staging folder, the summary last, and the folder renamed into place.
    """
    done = existing_summary(lake, batch)
    if done is not None:
        log.info("batch %d is already in the lake: nothing to do", batch.batch_id)
        return done
    for r in batch.ranges:
        topics.entity_of(r.topic)  # a foreign topic in a plan is a bug: fail loudly
    staging_root = f"{raw_root(lake)}/_staging"
    io.delete_glob(f"{staging_root}/batch={batch.batch_id}-*")  # a killed try's leftovers
    staging = f"{staging_root}/batch={batch.batch_id}-{uuid.uuid4().hex[:8]}"
    if batch.messages == 0:
        summary = summarise([], batch)
    else:
        messages = read_batch(spark, batch, bootstrap).cache()
        try:
            messages.write.partitionBy("entity", "dt").parquet(staging)
            counts = messages.groupBy("topic", "partition", "dt").agg(F.count("*").alias("n"))
            summary = summarise(counts.collect(), batch)
        finally:
            messages.unpersist()
    io.write_json(f"{staging}/{SUMMARY}", summary)
    final = batch_dir(lake, batch.batch_id)
    io.move(staging, final)  # an incomplete folder there (no summary) was never read
    return summary


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--batch", required=True, help="the planned batch as JSON, or a file holding it"
    )
    parser.add_argument("--lake", help="lake root (default RETAIL_LAKE_DIR)")
    parser.add_argument("--bootstrap", help="Kafka brokers (default KAFKA_BOOTSTRAP_SERVERS)")
    add_session_args(parser)
    return parser.parse_args(argv)


def load_batch(text: str) -> Batch:
    doc = json.loads(Path(text).read_text() if not text.lstrip().startswith("{") else text)
    return Batch.from_dict(doc)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("py4j").setLevel(logging.WARNING)
    args = parse_args(argv)
    batch = load_batch(args.batch)
    lake = args.lake or str(settings().lake_dir)
    bootstrap = args.bootstrap or kafka_bootstrap()
    spark = session_for(f"retail-kafka-batch-{batch.batch_id}", args)
    try:
        summary = ingest(spark, batch, lake, bootstrap)
    finally:
        spark.stop()
    for d in summary["dates"]:
        log.info("%-26s %s: %d messages", d["topic"], d["ingest_date"], d["messages"])
    log.info("batch %d: %d messages in the lake", batch.batch_id, batch.messages)
    return 0


def kafka_bootstrap() -> str:
    from retail_kpi.services import kafka

    return kafka.bootstrap_servers()


if __name__ == "__main__":
    sys.exit(main())
