"""An idempotent Parquet loader for the KPI tables in ``mart`` (one table, one date)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import psycopg
import pyarrow.compute as pc
import pyarrow.parquet as pq
from psycopg import sql

from retail_kpi.load.copy import copy_table
from retail_kpi.load.silver import parquet_files, read_files
from retail_kpi.warehouse.db import WarehouseError, xact_lock


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
