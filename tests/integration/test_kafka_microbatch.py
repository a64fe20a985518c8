"""Kafka micro-batches on a real broker: ranges planned in the ledger, read exactly once.

The messages are produced here with confluent_kafka (not the simulator), so every expected
count is known by construction: N good records per partition, plus poison messages whose
offsets the delivery reports give.
"""

from __future__ import annotations

import json
import uuid

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from retail_kpi import schemas
from retail_kpi.events import ledger
from retail_kpi.warehouse.db import connect
from retail_kpi.warehouse.migrate import migrate
from spark_jobs import kafka_ingest, kafka_source

DAY_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
DAY = "2026-01-01"


@pytest.fixture()
def prefix(monkeypatch) -> str:
    """A topic prefix of this test's own, so tests never read each other's messages."""
    value = f"t{uuid.uuid4().hex[:8]}."
    monkeypatch.setenv("RETAIL_KAFKA_TOPIC_PREFIX", value)
    return value


@pytest.fixture()
def warehouse(make_database) -> str:
    url = make_database("kafka_ledger")
    migrate(url)
    return url


def _order(n: int) -> dict[str, str | None]:
    row = dict.fromkeys(schemas.column_names("orders"))
    row.update(order_id=f"O20260101{n:08d}", customer_id="C0000001", order_ts="2026-01-01T10:00:00")
    return row


def _produce(bootstrap: str, topic: str, messages: list[tuple[str | None, bytes, int]]) -> list:
    """Publish (key, value, timestamp ms) to partition 0; returns their offsets."""
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    offsets: list[int] = []

    def delivered(err, msg):
        assert err is None, err
        offsets.append(msg.offset())

    for key, value, ts in messages:
        producer.produce(
            topic, value=value, key=key, timestamp=ts, partition=0, on_delivery=delivered
        )
    assert producer.flush(30) == 0
    return offsets


def _create(bootstrap: str, topic: str, partitions: int = 2) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})  # alive until the futures resolve
    futures = admin.create_topics(
        [NewTopic(topic, num_partitions=partitions, replication_factor=1)]
    )
    for future in futures.values():
        future.result(30)


def _plan(url: str, run_id: str, bootstrap: str, topic: str) -> ledger.Batch:
    with connect(url) as conn:
        return ledger.plan(conn, run_id, ledger.watermarks(bootstrap, [topic]))


def _ingest(spark, url, batch, lake, bootstrap, run_id):
    summary = kafka_ingest.ingest(spark, batch, str(lake), bootstrap)
    with connect(url) as conn:
        return ledger.record_ingested(conn, batch, run_id, summary)


def test_batches_read_each_offset_once_and_poison_is_named(
    spark, kafka_broker, warehouse, prefix, tmp_path
):
    topic = f"{prefix}orders"
    _create(kafka_broker, topic)
    good = [(f"O20260101{n:08d}", json.dumps(_order(n)).encode(), DAY_MS + n) for n in range(5)]
    _produce(kafka_broker, topic, good)

    first = _plan(warehouse, "run-1", kafka_broker, topic)
    assert [(r.partition, r.start, r.end) for r in first.ranges] == [(0, 0, 5)]
    assert _ingest(spark, warehouse, first, tmp_path, kafka_broker, "run-1") == [DAY]

    poison = [
        (None, b"not json at all", DAY_MS + 100),
        ("O2026010100000009", json.dumps({"order_id": "x"}).encode(), DAY_MS + 101),
        ("O2026010100000010", b'{"pad": "' + b"x" * 70_000 + b'"}', DAY_MS + 102),
        ("WRONG-KEY", json.dumps(_order(11)).encode(), DAY_MS + 103),
        ("O2026010100000012", b'{"order_id": "\xff\xfe"}', DAY_MS + 104),
        # the next day, and a good one that is late by a day (same ingest rule: its timestamp)
        ("O2026010100000013", json.dumps(_order(13)).encode(), DAY_MS + 86_400_000),
    ]
    offsets = _produce(kafka_broker, topic, poison)
    assert offsets == [5, 6, 7, 8, 9, 10]

    # A rerun of run-1 re-reads its own batch, not the new messages.
    assert _plan(warehouse, "run-1", kafka_broker, topic).ranges == first.ranges

    # run-2 plans, "dies" before ingesting; run-3 adopts its batch first, then plans anew.
    second = _plan(warehouse, "run-2", kafka_broker, topic)
    assert [(r.start, r.end) for r in second.ranges] == [(5, 11)]
    adopted = _plan(warehouse, "run-3", kafka_broker, topic)
    assert adopted.batch_id == second.batch_id and adopted.adopted
    dates = _ingest(spark, warehouse, adopted, tmp_path, kafka_broker, "run-3")
    assert dates == [DAY, "2026-01-02"]
    # the cleared task of run-2 runs again: same folder, same counts, nothing doubled
    assert _ingest(spark, warehouse, second, tmp_path, kafka_broker, "run-2") == dates
    # nothing new since: the next plan is an empty batch, recorded as ingested at once
    third = _plan(warehouse, "run-4", kafka_broker, topic)
    assert (third.batch_id, third.ranges, third.status) == (3, [], "ingested")

    with connect(warehouse) as conn:
        rows = conn.execute(
            "select batch_id, start_offset, end_offset, messages from audit.kafka_offsets"
            " order by batch_id"
        ).fetchall()
        assert rows == [(1, 0, 5, 5), (2, 5, 11, 6)]
        assert ledger.messages_by_date(conn, topic, DAY) == 10
        assert ledger.messages_by_date(conn, topic, "2026-01-02") == 1

    bronze, count = kafka_source.ingest_entity(spark, str(tmp_path), "orders", DAY)
    assert count == 10
    rows = {r["_source_line"]: r for r in bronze.collect()}
    assert sorted(rows) == list(range(10))
    assert {r["_source_file"] for r in rows.values()} == {f"kafka:{topic}/0"}
    assert all(rows[n]["_parse_error"] is None for n in range(5))
    assert rows[0]["order_id"] == "O2026010100000000"
    errors = {n: rows[n]["_parse_error"] for n in range(5, 10)}
    assert errors[5].startswith("broken JSON")
    assert errors[6].startswith("wrong field count")
    assert errors[7].startswith("oversized message: 70011 bytes")
    assert errors[8] == (
        "message key 'WRONG-KEY' is not the record's business key 'O2026010100000011'"
    )
    assert errors[9].startswith("undecodable bytes")
    assert all(rows[n]["order_id"] is None for n in range(5, 10))
