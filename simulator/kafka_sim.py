"""The upstream simulator's Kafka half: a generated day published where a real source would.

:func:`produce_day` generates the day with :func:`~simulator.core.generate_day` as
JSON lines into a private temporary folder (never the landing folder: the pipeline must not
see those files) and publishes every line, defects included, byte for byte, to the entity's
topic (:mod:`retail_kpi.events.topics` is the contract; docs/SOURCES.md describes it). A few
*poison* messages break the contract on purpose, and a ground-truth manifest says where each
defect and poison message ended up (topic, partition, offset), so a consumer can be scored.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
from confluent_kafka import KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from retail_kpi.config import settings
from retail_kpi.events import topics
from retail_kpi.schemas import ENTITIES, KEY_SEPARATOR, column_names
from simulator.core import generate_day
from simulator.defects import DefectRates
from simulator.rand import rng
from simulator.writer import write_json

#: Published as the source's daily snapshot at 00:00:00 of the day.
REFERENCE_ENTITIES = ("customers", "products", "inventory", "fx_rates")
#: Transactional entities -> the columns whose latest value on the day is the arrival time
#: (order_items follow their order instead).
EVENT_COLUMNS: dict[str, tuple[str, ...]] = {
    "orders": ("order_ts",),
    "web_sessions": ("session_start_ts",),
    "shipments": ("shipped_ts", "delivered_ts"),
    "returns": ("return_ts",),
}
POISON_ENTITIES = ("orders", "customers")
NOT_JSON, WRONG_SCHEMA, OVERSIZED, WRONG_KEY = "not_json", "wrong_schema", "oversized", "wrong_key"
POISON_KINDS = (NOT_JSON, WRONG_SCHEMA, OVERSIZED, WRONG_KEY)
#: Over the contract's limit, well under the broker's default 1 MB message size.
OVERSIZED_BYTES = 2 * topics.MAX_MESSAGE_BYTES
#: The column an oversized poison message repeats until it is too big.
OVERSIZED_COLUMN = {"orders": "payment_method", "customers": "address"}
#: The key a wrong-schema message adds (a newer producer's field the contract does not know).
EXTRA_FIELD = ("schema_version", "2")
MS_PER_DAY = 86_400_000
#: Java's default partitioner (murmur2), so a Java or Spark producer puts a key where we do.
PRODUCER_CONFIG = {"enable.idempotence": True, "acks": "all", "partitioner": "murmur2_random"}
#: Topics we create keep messages by size, not time, like the project's broker: replayed
#: past days carry past timestamps that time retention (7 days by default) would delete.
TOPIC_CONFIG = {"retention.ms": "-1", "retention.bytes": str(1 << 30)}
FLUSH_TIMEOUT_S = 120.0
ADMIN_TIMEOUT_S = 15.0
PACE_POLL_S = 0.5
#: Kafka 4 brokers reject timestamps over log.message.timestamp.after.max.ms (1 h) ahead.
FUTURE_GRACE_MS = 3_600_000
FUTURE_HINT = (
    "The day lies in the future: brokers reject timestamps more than "
    "log.message.timestamp.after.max.ms (1 hour by default) ahead of their clock; "
    "produce past days."
)
Progress = Callable[[str], None]


class ProduceError(RuntimeError):
    """Messages were not acknowledged by the broker; the message names topic and count."""


class Message(NamedTuple):
    entity: str
    value: bytes
    key: str | None
    timestamp_ms: int
    line: int  # 1-based line of the generated JSON-lines file (a poison copy: its source's)
    poison: str | None = None  # kind of a poison message


def default_manifest_dir() -> Path:
    """Where the ground truth goes: ``<landing>/../simulator/kafka``, a sibling of landing."""
    return settings().landing_dir.parent / "simulator" / "kafka"


def day_start_ms(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC).timestamp()) * 1000


def _ms(text: object) -> int | None:
    """Milliseconds since the epoch of an ISO timestamp (UTC when naive), else None."""
    if not isinstance(text, str):
        return None
    try:
        ts = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    ts = ts if ts.tzinfo else ts.replace(tzinfo=dt.UTC)
    return int(ts.timestamp()) * 1000 + ts.microsecond // 1000


def own_time_ms(
    entity: str, record: Mapping[str, object] | None, day: dt.date, order_arrival: Mapping[str, int]
) -> int | None:
    """When the record arrives on ``day`` by its own data, or None when its data cannot say.

    Reference entities arrive at 00:00:00 (the daily snapshot); orders, sessions, shipments
    and returns at their latest timestamp that falls on ``day``; order lines with their
    order (``order_arrival``: order_id -> ms). None (late orders, shipments finished
    before ``day``, unparseable lines) means: draw a seeded time of the day instead.
    """
    start = day_start_ms(day)
    if entity in REFERENCE_ENTITIES:
        return start
    if record is None:
        return None
    if entity == "order_items":
        return order_arrival.get(str(record.get("order_id")))
    times = (_ms(record.get(c)) for c in EVENT_COLUMNS[entity])
    return max(
        (t for t in times if t is not None and start <= t < start + MS_PER_DAY), default=None
    )


def arrival_times(
    entity: str,
    records: Sequence[Mapping[str, object] | None],
    day: dt.date,
    r: np.random.Generator,
    order_arrival: Mapping[str, int],
) -> list[int]:
    """Arrival (ms) of each record: its own time on ``day``, else a seeded time of the day."""
    drawn = r.integers(0, MS_PER_DAY, size=len(records)).tolist()  # one per record: stable
    start = day_start_ms(day)
    out = []
    for rec, offset in zip(records, drawn, strict=True):
        own = own_time_ms(entity, rec, day, order_arrival)
        out.append(start + offset if own is None else own)
    return out


def _parse(line: bytes) -> dict | None:
    try:
        obj = json.loads(line)  # bytes: invalid UTF-8 raises UnicodeDecodeError (a ValueError)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


def _dumps(record: Mapping[str, object]) -> bytes:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()


def poison_messages(
    entity: str,
    messages: list[Message],
    records: list[dict | None],
    r: np.random.Generator,
    skip: frozenset[int] = frozenset(),
) -> list[Message]:
    """One message of each :data:`POISON_KINDS`, each a broken copy of a seeded clean record.

    Copies (not new records), so the ground truth stays simple: every poison message is
    rejected and the record it copies still arrives once, intact. ``skip``: lines that
    already carry a defect (never copied).
    """
    columns = column_names(entity)
    clean = [
        i
        for i, rec in enumerate(records)
        if rec is not None and list(rec) == columns and messages[i].key and i + 1 not in skip
    ]
    if len({messages[i].key for i in clean}) < 2:
        return []
    order = r.permutation(clean).tolist()
    out = []
    for kind, i in zip(POISON_KINDS, order, strict=False):
        rec, msg = dict(records[i] or {}), messages[i]
        key = msg.key
        if kind == NOT_JSON:  # the record as a CSV line: a source that changed its format
            value = ",".join("" if v is None else str(v) for v in rec.values()).encode()
        elif kind == WRONG_SCHEMA:  # last column missing, an unknown one added
            rec.pop(columns[-1])
            value = _dumps({**rec, EXTRA_FIELD[0]: EXTRA_FIELD[1]})
        elif kind == OVERSIZED:
            text = str(rec.get(OVERSIZED_COLUMN[entity]) or "x")
            rec[OVERSIZED_COLUMN[entity]] = " ".join([text] * (OVERSIZED_BYTES // len(text) + 1))
            value = _dumps(rec)
        else:  # WRONG_KEY: the intact line under another record's key
            value = msg.value
            key = next(messages[j].key for j in order if messages[j].key != msg.key)
        out.append(msg._replace(value=value, key=key, poison=kind))
    return out


def _read_entity(folder: Path, entity: str, day: dt.date) -> list[bytes]:
    data = (folder / entity / f"dt={day.isoformat()}" / f"{entity}.jsonl").read_bytes()
    lines = data.split(b"\n")
    return lines[:-1] if lines and lines[-1] == b"" else lines


def build_messages(
    folder: Path, day: dt.date, seed: int, defects: list[dict], poison: bool
) -> dict[str, list[Message]]:
    """entity -> its messages in arrival order (poison after the record it copies)."""
    known = {(d["entity"], d["source_line"]): d["record_key"] for d in defects}
    order_arrival: dict[str, int] = {}
    out: dict[str, list[Message]] = {}
    for entity in ["orders", *(e for e in ENTITIES if e != "orders")]:  # lines follow orders
        lines = _read_entity(folder, entity, day)
        records = [_parse(line) for line in lines]
        keys = [
            topics.message_key(entity, rec) if rec is not None else known.get((entity, n))
            for n, rec in enumerate(records, start=1)
        ]
        stand_ins = [  # an unparseable line still follows its order, known from its key
            rec if rec is not None or key is None else {"order_id": key.split(KEY_SEPARATOR)[0]}
            for rec, key in zip(records, keys, strict=True)
        ]
        r = rng(seed, day, f"kafka:arrival:{entity}")
        times = arrival_times(entity, stand_ins, day, r, order_arrival)
        if entity == "orders":
            for key, ts in zip(keys, times, strict=True):
                if key is not None:
                    order_arrival.setdefault(key, ts)
        msgs = [
            Message(entity, line, key, ts, n)
            for n, (line, key, ts) in enumerate(zip(lines, keys, times, strict=True), start=1)
        ]
        if poison and entity in POISON_ENTITIES:
            skip = frozenset(n for e, n in known if e == entity)
            r = rng(seed, day, f"kafka:poison:{entity}")
            msgs += poison_messages(entity, msgs, records, r, skip)
        out[entity] = sorted(msgs, key=lambda m: (m.timestamp_ms, m.line, m.poison is not None))
    return {e: out[e] for e in ENTITIES}


def in_window(
    batches: dict[str, list[Message]], day: dt.date, window: tuple[dt.time, dt.time]
) -> dict[str, list[Message]]:
    """Only the messages arriving in ``[window[0], window[1])`` of ``day`` (a window ending
    at 00:00 runs to the end of the day): one interval of the day, as a source sends it."""
    lo, hi = (day_start_ms(day) + ((t.hour * 60 + t.minute) * 60 + t.second) * 1000 for t in window)
    if window[1] == dt.time(0):
        hi = day_start_ms(day) + MS_PER_DAY
    return {e: [m for m in msgs if lo <= m.timestamp_ms < hi] for e, msgs in batches.items()}


def ensure_topics(bootstrap: str, names: list[str], partitions: int) -> list[str]:
    """Create the missing topics with ``partitions`` partitions (others are left alone)."""
    # log_level 0: an unreachable broker is one error below, not a line per retry
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0})
    try:
        existing = admin.list_topics(timeout=ADMIN_TIMEOUT_S).topics
    except KafkaException as exc:
        raise ProduceError(
            f"Kafka at {bootstrap} does not answer ({exc.args[0].str()}); start it "
            "(`make kafka`) or point --bootstrap / KAFKA_BOOTSTRAP_SERVERS at a running one."
        ) from None
    missing = [n for n in names if n not in existing]
    if not missing:
        return []
    new = [NewTopic(n, num_partitions=partitions, config=TOPIC_CONFIG) for n in missing]
    for name, future in admin.create_topics(new, operation_timeout=ADMIN_TIMEOUT_S).items():
        try:
            future.result(timeout=ADMIN_TIMEOUT_S)
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:  # a racing producer
                raise ProduceError(f"Creating topic {name} failed: {exc.args[0].str()}") from None
    return missing


class _Publisher:
    """One idempotent producer; remembers where each message landed and every failure."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.producer = Producer({"bootstrap.servers": bootstrap, **PRODUCER_CONFIG})
        self.where: dict[tuple[str, int], tuple[int, int]] = {}  # (entity, i) -> (part, offset)
        self.failed: dict[str, list] = {}  # topic -> [count, first error]

    def send(self, ref: tuple[str, int], topic: str, msg: Message) -> None:
        done = functools.partial(self._done, ref)
        while True:
            try:
                self.producer.produce(
                    topic, msg.value, msg.key, timestamp=msg.timestamp_ms, on_delivery=done
                )
                return
            except BufferError:  # local queue full: serve delivery reports, then retry
                self.producer.poll(PACE_POLL_S)

    def _done(self, ref: tuple[str, int], err: KafkaError | None, report: object) -> None:
        if err is None:
            self.where[ref] = (report.partition(), report.offset())  # type: ignore[attr-defined]
        else:
            self.failed.setdefault(report.topic(), [0, err.str()])[0] += 1  # type: ignore[attr-defined]

    def flush(self) -> None:
        """Wait for every delivery report; raise naming each topic that lost messages."""
        left = self.producer.flush(FLUSH_TIMEOUT_S)
        if self.failed:
            lost = "; ".join(f"{n} to {t} ({why})" for t, (n, why) in self.failed.items())
            raise ProduceError(f"Messages were not delivered: {lost}.")
        if left:
            raise ProduceError(
                f"{left} messages were not acknowledged by {self.bootstrap} within "
                f"{FLUSH_TIMEOUT_S:.0f} s; check that the broker is up, then produce the day again."
            )


def _line(day: dt.date, entity: str, msgs: list[Message], seconds: float) -> str:
    size = sum(len(m.value) for m in msgs)
    return (
        f"{day} {entity}: {len(msgs)} messages, {size / 1e6:.2f} MB in {seconds:.2f}s "
        f"-> {topics.topic(entity)}"
    )


def _publish_fast(
    pub: _Publisher, batches: dict[str, list[Message]], day: dt.date, progress: Progress | None
) -> None:
    """Everything as fast as the broker takes it, one entity (topic) after the other."""
    for entity, msgs in batches.items():
        t0 = time.perf_counter()
        topic = topics.topic(entity)
        for i, msg in enumerate(msgs):
            pub.send((entity, i), topic, msg)
        pub.flush()
        if progress:
            progress(_line(day, entity, msgs, time.perf_counter() - t0))


def _publish_paced(
    pub: _Publisher,
    batches: dict[str, list[Message]],
    day: dt.date,
    speed: float,
    progress: Progress | None,
) -> None:
    """The day in arrival order across topics, at ``speed`` times real time."""
    first = min((m.timestamp_ms for msgs in batches.values() for m in msgs), default=0)
    start, t0 = max(day_start_ms(day), first), time.monotonic()  # a window starts at once
    queue = sorted(
        (m.timestamp_ms, n, i) for n, e in enumerate(batches) for i, m in enumerate(batches[e])
    )
    entities, hour = list(batches), 0
    for sent, (ts, n, i) in enumerate(queue):
        due = t0 + (ts - start) / 1000 / speed
        while (wait := due - time.monotonic()) > 0:
            pub.producer.poll(min(wait, PACE_POLL_S))  # delivery reports while we wait
        if progress and (ts - start) // 3_600_000 > hour:
            hour = (ts - start) // 3_600_000
            progress(f"{day} {hour:02d}:00: {sent} of {len(queue)} messages sent")
        entity = entities[n]
        pub.send((entity, i), topics.topic(entity), batches[entity][i])
    pub.flush()
    if progress:
        for entity, msgs in batches.items():
            progress(_line(day, entity, msgs, time.monotonic() - t0))


def _located(topic: str, where: tuple[int, int] | None) -> dict:
    partition, offset = where if where is not None else (None, None)
    return {"topic": topic, "partition": partition, "offset": offset}


def _manifest(
    generated: dict, batches: dict[str, list[Message]], pub: _Publisher, kafka: dict
) -> dict:
    """The generator's manifest, each defect located, plus the ``kafka`` section."""
    lines: dict[tuple[str, int], tuple[int, int] | None] = {}
    poison, per_topic = [], {}
    for entity, msgs in batches.items():
        topic = topics.topic(entity)
        for i, m in enumerate(msgs):
            where = pub.where.get((entity, i))
            if m.poison is None:
                lines[(entity, m.line)] = where
                continue
            source_key = next(x.key for x in msgs if x.poison is None and x.line == m.line)
            poison.append({
                "entity": entity, "kind": m.poison, **_located(topic, where), "key": m.key,
                "record_key": source_key, "source_line": m.line, "value_bytes": len(m.value),
                "timestamp_ms": m.timestamp_ms,
            })  # fmt: skip
        per_topic[entity] = {
            "topic": topic,
            "messages": sum((entity, i) in pub.where for i in range(len(msgs))),
            "data_messages": generated["counts"].get(entity, 0),
            "poison_messages": sum(m.poison is not None for m in msgs),
            "bytes": sum(len(m.value) for m in msgs),
        }
    defects = [
        {**d, **_located(topics.topic(d["entity"]), lines.get((d["entity"], d["source_line"])))}
        for d in generated["defects"]
    ]
    return {
        **generated,
        "defects": defects,
        "kafka": {**kafka, "topics": per_topic, "poison": poison},
    }


def produce_day(
    day: dt.date,
    bootstrap: str,
    *,
    seed: int,
    orders: int,
    customers: int,
    products: int,
    defects: DefectRates | None = None,
    opened_on: dt.date | None = None,
    partitions: int = topics.DEFAULT_PARTITIONS,
    speed: float | None = None,
    poison: bool = True,
    manifest_dir: Path | None = None,
    progress: Progress | None = None,
    window: tuple[dt.time, dt.time] | None = None,
) -> dict:
    """Publish ``day`` to the source topics and write its ground-truth manifest; return it.

    ``speed`` None publishes as fast as possible; a number replays the day in real time
    divided by it (144 = the day in 10 minutes). Interrupted (Ctrl-C) or failed, what was
    sent is flushed and the manifest says ``"complete": false``.
    """
    if speed is not None and speed <= 0:
        raise ValueError(f"speed {speed} must be positive (e.g. 144 = a day in 10 minutes).")
    if partitions < 1:
        raise ValueError(f"partitions {partitions} must be at least 1.")
    created = ensure_topics(bootstrap, list(topics.topics().values()), partitions)  # fail fast
    with tempfile.TemporaryDirectory(prefix="retail-kafka-sim-") as tmp:
        generated = generate_day(
            day, Path(tmp), seed=seed, orders=orders, customers=customers, products=products,
            defects=defects, fmt="jsonl", opened_on=opened_on,
        )  # fmt: skip
        batches = build_messages(Path(tmp), day, seed, generated["defects"], poison)
    if window is not None:
        batches = in_window(batches, day, window)
    pub = _Publisher(bootstrap)
    kafka = {"bootstrap_servers": bootstrap, "created_topics": created, "partitions": partitions,
             "speed": speed, "complete": False}  # fmt: skip
    folder = (manifest_dir or default_manifest_dir()) / f"dt={day.isoformat()}"
    if window is not None:  # one manifest per window, beside the whole day's
        folder = folder / f"window={window[0]:%H%M}-{window[1]:%H%M}"
    path = folder / "manifest.json"
    try:
        if speed is None:
            _publish_fast(pub, batches, day, progress)
        else:
            _publish_paced(pub, batches, day, speed, progress)
        kafka["complete"] = True
    except ProduceError as exc:
        if day_start_ms(day) + MS_PER_DAY > time.time() * 1000 + FUTURE_GRACE_MS:
            raise ProduceError(f"{exc} {FUTURE_HINT}") from None
        raise
    finally:  # Ctrl-C or a failure: whatever was sent is flushed and recorded
        try:
            pub.producer.flush(FLUSH_TIMEOUT_S)
        finally:
            manifest = _manifest(generated, batches, pub, kafka)
            write_json(path, manifest)
    return manifest
