"""KPI tables in ``mart``: the daily sales KPI, and a generic idempotent Parquet loader."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from psycopg import sql

from retail_kpi.load.copy import copy_table
from retail_kpi.load.keys import CodeMap
from retail_kpi.load.silver import parquet_files, read_files
from retail_kpi.warehouse.db import WarehouseError, xact_lock

_CENT = Decimal("0.01")
_SUMS = (
    "quantity",
    "gross_amount_usd",
    "discount_amount_usd",
    "net_amount_usd",
    "cogs_amount_usd",
    "profit_amount_usd",
)


def daily_sales_rows(lines: pa.Table, countries: CodeMap) -> list[tuple[object, ...]]:
    """mart.kpi_daily_sales rows from fct_order_line rows (cancelled orders excluded).

    Computed from the very rows being COPYed into the fact, so no second scan of the
    day is needed; average order value = net sales / orders, rounded half-up.
    """
    live = lines.filter(pc.not_equal(lines["order_status"], "cancelled"))
    if live.num_rows == 0:
        return []
    order = "_order_idx" if "_order_idx" in live.column_names else "order_id"
    grouped = live.group_by(["order_date", "country_key"], use_threads=False).aggregate(
        [(order, "count_distinct"), *((c, "sum") for c in _SUMS)]
    )
    code_of = dict(zip(countries.keys.tolist(), countries.codes.to_pylist(), strict=True))
    rows = []
    for r in grouped.to_pylist():
        orders, net = r[f"{order}_count_distinct"], r["net_amount_usd_sum"]
        rows.append(
            (
                r["order_date"],
                code_of.get(r["country_key"], "UNKNOWN"),
                orders,
                *(r[f"{c}_sum"] for c in _SUMS),
                (net / orders).quantize(_CENT, ROUND_HALF_UP),
            )
        )
    return rows


def replace_daily_sales(
    conn: psycopg.Connection, days: list[dt.date], rows: list[tuple[object, ...]]
) -> int:
    """Replace mart.kpi_daily_sales for ``days`` (inside the caller's transaction)."""
    if not days:
        return 0
    with conn.cursor() as cur:
        cur.execute("delete from mart.kpi_daily_sales where sales_date = any(%s)", (days,))
        cur.executemany(
            "insert into mart.kpi_daily_sales (sales_date, country_code, orders, units,"
            " gross_sales_usd, discount_usd, net_sales_usd, cogs_usd, profit_usd,"
            " avg_order_value_usd) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )
    return len(rows)


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
