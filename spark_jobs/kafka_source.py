"""Kafka messages of one entity and ingest date -> bronze rows, like a landing file's lines.

The clean job reads every batch the micro-batches put in the lake for the date
(``<lake>/raw/kafka/batch=*/entity=<entity>/dt=<date>/``, see :mod:`spark_jobs.kafka_ingest`)
and parses each message value as one JSON-lines record of the entity's landing contract.
A message is *poison* when its value is not valid UTF-8, larger than
:data:`retail_kpi.events.topics.MAX_MESSAGE_BYTES`, not a JSON object with exactly the
contract's keys, or carries a key other than the record's business key: it keeps its parsed
columns NULL and gets a ``_parse_error``, so clean quarantines it as MALFORMED_LINE. Every
row says where it came from: ``_source_file`` = ``kafka:<topic>/<partition>`` and
``_source_line`` = the message offset.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from retail_kpi import schemas
from retail_kpi.events.topics import MAX_MESSAGE_BYTES
from retail_kpi.schemas import BUSINESS_KEYS, KEY_SEPARATOR
from spark_jobs import lake_io as io
from spark_jobs.ingest import _json_fields

SOURCE_PREFIX = "kafka:"


def raw_paths(lake: str, entity: str, day: str) -> list[str]:
    """Folders of the date's messages of ``entity``, one per batch that touched it."""
    return io.glob(f"{lake.rstrip('/')}/raw/kafka/batch=*/entity={entity}/dt={day}")


def _business_key(parsed: Column, entity: str) -> Column:
    return F.concat_ws(
        KEY_SEPARATOR, *[F.coalesce(parsed.getField(c), F.lit("")) for c in BUSINESS_KEYS[entity]]
    )


def parse_messages(messages: DataFrame, entity: str) -> DataFrame:
    """Raw messages (topic, partition, offset, key, value) -> landing columns + metadata."""
    names = schemas.column_names(entity)
    value = F.col("value").cast("string")
    json_error, parsed = _json_fields(value, names)
    data = messages.withColumn("_parsed", parsed)
    size = F.octet_length(F.col("value"))
    key_error = F.concat(
        F.lit("message key '"),
        F.col("key"),
        F.lit("' is not the record's business key '"),
        _business_key(F.col("_parsed"), entity),
        F.lit("'"),
    )
    error = (
        F.when(~F.is_valid_utf8(value), F.lit("undecodable bytes: the message is not valid UTF-8"))
        .when(
            size > MAX_MESSAGE_BYTES,
            F.concat(
                F.lit("oversized message: "),
                size.cast("string"),
                F.lit(f" bytes (limit {MAX_MESSAGE_BYTES})"),
            ),
        )
        .when(json_error.isNotNull(), json_error)
        .when(
            F.col("key").isNotNull() & (F.col("key") != _business_key(F.col("_parsed"), entity)),
            key_error,
        )
    )
    data = data.withColumn("_parse_error", error)
    fields = [
        F.when(F.col("_parse_error").isNull(), F.col("_parsed").getField(n)).alias(n) for n in names
    ]
    return data.select(
        *fields,
        F.concat(F.lit(SOURCE_PREFIX), F.col("topic"), F.lit("/"), F.col("partition")).alias(
            "_source_file"
        ),
        F.col("offset").cast(T.IntegerType()).alias("_source_line"),
        F.make_valid_utf8(F.substring(value, 1, MAX_MESSAGE_BYTES)).alias("_raw"),
        F.col("_parse_error"),
    )


def ingest_entity(spark: SparkSession, lake: str, entity: str, day: str) -> tuple[DataFrame, int]:
    """(bronze rows of the date's messages of ``entity``, message count); (empty, 0) if none."""
    paths = raw_paths(lake, entity, day)
    if not paths:
        schema = "topic string, partition int, offset long, key string, value binary"
        return parse_messages(spark.createDataFrame([], schema), entity), 0
    messages = spark.read.parquet(*paths).select("topic", "partition", "offset", "key", "value")
    return parse_messages(messages, entity), messages.count()
