"""``load_date``: everything a landing date brought, into the warehouse, atomically.

One transaction per landing date, serialised by advisory locks (on the date, and on
the dimensions since SCD2 recomputation must not interleave): merge the customer and
product snapshots (SCD2), rebuild each fact day touched by the date from *all* its
silver rows (late rows included), replace every catalogue KPI table's dates the KPI job
recomputed (:mod:`retail_kpi.load.kpi_tables`; the KPIs are computed once, by the Spark job),
record the audit.
A rerun writes the same rows; a crash at any point leaves the previous state (and no
audit row saying success).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import psycopg
import pyarrow as pa
import pyarrow.compute as pc

from retail_kpi import config
from retail_kpi.load import dims, kpi_tables, partitions, silver
from retail_kpi.load.copy import copy_table
from retail_kpi.load.facts import FACTS, ORDER_HEADER, FactSpec, KeyContext
from retail_kpi.warehouse.db import WarehouseError, connection, xact_lock

log = logging.getLogger(__name__)
TASK = "load"
_DIMENSIONS_LOCK = "dimensions"
#: Rows transformed at a time: small enough to overlap with COPY, big enough for Arrow.
TRANSFORM_ROWS = 131_072


class LoadError(WarehouseError):
    """The silver data cannot be loaded as is; the message says why."""


class Phases:
    """Wall time per load phase, logged so that a slow load says where time went."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._mark = time.perf_counter()

    def done(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = self.seconds.get(name, 0.0) + now - self._mark
        self._mark = now

    def __str__(self) -> str:
        return ", ".join(f"{k} {v:.2f}s" for k, v in self.seconds.items())


@dataclass
class EntityCounts:
    rows_in: int = 0
    rows_deduplicated: int = 0
    rows_loaded: int = 0
    days: list[str] = field(default_factory=list)


def _plan(s: config.Settings, day: dt.date) -> dict[str, list[dt.date]]:
    """Fact table -> business dates touched by landing date ``day``."""
    plan = {}
    for spec in FACTS:
        dates: set[dt.date] = set()
        for entity in (spec.entity, *spec.companions):
            dates.update(silver.touched_dates(s, entity, day))
        plan[spec.table] = sorted(dates)
    return plan


def _check_dates(spec: FactSpec, day: dt.date, rows: int, column: object) -> None:
    wrong = rows - (pc.sum(pc.equal(column, day)).as_py() or 0) if rows else 0
    if wrong:
        raise LoadError(
            f"silver/{spec.entity}/dt={day} holds {wrong} rows whose {spec.date_column} is not "
            f"{day}; fix the partitioning of the clean job."
        )


def _load_fact_days(
    conn: psycopg.Connection,
    s: config.Settings,
    spec: FactSpec,
    days: list[dt.date],
    ctx: KeyContext,
) -> tuple[EntityCounts, list[partitions.StagedDay]]:
    """Stage every touched day of one fact; returns counts and staged days."""
    counts, staged = EntityCounts(), []

    @functools.cache
    def read(entity: str, d: dt.date) -> pa.Table:
        columns = ORDER_HEADER if entity == "orders" else None
        return silver.read_business_date(s, entity, d, columns)[0]

    for d in days:
        stats = silver.SliceStats()

        def transformed(d: dt.date = d, stats: silver.SliceStats = stats) -> Iterator[pa.Table]:
            # Each slice is read and transformed while the server parses the previous one.
            for part in silver.slices(s, spec.entity, d, TRANSFORM_ROWS, stats):
                _check_dates(spec, d, part.num_rows, part[spec.date_column])
                yield spec.transform(ctx, d, part, read)

        target = partitions.create_staged_day(conn, spec.table, spec.date_column, d)
        counts.rows_loaded += copy_table(conn, target.staged, transformed(), freeze=True)
        staged.append(target)
        counts.rows_in += stats.rows_in
        counts.rows_deduplicated += stats.duplicates
        counts.days.append(d.isoformat())
        read.cache_clear()
        ctx.cache.clear()
    return counts, staged


def _write_audit(
    conn: psycopg.Connection,
    run_id: str,
    day: dt.date,
    counts: dict[str, EntityCounts],
    status: str,
    started: dt.datetime,
    error: str | None = None,
) -> None:
    finished = dt.datetime.now(dt.UTC)
    for entity, c in counts.items():
        details = {"business_dates": c.days} | ({"error": error} if error else {})
        conn.execute(
            """
            insert into audit.run_audit (run_id, task, entity, run_date, rows_in,
                rows_deduplicated, rows_loaded, status, started_at, finished_at, details)
            values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb)
            on conflict (run_id, task, entity, run_date) do update set
                rows_in = excluded.rows_in,
                rows_deduplicated = excluded.rows_deduplicated, rows_loaded = excluded.rows_loaded,
                status = excluded.status, started_at = excluded.started_at,
                finished_at = excluded.finished_at, details = excluded.details
            """,
            (
                run_id,
                TASK,
                entity,
                day,
                c.rows_in,
                c.rows_deduplicated,
                c.rows_loaded,
                status,
                started,
                finished,
                json.dumps(details),
            ),
        )


def _load_kpi_tables(
    conn: psycopg.Connection, s: config.Settings, day: dt.date, counts: dict[str, EntityCounts]
) -> None:
    """Every catalogue KPI table's dates recomputed by the KPI job for ``day``.

    Inside the load's transaction, so facts and KPIs of the date commit together. A lake
    without KPI output for the date (the KPI job not run) leaves the KPI tables as they are.
    """
    if not kpi_tables.touched_file(s.kpi_dir, day).exists():
        log.warning(
            "no KPI output for %s (%s missing): mart.kpi_* tables left as they are; run the"
            " KPI job, then the load again",
            day,
            kpi_tables.touched_file(s.kpi_dir, day),
        )
        return
    touched = kpi_tables.read_touched(s.kpi_dir, day)
    periods = [d.isoformat() for d in (*touched["days"], *touched["months"])]
    loaded = kpi_tables.load_dates(conn, s.kpi_dir, touched["days"], touched["months"])
    for table, rows in loaded.items():
        counts[table] = EntityCounts(0, 0, rows, periods)


def _load(
    conn: psycopg.Connection,
    s: config.Settings,
    day: dt.date,
    plan: dict[str, list[dt.date]],
    counts: dict[str, EntityCounts],
    phases: Phases,
) -> None:
    xact_lock(conn, f"load:{day.isoformat()}")
    xact_lock(conn, _DIMENSIONS_LOCK)
    phases.done("lock wait")
    all_days = [day, *(d for days in plan.values() for d in days)]
    conn.execute("select dw.populate_dim_date(%s, %s)", (min(all_days), max(all_days)))
    for dim in (dims.CUSTOMER, dims.PRODUCT):
        snapshot = silver.read_snapshot(s, dim.entity, day)
        n = dims.merge_scd2(conn, dim, snapshot)
        counts[dim.table] = EntityCounts(snapshot.num_rows, 0, n, [day.isoformat()])
    ctx = KeyContext.load(conn)
    phases.done("dimensions")
    staged: list[partitions.StagedDay] = []
    for spec in FACTS:
        counts[spec.table], new = _load_fact_days(conn, s, spec, plan[spec.table], ctx)
        staged += new
        phases.done(spec.table)
    for target in staged:  # swaps last: the exclusive locks are held only until commit
        partitions.swap_in(conn, target)
    phases.done("swap")
    _load_kpi_tables(conn, s, day, counts)
    phases.done("kpi tables")
    if not any(c.rows_in for c in counts.values()):
        raise LoadError(
            f"No silver data for landing date {day} under {s.silver_dir}; run the clean step first."
        )


def _record_failure(
    conn: psycopg.Connection,
    run_id: str,
    day: dt.date,
    counts: dict[str, EntityCounts],
    started: dt.datetime,
    exc: BaseException,
) -> None:
    """Best effort: a failed load is visible in the audit unless the server is gone."""
    try:
        with conn.transaction():
            _write_audit(conn, run_id, day, counts, "failed", started, str(exc)[:2000])
    except psycopg.Error:
        log.warning("could not record the failed load of %s in audit.run_audit", day)


def load_date(
    day: dt.date, *, settings: config.Settings | None = None, run_id: str
) -> dict[str, int]:
    """Load everything landing date ``day`` brought; returns rows loaded per table."""
    s = settings or config.settings()
    started = dt.datetime.now(dt.UTC)
    phases = Phases()
    counts: dict[str, EntityCounts] = {}
    with connection(s.warehouse_url) as conn:
        plan = _plan(s, day)
        for spec in FACTS:
            partitions.ensure_months(conn, spec.table, spec.date_column, plan[spec.table])
        phases.done("partitions")
        try:
            with conn.transaction():
                _load(conn, s, day, plan, counts, phases)
                _write_audit(conn, run_id, day, counts, "success", started)
            phases.done("commit")
        except Exception as exc:
            _record_failure(conn, run_id, day, counts or {"*": EntityCounts()}, started, exc)
            raise
    result = {table: c.rows_loaded for table, c in counts.items()}
    log.info("loaded %s: %s (%s)", day, result, phases)
    return result
