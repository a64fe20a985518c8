"""Kafka micro-batches on a real broker: ranges planned in the ledger, read exactly once.

The messages are produced here with confluent_kafka (not the simulator), so every expected
count is known by construction: N good records per partition, plus poison messages whose
offsets the delivery reports give.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from retail_kpi import schemas
from retail_kpi.events import ledger, topics
from retail_kpi.warehouse.db import connect
from retail_kpi.warehouse.migrate import migrate
from spark_jobs import kafka_ingest, kafka_source

DAY_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
DAY = "2026-01-01"
OPENED = dt.date(2026, 1, 1)  # shipments and returns of the test day refer to real orders


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


def _plan(url: str, run_id: str, bootstrap: str, topic: str | None = None) -> ledger.Batch:
    """Plan over ``topic``, or over every source topic of the test's prefix."""
    names = [topic] if topic else list(topics.topics().values())
    with connect(url) as conn:
        return ledger.plan(conn, run_id, ledger.watermarks(bootstrap, names))


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


def _lines(folder, entity: str) -> list[bytes]:
    files = sorted(folder.glob(f"{entity}/dt=*/*.jsonl"))
    return [line for f in files for line in f.read_bytes().splitlines() if line]


def test_simulated_day_from_kafka_cleans_once_even_when_redelivered(
    spark, kafka_broker, warehouse, prefix, tmp_path
):
    """A simulated clean day plus poison, delivered twice: silver holds each record once,
    every poison message is quarantined under its topic/partition/offset, and the clean
    job's counts equal the ledger's per topic."""
    from simulator import generate_day
    from simulator.defects import DefectRates
    from simulator.kafka_sim import produce_day
    from spark_jobs.pipeline import run_clean

    day = dt.date(2026, 2, 3)
    volume = {"seed": 7, "orders": 40, "customers": 80, "products": 12}
    clean = DefectRates.scaled(0)
    # The expected records, counted from the generator's own files (not from the pipeline).
    expected_dir = tmp_path / "expected"
    generate_day(day, expected_dir, **volume, defects=clean, fmt="jsonl", opened_on=OPENED)
    lake, landing = tmp_path / "lake", tmp_path / "landing"
    landing.mkdir()
    manifests = []
    for run in ("run-a", "run-b"):  # the source re-delivers the whole day
        manifests.append(
            produce_day(
                day,
                kafka_broker,
                **volume,
                defects=clean,
                opened_on=OPENED,
                partitions=2,
                manifest_dir=tmp_path / "sim",
            )
        )
        batch = _plan(warehouse, run, kafka_broker)
        assert _ingest(spark, warehouse, batch, lake, kafka_broker, run) == [day.isoformat()]

    report = run_clean(spark, day.isoformat(), "clean-1", str(landing), str(lake))

    poison = manifests[0]["kafka"]["poison"]
    with connect(warehouse) as conn:
        for entity, counts in report["entities"].items():
            sent = ledger.messages_by_date(conn, f"{prefix}{entity}", day.isoformat())
            assert counts["rows_in"] == sent, entity
    for entity in ("orders", "order_items", "customers", "web_sessions"):
        records = len(_lines(expected_dir, entity))
        n_poison = sum(1 for p in poison if p["entity"] == entity)
        counts = report["entities"][entity]
        assert counts["rows_in"] == 2 * (records + n_poison), entity
        assert counts["rows_clean"] == records, entity
        assert counts["rows_deduplicated"] == records, entity
        assert counts["rows_quarantined"] == 2 * n_poison, entity
    quarantined = spark.read.parquet(str(lake / "quarantine" / "orders")).collect()
    where = {(r["source_file"], r["source_line"]) for r in quarantined}
    for manifest in manifests:
        for p in manifest["kafka"]["poison"]:
            if p["entity"] == "orders":
                assert (f"kafka:{p['topic']}/{p['partition']}", p["offset"]) in where


def test_a_killed_ingest_leaves_nothing_and_the_rerun_reads_every_offset_once(
    kafka_broker, warehouse, prefix, tmp_path
):
    """kill -9 the Spark ingest job (by its process group) while it writes; the rerun of the
    same batch puts every planned offset in the lake exactly once."""
    import os
    import signal
    import subprocess
    import sys
    import time

    import pyarrow.dataset as pads

    topic = f"{prefix}web_sessions"
    _create(kafka_broker, topic, partitions=1)
    value = json.dumps(dict.fromkeys(schemas.column_names("web_sessions"), "x")).encode()
    n = 150_000
    producer = Producer({"bootstrap.servers": kafka_broker, "linger.ms": 50})
    for i in range(n):
        producer.produce(topic, value=value, timestamp=DAY_MS + i)
        if i % 10_000 == 0:
            producer.poll(0)
    assert producer.flush(60) == 0
    batch = _plan(warehouse, "run-kill", kafka_broker, topic)
    assert batch.messages == n
    lake = tmp_path / "lake"
    cmd = [
        sys.executable, "spark_jobs/kafka_ingest.py", "--batch", json.dumps(batch.to_dict()),
        "--lake", str(lake), "--bootstrap", kafka_broker, "--master", "local[1]",
    ]  # fmt: skip
    env = {**os.environ, "RETAIL_KAFKA_TOPIC_PREFIX": prefix}
    proc = subprocess.Popen(cmd, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    staging = lake / "raw" / "kafka" / "_staging"
    deadline = time.monotonic() + 120
    while not staging.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the job ended before it could be killed mid-write"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(30)
    final = lake / "raw" / "kafka" / f"batch={batch.batch_id}"
    assert not final.exists()  # nothing half written where the clean job reads

    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    table = pads.dataset(str(final / "entity=web_sessions"), format="parquet").to_table(
        columns=["offset"]
    )
    offsets = sorted(table.column("offset").to_pylist())
    assert offsets == list(range(n))
    assert list(staging.iterdir()) == []  # the killed try's leftovers are gone


def test_retail_daily_closes_a_kafka_fed_day_once_a_batch_read_past_its_end(
    warehouse, tmp_path, monkeypatch
):
    """No landing files: the daily run's sensor waits until a micro-batch planned after
    midnight + grace was ingested, then the landing gate has nothing to check."""
    from retail_kpi import pipeline

    monkeypatch.setenv("WAREHOUSE_URL", warehouse)
    monkeypatch.setenv("RETAIL_DATA_DIR", str(tmp_path))
    day = dt.date(2026, 1, 1)
    insert = (
        "insert into audit.kafka_batch (batch_id, run_id, planned_at, status, messages)"
        " values (%s, %s, %s, 'ingested', 5)"
    )
    with connect(warehouse) as conn:
        conn.execute(insert, (1, "r1", "2026-01-01T23:55:00Z"))
        conn.execute(
            "insert into audit.kafka_batch_date values (1, 'retail.orders', %s, 5)", (day,)
        )
        conn.commit()
    assert pipeline.landing_ready(day) is None  # the day's last batch may still come
    with connect(warehouse) as conn:
        conn.execute(insert, (2, "r2", "2026-01-02T00:05:00Z"))  # inside the grace
        conn.commit()
    assert pipeline.landing_ready(day) is None
    with connect(warehouse) as conn:
        conn.execute(insert, (3, "r3", "2026-01-02T00:10:00Z"))
        conn.commit()
    assert pipeline.landing_ready(day) == {"source": "kafka", "files": {}, "bytes": 0}
    assert pipeline.landing_ready(day + dt.timedelta(days=1)) is None  # no messages that day
    gate = pipeline.validate_landing(day, run_id="r", source="kafka")
    assert (gate["outcome"], gate["expectations"]) == ("passed", 0)
