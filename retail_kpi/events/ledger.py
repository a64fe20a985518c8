"""The offsets ledger: exactly-once Kafka micro-batches on top of PostgreSQL.

A micro-batch is planned before anything is read: its offset ranges (from where the
previous batch ended to the partitions' high watermarks *now*) are written to
``audit.kafka_batch`` / ``audit.kafka_offsets`` in one transaction. From then on the batch
is a fixed set of messages:

* a retry, a kill mid-way or a task cleared in the Airflow UI works on the same ranges: a
  batch whose raw folder is complete in the lake is kept, an incomplete one is read again
  (:mod:`spark_jobs.kafka_ingest`), so no message is lost or doubled;
* when a run fails for good, the next run adopts its planned batch before planning a new
  one, so the ranges stay contiguous;
* messages that expired from a topic (retention) before a batch read them fail the plan,
  naming the topic, partition and offsets lost.

Planning is serialised by a transaction-scoped advisory lock, so two schedulers, or a
scheduled and a manual run, never plan overlapping ranges.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import psycopg

from retail_kpi.warehouse.db import xact_lock

log = logging.getLogger(__name__)

LOCK = "kafka_ledger"


class OffsetGapError(RuntimeError):
    """Messages left the topic (retention) before any batch read them."""


class LedgerMismatchError(RuntimeError):
    """A partition ends before where the ledger says it was read to: the topic was
    recreated, or the ledger belongs to another cluster."""


@dataclass(frozen=True)
class Range:
    """Offsets [start, end) of one topic partition."""

    topic: str
    partition: int
    start: int
    end: int

    @property
    def size(self) -> int:
        return self.end - self.start


@dataclass
class Batch:
    batch_id: int
    run_id: str
    status: str  # planned | ingested
    ranges: list[Range] = field(default_factory=list)
    adopted: bool = False  # planned by another run, which failed

    @property
    def messages(self) -> int:
        return sum(r.size for r in self.ranges)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["messages"] = self.messages
        return out

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Batch:
        ranges = [Range(**r) for r in doc.get("ranges", [])]
        return cls(
            int(doc["batch_id"]), doc["run_id"], doc["status"], ranges, bool(doc.get("adopted"))
        )

    def spark_offsets(self) -> tuple[str, str, str]:
        """(assign, startingOffsets, endingOffsets) JSON options of Spark's Kafka source."""
        assign: dict[str, list[int]] = {}
        start: dict[str, dict[str, int]] = {}
        end: dict[str, dict[str, int]] = {}
        for r in self.ranges:
            if r.size <= 0:
                continue
            assign.setdefault(r.topic, []).append(r.partition)
            start.setdefault(r.topic, {})[str(r.partition)] = r.start
            end.setdefault(r.topic, {})[str(r.partition)] = r.end
        return json.dumps(assign), json.dumps(start), json.dumps(end)


Watermarks = dict[tuple[str, int], tuple[int, int]]  # (topic, partition) -> (low, high)


def watermarks(bootstrap: str, topic_names: Iterable[str], timeout_s: float = 15.0) -> Watermarks:
    """Low and high watermarks of every partition of ``topic_names`` that exist.

    A topic the source has not created yet is skipped with a log line (nothing to read).
    """
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "retail-kpi-ledger",  # never commits: the ledger holds offsets
            "enable.auto.commit": False,
        }
    )
    try:
        meta = consumer.list_topics(timeout=timeout_s)
        out: Watermarks = {}
        for name in topic_names:
            topic_meta = meta.topics.get(name)
            if topic_meta is None or topic_meta.error is not None:
                log.info("topic %s does not exist yet: nothing to read from it", name)
                continue
            for partition in sorted(topic_meta.partitions):
                low, high = consumer.get_watermark_offsets(
                    TopicPartition(name, partition), timeout=timeout_s
                )
                out[(name, partition)] = (int(low), int(high))
        return out
    finally:
        consumer.close()


def _load(conn: psycopg.Connection, batch_id: int, adopted: bool = False) -> Batch:
    row = conn.execute(
        "select run_id, status from audit.kafka_batch where batch_id = %s", (batch_id,)
    ).fetchone()
    assert row is not None, f"batch {batch_id} vanished from the ledger"
    run_id, status = row
    rows = conn.execute(
        "select topic, partition, start_offset, end_offset from audit.kafka_offsets"
        " where batch_id = %s order by topic, partition",
        (batch_id,),
    ).fetchall()
    return Batch(batch_id, run_id, status, [Range(*r) for r in rows], adopted)


def next_ranges(last_end: dict[tuple[str, int], int], marks: Watermarks) -> list[Range]:
    """Ranges of a new batch: from each partition's last planned end to its high watermark.

    A partition never read starts at its low watermark. Raises :class:`OffsetGapError`
    when a partition's low watermark is past where the previous batch ended (messages
    deleted by retention before they were ingested), and :class:`LedgerMismatchError` when
    its high watermark is behind it (a recreated topic, another cluster: new messages
    there would otherwise never be read).
    """
    ranges, gaps, behind = [], [], []
    for (topic, partition), (low, high) in sorted(marks.items()):
        start = last_end.get((topic, partition))
        if start is None:
            start = low
        elif high < start:
            behind.append(f"{topic}/{partition} ends at offset {high}, read up to {start}")
        elif low > start:
            gaps.append(f"{topic}/{partition} offsets {start}..{low - 1}")
        if high > start:
            ranges.append(Range(topic, partition, start, high))
    if behind:
        raise LedgerMismatchError(
            "The offsets ledger is ahead of the topics: "
            + "; ".join(behind)
            + ". The topics were recreated or KAFKA_BOOTSTRAP_SERVERS names another cluster "
            "than the ledger's; nothing is read until that is resolved (docs/RUNBOOK.md"
            "#kafka-offsets-ledger)."
        )
    if gaps:
        raise OffsetGapError(
            "Messages expired from Kafka before a micro-batch read them: "
            + "; ".join(gaps)
            + ". Raise the topics' retention.ms above the pipeline's worst delay; to accept "
            "the loss, see docs/RUNBOOK.md#kafka-offsets-ledger."
        )
    return ranges


def plan(conn: psycopg.Connection, run_id: str, marks: Watermarks) -> Batch:
    """The batch run ``run_id`` must ingest: its own (rerun), a failed run's, or a new one.

    Commits the plan before returning. A new batch with no messages is recorded as
    ingested straight away (the ledger shows the pipeline polled).
    """
    with conn.transaction():
        xact_lock(conn, LOCK)
        own = conn.execute(
            "select batch_id from audit.kafka_batch where run_id = %s order by batch_id limit 1",
            (run_id,),
        ).fetchone()
        if own:
            batch = _load(conn, own[0])
            log.info("run %s re-reads its batch %d (%s)", run_id, batch.batch_id, batch.status)
            return batch
        pending = conn.execute(
            "select batch_id, run_id from audit.kafka_batch where status = 'planned'"
            " order by batch_id limit 1"
        ).fetchone()
        if pending:
            log.warning(
                "batch %d planned by run %s was never ingested; this run ingests it first",
                pending[0],
                pending[1],
            )
            return _load(conn, pending[0], adopted=True)
        last_end = {
            (t, p): int(e)
            for t, p, e in conn.execute(
                "select topic, partition, max(end_offset) from audit.kafka_offsets"
                " group by topic, partition"
            ).fetchall()
        }
        ranges = next_ranges(last_end, marks)
        row = conn.execute(
            "select coalesce(max(batch_id), 0) + 1 from audit.kafka_batch"
        ).fetchone()
        assert row is not None
        batch_id = int(row[0])
        now = dt.datetime.now(dt.UTC)
        status = "planned" if ranges else "ingested"
        conn.execute(
            "insert into audit.kafka_batch (batch_id, run_id, planned_at, status, ingested_at,"
            " ingested_by_run_id, messages, ingest_dates) values (%s, %s, %s, %s, %s, %s, %s, %s)",
            (
                batch_id,
                run_id,
                now,
                status,
                None if ranges else now,
                None if ranges else run_id,
                None if ranges else 0,
                None if ranges else [],
            ),
        )
        with conn.cursor() as cur:
            cur.executemany(
                "insert into audit.kafka_offsets (batch_id, topic, partition, start_offset,"
                " end_offset) values (%s, %s, %s, %s, %s)",
                [(batch_id, r.topic, r.partition, r.start, r.end) for r in ranges],
            )
    batch = Batch(batch_id, run_id, status, ranges)
    log.info(
        "planned batch %d: %d messages in %d partition ranges",
        batch_id,
        batch.messages,
        len(ranges),
    )
    return batch


def record_ingested(
    conn: psycopg.Connection, batch: Batch, run_id: str, summary: dict[str, Any]
) -> list[str]:
    """Mark ``batch`` ingested with the counts the ingest job wrote; returns its dates.

    ``summary`` is the job's ``_batch.json``: ``partitions`` (topic, partition, messages)
    and ``dates`` (topic, ingest_date, messages). Idempotent: a rerun rewrites the counts.
    Raises when the job's counts disagree with the planned ranges (a message lost or read
    twice), naming the partition.
    """
    counted = {(p["topic"], int(p["partition"])): int(p["messages"]) for p in summary["partitions"]}
    wrong = [
        f"{r.topic}/{r.partition} [{r.start}, {r.end}) read "
        f"{counted.get((r.topic, r.partition), 0)}"
        for r in batch.ranges
        if r.size > 0 and counted.get((r.topic, r.partition), 0) > r.size
    ]
    if wrong:
        raise RuntimeError(
            f"batch {batch.batch_id}: more messages than offsets in " + "; ".join(wrong)
        )
    dates = sorted({d["ingest_date"] for d in summary["dates"]})
    with conn.transaction():
        xact_lock(conn, LOCK)
        for r in batch.ranges:
            conn.execute(
                "update audit.kafka_offsets set messages = %s"
                " where batch_id = %s and topic = %s and partition = %s",
                (counted.get((r.topic, r.partition), 0), batch.batch_id, r.topic, r.partition),
            )
        conn.execute("delete from audit.kafka_batch_date where batch_id = %s", (batch.batch_id,))
        with conn.cursor() as cur:
            cur.executemany(
                "insert into audit.kafka_batch_date (batch_id, topic, ingest_date, messages)"
                " values (%s, %s, %s, %s)",
                [
                    (batch.batch_id, d["topic"], d["ingest_date"], int(d["messages"]))
                    for d in summary["dates"]
                ],
            )
        conn.execute(
            "update audit.kafka_batch set status = 'ingested',"
            " ingested_at = coalesce(ingested_at, now()), ingested_by_run_id = %s,"
            " messages = %s, ingest_dates = %s::date[] where batch_id = %s",
            (run_id, sum(counted.values()), dates, batch.batch_id),
        )
    return dates


def messages_by_date(conn: psycopg.Connection, topic: str, day: dt.date | str) -> int:
    """Messages of ``topic`` ingested so far for ingest date ``day`` (all batches)."""
    row = conn.execute(
        "select coalesce(sum(d.messages), 0) from audit.kafka_batch_date d"
        " join audit.kafka_batch b using (batch_id)"
        " where b.status = 'ingested' and d.topic = %s and d.ingest_date = %s",
        (topic, str(day)),
    ).fetchone()
    return int(row[0]) if row else 0


def day_closed(conn: psycopg.Connection, day: dt.date, grace: dt.timedelta) -> bool:
    """True when Kafka has delivered ``day``: messages of that ingest date were ingested,
    and a batch planned at least ``grace`` after the day ended is ingested too (so every
    message stamped on ``day`` that had reached the broker by then has been read)."""
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), dt.UTC) + grace
    row = conn.execute(
        "select exists (select from audit.kafka_batch_date d join audit.kafka_batch b"
        "               using (batch_id) where b.status = 'ingested' and d.ingest_date = %s)"
        " and exists (select from audit.kafka_batch"
        "             where status = 'ingested' and planned_at >= %s)",
        (day, end),
    ).fetchone()
    return bool(row and row[0])
