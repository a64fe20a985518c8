"""Warehouse gate: what the load wrote to Postgres, checked in Postgres by GX's SQL engine.

Batches are SQL queries (GX query assets). The fact-count check compares each fact day
touched by the landing date with the silver partition it came from: the expected counts
are computed here from the lake (distinct natural keys over every ingest of the day,
since a re-landed record replaces its earlier copy) and sent to Postgres as a VALUES
list, so the comparison itself runs in SQL and shows up in Data Docs like any check.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from psycopg import sql

from retail_kpi.config import Settings
from retail_kpi.quality.batch import Batch
from retail_kpi.quality.frames import touched
from retail_kpi.schemas import BUSINESS_KEYS
from retail_kpi.warehouse.db import connection


class FactSource:
    """A fact table, its date column and the silver entities that feed it."""

    def __init__(
        self,
        table: str,
        date_column: str,
        entity: str,
        keys: tuple[str, ...],
        companions: tuple[str, ...] = (),
    ) -> None:
        self.table, self.date_column, self.entity = table, date_column, entity
        self.keys, self.companions = keys, companions


FACTS: tuple[FactSource, ...] = tuple(
    FactSource(table, date_column, entity, BUSINESS_KEYS[entity], companions)
    for table, date_column, entity, companions in (
        ("fct_order_line", "order_date", "order_items", ("orders",)),
        ("fct_return", "return_date", "returns", ()),
        ("fct_shipment", "order_date", "shipments", ()),
        ("fct_inventory_daily", "snapshot_date", "inventory", ()),
        ("fct_web_session", "session_date", "web_sessions", ()),
    )
)


def _parquet(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.rglob("*.parquet")
        if not any(x.startswith(("_", ".")) for x in p.relative_to(folder).parts)
    )  # fmt: skip


def silver_key_count(s: Settings, entity: str, keys: tuple[str, ...], day: dt.date) -> int:
    """Distinct natural keys of ``entity`` under ``dt=<day>`` across every ingest date."""
    files = _parquet(s.silver_dir / entity / f"dt={day.isoformat()}")
    if not files:
        return 0
    table = pa.concat_tables([pq.read_table(f, columns=list(keys)) for f in files])
    return table.group_by(list(keys), use_threads=False).aggregate([]).num_rows


def expected_fact_rows(s: Settings, day: dt.date) -> list[tuple[str, str, dt.date, int]]:
    """(fact table, date column, business date, expected rows) for every touched day."""
    out = []
    for fact in FACTS:
        dates: set[dt.date] = set()
        for entity in (fact.entity, *fact.companions):
            dates |= touched(s, entity, day)
        for d in sorted(dates):
            out.append(
                (fact.table, fact.date_column, d, silver_key_count(s, fact.entity, fact.keys, d))
            )
    return out


def fact_counts_query(expected: list[tuple[str, str, dt.date, int]]) -> sql.Composable:
    """One row per (fact, business date): silver_rows vs fact_rows, computed in Postgres."""
    if not expected:
        return sql.SQL(
            "select null::text as fact, null::date as business_date,"
            " 0::bigint as silver_rows, 0::bigint as fact_rows where false"
        )
    values = sql.SQL(", ").join(
        sql.SQL("({}, {}::date, {}::bigint)").format(
            sql.Literal(t), sql.Literal(d.isoformat()), sql.Literal(n)
        )
        for t, _, d, n in expected
    )
    actual = sql.SQL(" union all ").join(
        sql.SQL(
            "select {t} as fact, {c} as business_date, count(*) as fact_rows from {tbl}"
            " where {c} = {d}::date group by {c}"
        ).format(
            t=sql.Literal(t), c=sql.Identifier(c), tbl=sql.Identifier("dw", t),
            d=sql.Literal(d.isoformat()),
        )
        for t, c, d, _ in expected
    )  # fmt: skip
    return sql.SQL(
        "with expected (fact, business_date, silver_rows) as (values {values}),"
        " actual as ({actual})"
        " select e.fact, e.business_date, e.silver_rows,"
        " coalesce(a.fact_rows, 0)::bigint as fact_rows"
        " from expected e left join actual a"
        " on a.fact = e.fact and a.business_date = e.business_date"
    ).format(values=values, actual=actual)


def dates_filter(column: tuple[str, ...], dates: set[dt.date]) -> sql.Composable:
    """``<column> in (dates)``; ``false`` when there is no date (the batch is empty)."""
    if not dates:
        return sql.SQL("false")
    literals = [sql.SQL("{}::date").format(sql.Literal(d.isoformat())) for d in sorted(dates)]
    return sql.SQL("{} in ({})").format(sql.Identifier(*column), sql.SQL(", ").join(literals))


#: The daily-sales measures recomputed from the facts, per (sales_date, country_code).
_FACT_SALES = """
select l.order_date as sales_date, c.country_code,
    count(distinct l.order_id)::integer as fact_orders,
    sum(l.quantity)::integer as fact_units,
    sum(l.gross_amount_usd) as fact_gross_sales_usd,
    sum(l.discount_amount_usd) as fact_discount_usd,
    sum(l.net_amount_usd) as fact_net_sales_usd,
    sum(l.cogs_amount_usd) as fact_cogs_usd,
    sum(l.profit_amount_usd) as fact_profit_usd
from dw.fct_order_line as l
inner join dw.dim_country as c on c.country_key = l.country_key
where l.order_status <> 'cancelled' and {fact_dates}
group by l.order_date, c.country_code
"""
#: Column -> SQL type of the rows of :data:`_FACT_SALES`.
_FACT_SALES_TYPES = (
    ("sales_date", "date"), ("country_code", "text"), ("fact_orders", "integer"),
    ("fact_units", "integer"), ("fact_gross_sales_usd", "numeric"),
    ("fact_discount_usd", "numeric"), ("fact_net_sales_usd", "numeric"),
    ("fact_cogs_usd", "numeric"), ("fact_profit_usd", "numeric"),
)  # fmt: skip

#: mart.kpi_daily_sales next to the same measures recomputed from the facts, one row per
#: (sales_date, country_code) present on either side; a missing KPI row shows as NULLs.
_KPI_VS_FACTS = """
with k as (select * from mart.kpi_daily_sales where {kpi_dates}),
f as ({facts})
select coalesce(k.sales_date, f.sales_date) as sales_date,
    coalesce(k.country_code, f.country_code) as country_code,
    k.orders, k.units, k.gross_sales_usd, k.discount_usd, k.net_sales_usd, k.cogs_usd,
    k.profit_usd, k.avg_order_value_usd,
    f.fact_orders, f.fact_units, f.fact_gross_sales_usd, f.fact_discount_usd,
    f.fact_net_sales_usd, f.fact_cogs_usd, f.fact_profit_usd
from k full outer join f on f.sales_date = k.sales_date and f.country_code = k.country_code
"""


def fact_sales(url: str, dates: set[dt.date]) -> list[tuple[object, ...]]:
    """:data:`_FACT_SALES` of ``dates``, run once per gate.

    GX runs a batch's query again for every metric (about 15 for this suite): with the
    aggregate inside, each of them re-read the day's fact lines (8 s of the gate at 1M
    order lines). The batch carries the aggregate's result as literals instead."""
    query = sql.SQL(_FACT_SALES).format(fact_dates=dates_filter(("l", "order_date"), dates))
    with connection(url) as conn:
        return conn.execute(query).fetchall()


def fact_sales_values(rows: list[tuple[object, ...]]) -> sql.Composable:
    """``rows`` as a typed ``select`` (``values`` cannot be empty)."""
    if not rows:
        return sql.SQL("select {} where false").format(
            sql.SQL(", ").join(
                sql.SQL("null::{} as {}").format(sql.SQL(t), sql.Identifier(c))
                for c, t in _FACT_SALES_TYPES
            )
        )
    selects = [
        sql.SQL("select ")
        + sql.SQL(", ").join(
            sql.SQL("{}::{} as {}").format(sql.Literal(_plain(v)), sql.SQL(t), sql.Identifier(c))
            for v, (c, t) in zip(row, _FACT_SALES_TYPES, strict=True)
        )
        for row in rows
    ]
    return sql.SQL(" union all ").join(selects)


def _plain(value: object) -> object:
    """A literal that renders without a connection (dates as ISO text, cast in SQL)."""
    return value.isoformat() if isinstance(value, dt.date) else value


def kpi_vs_facts_query(dates: set[dt.date], facts: list[tuple[object, ...]]) -> sql.Composed:
    return sql.SQL(_KPI_VS_FACTS).format(
        kpi_dates=dates_filter(("sales_date",), dates), facts=fact_sales_values(facts)
    )


def _text(query: sql.Composable) -> str:
    return query.as_string(None)


def batches(s: Settings, day: dt.date) -> list[Batch]:
    expected = expected_fact_rows(s, day)
    sales_dates = {d for t, _, d, _ in expected if t == "fct_order_line"}
    lines = sql.SQL("select * from dw.fct_order_line where {}").format(
        dates_filter(("order_date",), sales_dates)
    )
    kpi = kpi_vs_facts_query(sales_dates, fact_sales(s.warehouse_url, sales_dates))
    counts = fact_counts_query(expected)
    touched = ", ".join(d.isoformat() for d in sorted(sales_dates)) or "none"
    sales = f"sales_date in ({touched})"
    return [
        Batch("warehouse_fact_counts", "dw.fct_* vs lake/silver", query=_text(counts)),
        Batch("warehouse_fct_order_line", f"dw.fct_order_line, {sales}", query=_text(lines)),
        Batch("warehouse_dim_customer", "dw.dim_customer", query="select * from dw.dim_customer"),
        Batch("warehouse_dim_product", "dw.dim_product", query="select * from dw.dim_product"),
        Batch("warehouse_kpi_daily_sales", f"mart.kpi_daily_sales, {sales}", query=_text(kpi)),
    ]
