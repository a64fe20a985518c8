"""The small warehouse the browser tests read: a fresh ``rk_bi_e2e_*`` database per run.

Built only with the project's own code, as the nightly run would: migrations, the
upstream simulator's landing (generator + done-marker), the Spark clean and KPI jobs
(the session's shared generated lake, tests/generated_lake.py), the warehouse and KPI
loads, the warehouse quality gate, and the run audit rows the Airflow callbacks would
write. Volumes are small (a few hundred orders a day over two days) to keep the test short.
The Kafka offsets ledger gets two micro-batches through the ledger's own plan and record
steps (the e2e session runs no broker, so the watermarks and the ingest job's counts are
given here).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from retail_kpi import config, paths
from retail_kpi.warehouse.db import admin_url
from tests.conftest import admin_server_url, server_url
from tests.generated_lake import GeneratedLake

#: Messages per partition of each demo micro-batch (two batches, every topic partition).
KAFKA_BATCH_SIZES = ((40, 25, 31), (12, 0, 9))

#: Prefix of the database (and of its reader login) each session creates and drops; the
#: rest of the name is unique per run, so two checkouts can run the browser tests at once.
DB_PREFIX = "rk_bi_e2e"
DAYS = (dt.date(2026, 3, 2), dt.date(2026, 3, 3))
DAG_ID = "retail_daily"


@dataclass(frozen=True)
class Warehouse:
    url: str
    reader_user: str
    reader_password: str
    days: tuple[dt.date, ...] = DAYS


def _create_reader(url: str, role_name: str, password: str) -> None:
    """A login that is a member of bi_reader: the same privileges, but its own password,
    because roles are cluster-wide and other test runs on the server toggle bi_reader's."""
    role = sql.Identifier(role_name)
    with psycopg.connect(admin_url(url), autocommit=True) as conn:
        conn.execute(
            sql.SQL("create role {} login inherit password {}").format(role, sql.Literal(password))
        )
        conn.execute(sql.SQL("grant bi_reader to {}").format(role))


def _audit(url: str, day: dt.date, task_id: str, started: dt.datetime, **counts: Any) -> None:
    """The audit.task_run row the Airflow success callback writes for this task."""
    from retail_kpi.ops import audit

    record = audit.TaskRecord(
        dag_id=DAG_ID, run_id=f"e2e__{day}", task_id=task_id, map_index=-1, try_number=1,
        run_type="manual", business_date=day.isoformat(), state="success",
        started_at=started.isoformat(), finished_at=dt.datetime.now(dt.UTC).isoformat(),
        **counts,
    )  # fmt: skip
    assert audit.write(record, url), f"could not write the run audit of {task_id}"


def _load_day(s: config.Settings, day: dt.date, gate: bool) -> None:
    """One business day of the lake into the warehouse (-> gate), with the audit rows of
    the tasks that built it (counts from the clean job's reconciliation report; the DAG's
    first task only waits for the landing, so its row carries no counts, as in a run)."""
    from retail_kpi.load import load_date
    from retail_kpi.ops.audit import task_summary
    from retail_kpi.pipeline import clean_reconciliation
    from retail_kpi.quality import run_gate

    run_id, url = f"e2e__{day}", s.warehouse_url
    t = dt.datetime.now(dt.UTC)
    assert paths.landing_ready(s, day).is_file(), f"the shared lake has no done-marker of {day}"
    _audit(url, day, "wait_for_landing", t)
    entities = clean_reconciliation(day, s)
    assert entities, f"the shared lake has no reconciliation report of {day}"
    _audit(
        url, day, "clean_silver", t,
        rows_in=sum(e["rows_in"] for e in entities.values()),
        rows_out=sum(e["rows_clean"] for e in entities.values()),
        rows_quarantined=sum(e["rows_quarantined"] for e in entities.values()),
    )  # fmt: skip
    t = dt.datetime.now(dt.UTC)
    loaded = load_date(day, settings=s, run_id=run_id)  # facts and every KPI table, one txn
    _audit(url, day, "load_warehouse", t, **task_summary("load_warehouse", day, loaded))
    if gate:
        t = dt.datetime.now(dt.UTC)
        result = run_gate("warehouse", day, run_id=run_id, settings=s)
        outcome = "warned" if getattr(result, "warnings", ()) else "passed"
        _audit(url, day, "validate_warehouse", t, validation_outcome=outcome)


def _record_kafka_batches(s: config.Settings, day: dt.date) -> None:
    """Two ingested micro-batches in the offsets ledger, as retail_microbatch's plan_batch
    and record_batch tasks write them: the second starts where the first ended, and a
    partition with no new messages has no range in it."""
    from retail_kpi.events import ledger, topics
    from retail_kpi.warehouse.db import connect

    names = list(topics.topics().values())
    high = {(t, p): 0 for t in names for p in range(topics.DEFAULT_PARTITIONS)}
    for n, sizes in enumerate(KAFKA_BATCH_SIZES, start=1):
        high = {(t, p): end + sizes[p] for (t, p), end in high.items()}
        marks = {tp: (0, end) for tp, end in high.items()}
        run_id = f"e2e_microbatch__{n}"
        with connect(s.warehouse_url) as conn:
            batch = ledger.plan(conn, run_id, marks)
            summary = {  # the ingest job's _batch.json
                "partitions": [
                    {"topic": r.topic, "partition": r.partition, "messages": r.size}
                    for r in batch.ranges
                ],
                "dates": [
                    {"topic": t, "ingest_date": day.isoformat(),
                     "messages": sum(r.size for r in batch.ranges if r.topic == t)}
                    for t in names
                ],
            }  # fmt: skip
            ledger.record_ingested(conn, batch, run_id, summary)


def create() -> Iterator[Warehouse]:
    """A new migrated (still empty) database with its reader login; both dropped afterwards.

    Empty but migrated is enough for Superset to import the bundle, so the test can start
    Superset while Spark fills the database (see ``fill``).
    """
    from retail_kpi.warehouse.migrate import migrate

    db_name = f"{DB_PREFIX}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    reader = f"{db_name}_reader"
    with psycopg.connect(admin_server_url(), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(db_name)))
    url = server_url(db_name)
    try:
        migrate(url)
        password = secrets.token_urlsafe(16)
        _create_reader(url, reader, password)
        yield Warehouse(url=url, reader_user=reader, reader_password=password)
    finally:
        with psycopg.connect(admin_server_url(), autocommit=True) as conn:
            conn.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(db_name))
            )
            conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(reader)))


def fill(lake: GeneratedLake, warehouse: Warehouse, root: Path) -> None:
    """Load every demo day of the shared lake (copied under root) into ``warehouse``."""
    assert lake.copy(len(warehouse.days), root) == list(warehouse.days)
    s = dataclasses.replace(
        config.settings(), warehouse_url=warehouse.url, data_dir=root,
        landing_dir=root / "landing", lake_dir=root / "lake",
    )  # fmt: skip
    for day in warehouse.days:
        _load_day(s, day, gate=day == warehouse.days[-1])
    _record_kafka_batches(s, warehouse.days[-1])
