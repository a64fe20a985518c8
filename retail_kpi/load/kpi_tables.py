"""Load the KPI Parquet a run wrote into ``mart.kpi_*``, idempotently.

:func:`replace_partition` replaces one table's rows of one date by a Parquet folder.

The KPI job lists the dates it recomputed in ``lake/kpi/_touched/dt=<run date>.json``;
for each of those dates every KPI table's rows of that date are replaced (delete + insert)
inside the caller's transaction, under one advisory lock per date (taken in date order),
so two runs of a date serialise. The warehouse load (:func:`retail_kpi.load.load_date`)
calls :func:`load_dates` in its own transaction, so facts and KPIs of a landing date
commit together. A date for which the job wrote no rows of a table leaves that table
with none for the date.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

import psycopg
import pyarrow.compute as pc
import pyarrow.parquet as pq
from psycopg import sql

from retail_kpi.config import Settings, settings
from retail_kpi.kpi.catalogue import KpiTable, load
from retail_kpi.load.copy import copy_table
from retail_kpi.load.silver import parquet_files, read_files
from retail_kpi.warehouse.db import WarehouseError, connection, xact_lock

log = logging.getLogger(__name__)
SCHEMA = "mart"


def _table_columns(conn: psycopg.Connection, schema: str, name: str) -> list[str]:
    rows = conn.execute(
        "select column_name from information_schema.columns"
        " where table_schema = %s and table_name = %s order by ordinal_position",
        (schema, name),
    ).fetchall()
    if not rows:
        raise WarehouseError(f"Table {schema}.{name} does not exist; run `make migrate`.")
    return [r[0] for r in rows]


def replace_partition(
    conn: psycopg.Connection, table: str, date_column: str, day: dt.date, parquet_dir: Path
) -> int:
    """Replace the rows of ``table`` for ``day`` by the Parquet files under ``parquet_dir``.

    Idempotent: delete + insert of that day in one transaction, serialised per
    (table, day) by an advisory lock; a rerun yields the same rows. Parquet columns
    must be a subset of the table's (same names) and every row must belong to ``day``.
    For KPI-sized tables; large facts use the partition swap in ``loader``.
    """
    schema, _, name = table.rpartition(".")
    schema = schema or "mart"
    columns = _table_columns(conn, schema, name)
    files = parquet_files(parquet_dir)
    if not files:
        raise WarehouseError(
            f"No Parquet files under {parquet_dir}; run the step that writes them."
        )
    file_columns = pq.read_schema(files[0]).names
    extra = [c for c in file_columns if c not in columns]
    if extra or date_column not in file_columns:
        raise WarehouseError(
            f"{parquet_dir}: columns {extra or [date_column]} do not match {schema}.{name}; "
            "align the writer with the table."
        )
    data = read_files(files, file_columns)
    wrong = data.num_rows - pc.sum(pc.equal(data[date_column], day)).as_py() if data.num_rows else 0
    if wrong:
        raise WarehouseError(f"{parquet_dir}: {wrong} rows have {date_column} other than {day}.")
    target = sql.Identifier(schema, name)
    with conn.transaction():
        xact_lock(conn, f"replace:{schema}.{name}:{day.isoformat()}")
        tmp = sql.Identifier(f"tmp_{name}")
        conn.execute(sql.SQL("create temp table {} (like {}) on commit drop").format(tmp, target))
        copy_table(conn, tmp, data, file_columns)
        conn.execute(
            sql.SQL("delete from {} where {} = %s").format(target, sql.Identifier(date_column)),
            (day,),
        )
        cols = sql.SQL(", ").join(sql.Identifier(c) for c in file_columns)
        conn.execute(
            sql.SQL("insert into {} ({}) select {} from {}").format(target, cols, cols, tmp)
        )
        conn.execute(sql.SQL("drop table {}").format(tmp))
    return data.num_rows


def touched_file(kpi_dir: Path, run_date: dt.date) -> Path:
    return kpi_dir / "_touched" / f"dt={run_date.isoformat()}.json"


def read_touched(kpi_dir: Path, run_date: dt.date) -> dict[str, Any]:
    """The KPI job's list of recomputed days and months for ``run_date``."""
    path = touched_file(kpi_dir, run_date)
    if not path.exists():
        raise WarehouseError(
            f"No KPI output for {run_date} ({path} is missing); "
            "run the KPI job for that date first."
        )
    doc = json.loads(path.read_text())
    return {
        "days": [dt.date.fromisoformat(d) for d in doc.get("days", [])],
        "months": [dt.date.fromisoformat(d) for d in doc.get("months", [])],
        "run_id": doc.get("run_id"),
    }


def replace_table_date(
    conn: psycopg.Connection, kpi_dir: Path, table: KpiTable, day: dt.date
) -> int:
    """Replace one table's rows of ``day`` (inside the caller's transaction)."""
    folder = kpi_dir / table.name / f"dt={day.isoformat()}"
    if parquet_files(folder):
        return replace_partition(conn, f"{SCHEMA}.{table.name}", table.date_column, day, folder)
    conn.execute(
        sql.SQL("delete from {} where {} = %s").format(
            sql.Identifier(SCHEMA, table.name), sql.Identifier(table.date_column)
        ),
        (day,),
    )
    return 0


def load_dates(
    conn: psycopg.Connection, kpi_dir: Path, days: list[dt.date], months: list[dt.date]
) -> dict[str, int]:
    """Replace every catalogue table's rows of ``days`` and ``months`` (caller's transaction).

    Nothing is committed here: a load killed half way leaves every KPI table as it was.
    """
    cat = load()
    counts: dict[str, int] = {t.name: 0 for t in cat.tables}
    for period, dates in (("day", days), ("month", months)):
        tables = [t for t in cat.tables if t.period == period]
        for d in sorted(set(dates)):  # one lock order, so two loads never deadlock
            xact_lock(conn, f"kpi:{period}:{d.isoformat()}")
            for t in tables:
                counts[t.name] += replace_table_date(conn, kpi_dir, t, d)
            log.info("KPIs of %s %s replaced", period, d)
    return counts


def load_kpis(day: dt.date, run_id: str = "manual", s: Settings | None = None) -> dict[str, int]:
    """Load only the KPI dates the run of ``day`` recomputed, in one transaction.

    The pipeline does not call this: ``load_date`` loads the KPIs with the facts.
    """
    s = s or settings()
    touched = read_touched(s.kpi_dir, day)
    with connection(s.warehouse_url) as conn, conn.transaction():
        counts = load_dates(conn, s.kpi_dir, touched["days"], touched["months"])
    log.info(
        "run %s: KPIs of %d days and %d months loaded: %s",
        run_id,
        len(touched["days"]),
        len(touched["months"]),
        counts,
    )
    return counts
