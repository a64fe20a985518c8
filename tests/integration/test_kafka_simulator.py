"""The upstream simulator's Kafka half (simulator/kafka_sim.py) against a real broker.

One small day is produced to topics of a prefix of its own, then every topic is read back
from the beginning: counts against the generator's own JSON lines (generated again here,
independently), poison messages and defects at the offsets the manifest names, business
keys, timestamps on the day, and a second production giving the same messages in order.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource

from retail_kpi.events import topics
from retail_kpi.schemas import ENTITIES, column_names
from simulator import DefectRates, generate_day
from simulator.commands import main
from simulator.kafka_sim import (
    MS_PER_DAY,
    NOT_JSON,
    OVERSIZED,
    POISON_ENTITIES,
    POISON_KINDS,
    WRONG_KEY,
    WRONG_SCHEMA,
    day_start_ms,
    produce_day,
)

pytestmark = pytest.mark.integration

DAY = dt.date(2026, 2, 3)
VOLUME = {"seed": 42, "orders": 60, "customers": 200, "products": 20}
RATES = DefectRates.scaled(4)  # a small day still gets every line-level kind
CONSUME_TIMEOUT_S = 60.0

Read = dict[str, dict[int, list]]  # entity -> partition -> messages in offset order


def _consume(servers: str, entity: str) -> dict[int, list]:
    """Every message of the entity's topic, per partition, from offset 0 to the end."""
    name = topics.topic(entity)
    consumer = Consumer(
        {"bootstrap.servers": servers, "group.id": f"test-{uuid.uuid4().hex[:6]}",
         "enable.auto.commit": False}
    )  # fmt: skip
    try:
        parts = consumer.list_topics(name, timeout=10).topics[name].partitions
        high = {p: consumer.get_watermark_offsets(TopicPartition(name, p), timeout=10)[1]
                for p in parts}  # fmt: skip
        consumer.assign([TopicPartition(name, p, OFFSET_BEGINNING) for p in parts])
        got: dict[int, list] = {p: [] for p in parts}
        deadline = time.monotonic() + CONSUME_TIMEOUT_S
        while any(len(got[p]) < high[p] for p in parts) and time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is not None:
                assert msg.error() is None, msg.error()
                got[msg.partition()].append(msg)
    finally:
        consumer.close()
    assert all(len(got[p]) == high[p] for p in parts), f"{name}: not everything read back"
    return got


def _produce(servers: str, prefix: str, manifest_dir: Path, monkeypatch) -> tuple[dict, Read]:
    monkeypatch.setenv("RETAIL_KAFKA_TOPIC_PREFIX", prefix)
    manifest = produce_day(DAY, servers, **VOLUME, defects=RATES, manifest_dir=manifest_dir)
    return manifest, {e: _consume(servers, e) for e in ENTITIES}


@pytest.fixture(scope="module")
def produced(kafka_broker: str, tmp_path_factory) -> Iterator[tuple[dict, Read, Path, Read]]:
    """The day produced twice (two topic prefixes): (manifest, read, landing, second read)."""
    prefixes = [f"test-sim-{uuid.uuid4().hex[:8]}-{n}." for n in (1, 2)]
    landing = tmp_path_factory.mktemp("sim") / "landing"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RETAIL_LANDING_DIR", str(landing))
        manifest, read = _produce(kafka_broker, prefixes[0], landing.parent / "m1", mp)
        _, again = _produce(kafka_broker, prefixes[1], landing.parent / "m2", mp)
        yield manifest, read, landing, again
    admin = AdminClient({"bootstrap.servers": kafka_broker})  # an external cluster keeps none
    names = [f"{p}{e}" for p in prefixes for e in ENTITIES]
    for future in admin.delete_topics(names).values():
        future.result(timeout=30)


def _at(read: Read, entity: str, entry: dict):
    return read[entity][entry["partition"]][entry["offset"]]


def test_every_line_and_poison_message_is_published(produced, tmp_path: Path) -> None:
    manifest, read, landing, _ = produced
    generate_day(DAY, tmp_path, **VOLUME, defects=RATES, fmt="jsonl")  # the same day, alone
    for entity in ENTITIES:
        data = (tmp_path / entity / f"dt={DAY}" / f"{entity}.jsonl").read_bytes()
        poison = len(POISON_KINDS) if entity in POISON_ENTITIES else 0
        got = sum(len(msgs) for msgs in read[entity].values())
        assert got == data.count(b"\n") + poison, entity
        assert manifest["kafka"]["topics"][entity]["messages"] == got, entity
    assert manifest["kafka"]["complete"] is True
    assert not landing.exists(), "the simulator wrote into the landing folder"


def test_poison_messages_are_where_the_manifest_says(produced) -> None:
    manifest, read, _, _ = produced
    poison = manifest["kafka"]["poison"]
    assert sorted((p["entity"], p["kind"]) for p in poison) == sorted(
        (e, k) for e in POISON_ENTITIES for k in POISON_KINDS
    )
    for entry in poison:
        msg = _at(read, entry["entity"], entry)
        assert msg.key().decode() == entry["key"]
        assert len(msg.value()) == entry["value_bytes"]
        columns = column_names(entry["entity"])
        if entry["kind"] == NOT_JSON:
            with pytest.raises(ValueError):
                json.loads(msg.value())
        elif entry["kind"] == WRONG_SCHEMA:
            assert sorted(json.loads(msg.value())) != sorted(columns)
        elif entry["kind"] == OVERSIZED:
            assert topics.MAX_MESSAGE_BYTES < len(msg.value()) < 1_000_000
            assert list(json.loads(msg.value())) == columns
        else:
            assert entry["kind"] == WRONG_KEY
            record = json.loads(msg.value())
            assert topics.message_key(entry["entity"], record) == entry["record_key"]
            assert entry["key"] != entry["record_key"]


def test_defects_are_where_the_manifest_says(produced) -> None:
    manifest, read, _, _ = produced
    kinds = {d["kind"] for d in manifest["defects"]}
    assert {"non_utf8", "broken_quoting", "late_arriving", "exact_duplicate"} <= kinds
    for defect in manifest["defects"]:
        msg = _at(read, defect["entity"], defect)
        assert msg.topic() == defect["topic"]
        assert msg.key().decode() == defect["record_key"], defect
        if defect["kind"] == "non_utf8":
            with pytest.raises(UnicodeDecodeError):
                msg.value().decode()
        if defect["kind"] == "late_arriving":  # an order of D-1..D-3, arriving on DAY
            assert defect["record_key"][1:9] < DAY.strftime("%Y%m%d")
            assert msg.timestamp()[1] >= day_start_ms(DAY)


def test_keys_are_business_keys_and_timestamps_on_the_day(produced) -> None:
    manifest, read, _, _ = produced
    wrong_key = {(p["topic"], p["partition"], p["offset"]) for p in manifest["kafka"]["poison"]
                 if p["kind"] == WRONG_KEY}  # fmt: skip
    start = day_start_ms(DAY)
    for entity, partitions in read.items():
        for msgs in partitions.values():
            stamps = [m.timestamp()[1] for m in msgs]
            assert all(start <= ts < start + MS_PER_DAY for ts in stamps), entity
            assert stamps == sorted(stamps), f"{entity}: published out of arrival order"
            for m in msgs:
                try:
                    record = json.loads(m.value())
                except ValueError:
                    continue
                if list(record) == column_names(entity) and (
                    m.topic(), m.partition(), m.offset()) not in wrong_key:  # fmt: skip
                    assert m.key().decode() == topics.message_key(entity, record)


def test_same_seed_same_messages_in_the_same_order(produced) -> None:
    _, read, _, again = produced
    for entity in ENTITIES:
        first = {p: [(m.key(), m.value(), m.timestamp()) for m in ms]
                 for p, ms in read[entity].items()}  # fmt: skip
        second = {p: [(m.key(), m.value(), m.timestamp()) for m in ms]
                  for p, ms in again[entity].items()}  # fmt: skip
        assert first == second, entity


def test_replay_at_speed_paces_the_day(kafka_broker: str, tmp_path: Path, monkeypatch) -> None:
    """--speed: the day takes its length / speed (2 s here), and everything arrives."""
    prefix = f"test-sim-{uuid.uuid4().hex[:8]}-paced."
    monkeypatch.setenv("RETAIL_KAFKA_TOPIC_PREFIX", prefix)
    speed = MS_PER_DAY / 1000 / 2
    t0 = time.monotonic()
    try:
        manifest = produce_day(
            DAY, kafka_broker, seed=42, orders=20, customers=50, products=5,
            defects=DefectRates.none(), speed=speed, poison=False, manifest_dir=tmp_path,
        )  # fmt: skip
        elapsed = time.monotonic() - t0
        last = max(m.timestamp()[1] for ms in _consume(kafka_broker, "orders").values() for m in ms)
    finally:
        admin = AdminClient({"bootstrap.servers": kafka_broker})
        for future in admin.delete_topics([f"{prefix}{e}" for e in ENTITIES]).values():
            future.result(timeout=30)
    assert elapsed >= (last - day_start_ms(DAY)) / 1000 / speed
    kafka = manifest["kafka"]
    assert kafka["complete"] and kafka["speed"] == speed and kafka["poison"] == []
    assert all(t["messages"] == manifest["counts"][e] for e, t in kafka["topics"].items())
    saved = json.loads((tmp_path / f"dt={DAY}" / "manifest.json").read_text())
    assert saved["kafka"]["topics"] == kafka["topics"]


def test_produce_command(kafka_broker: str, tmp_path: Path, monkeypatch, capsys) -> None:
    """``python -m simulator produce``: two dates, one manifest each, a summary line each."""
    prefix = f"test-sim-{uuid.uuid4().hex[:8]}-cli."
    monkeypatch.setenv("RETAIL_KAFKA_TOPIC_PREFIX", prefix)
    argv = ["produce", "--start", "2026-02-03", "--end", "2026-02-04", "--bootstrap",
            kafka_broker, "--orders", "20", "--customers", "50", "--products", "5", "--clean",
            "--partitions", "2", "--manifest-dir", str(tmp_path), "-q"]  # fmt: skip
    try:
        assert main(argv) == 0
        admin = AdminClient({"bootstrap.servers": kafka_broker})
        assert len(admin.list_topics(timeout=10).topics[f"{prefix}orders"].partitions) == 2
        resource = ConfigResource(ConfigResource.Type.TOPIC, f"{prefix}orders")
        config = admin.describe_configs([resource])[resource].result(timeout=30)
        assert config["retention.ms"].value == "-1"  # past timestamps are not expired
    finally:
        admin = AdminClient({"bootstrap.servers": kafka_broker})
        for future in admin.delete_topics([f"{prefix}{e}" for e in ENTITIES]).values():
            future.result(timeout=30)
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in out] == ["2026-02-03", "2026-02-04"]
    for day in ("2026-02-03", "2026-02-04"):
        manifest = json.loads((tmp_path / f"dt={day}" / "manifest.json").read_text())
        assert manifest["defects"] == [] and len(manifest["kafka"]["poison"]) == 8
