"""From silver rows of one business date to fact rows with resolved surrogate keys.

One function per fact; each returns an Arrow table whose column names are exactly the
fact's columns (COPY names them), computed without any per-row Python.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.compute as pc

from retail_kpi.load.keys import (
    CodeMap,
    IdIndex,
    VersionIndex,
    load_code_map,
    load_versions,
    timestamps_us,
)

#: Reads (entity, business date) -> silver rows of that date (memoised by the loader).
Reader = Callable[[str, dt.date], pa.Table]
#: Columns of the orders that order lines take from their header.
ORDER_HEADER = [
    "order_id",
    "order_ts",
    "customer_id",
    "channel",
    "payment_method",
    "status",
    "fx_usd_per_unit",
]


@dataclass(frozen=True)
class KeyContext:
    customers: VersionIndex
    products: VersionIndex
    countries: CodeMap
    channels: CodeMap
    #: Per-day work shared by the slices of one day (the loader clears it per day).
    cache: dict[object, object] = field(default_factory=dict)

    @classmethod
    def load(cls, conn: psycopg.Connection) -> KeyContext:
        """Read the dimensions' keys (after the SCD2 merge of the same transaction)."""
        return cls(
            load_versions(conn, "dim_customer", "customer_id", "customer_key"),
            load_versions(conn, "dim_product", "product_id", "product_key"),
            load_code_map(conn, "dim_country", "country_code", "country_key"),
            load_code_map(conn, "dim_channel", "channel_code", "channel_key"),
        )


def date_key(day: dt.date, n: int) -> pa.Array:
    return pa.array(np.full(n, day.year * 10_000 + day.month * 100 + day.day, dtype=np.int32))


def _keys(values: np.ndarray, small: bool = False) -> pa.Array:
    return pa.array(values.astype(np.int16 if small else np.int64))


def _is_late(t: pa.Table, date_column: str) -> pa.Array:
    return pc.greater(t["ingest_date"], t[date_column])


def order_header(ctx: KeyContext, day: dt.date, read: Reader) -> tuple[IdIndex, pa.Table]:
    """The day's orders with their keys resolved once (order ids, header columns)."""
    cached = ctx.cache.get(("orders", day))
    if cached is None:
        orders = read("orders", day)
        ts = timestamps_us(orders["order_ts"])
        header = pa.table(
            {
                "customer_key": _keys(ctx.customers.lookup(orders["customer_id"], ts)),
                "channel_key": _keys(ctx.channels.lookup(orders["channel"]), small=True),
                "order_status": pc.fill_null(orders["status"], "unknown"),
                "payment_method": orders["payment_method"],
                "fx_usd_per_unit": orders["fx_usd_per_unit"],
            }
        )
        order_ids = IdIndex(orders["order_id"], f"order ids of {day}")
        cached = ctx.cache[("orders", day)] = (order_ids, header)
    return cached  # type: ignore[return-value]


def order_lines(ctx: KeyContext, day: dt.date, items: pa.Table, read: Reader) -> pa.Table:
    """fct_order_line: items joined to their order (customer, channel, status, rate)."""
    order_ids, header = order_header(ctx, day, read)
    position = order_ids.positions(items["order_id"])
    o = header.take(position)
    ts = timestamps_us(items["order_ts"])
    return pa.table(
        {
            "order_date": items["order_date"],
            "date_key": date_key(day, items.num_rows),
            "order_id": items["order_id"],
            "line_number": items["line_number"],
            "order_ts": items["order_ts"],
            "customer_key": pc.fill_null(o["customer_key"], -1),
            "product_key": _keys(ctx.products.lookup(items["product_id"], ts)),
            "country_key": _keys(ctx.countries.lookup(items["country_code"]), small=True),
            "channel_key": pc.fill_null(o["channel_key"], -1),
            "currency_code": items["currency"],
            "order_status": pc.fill_null(o["order_status"], "unknown"),
            "payment_method": o["payment_method"],
            "quantity": items["quantity"],
            "unit_price_local": items["unit_price_local"],
            "discount_pct": items["discount_pct"],
            "discount_band": items["discount_band"],
            "gross_amount_local": items["gross_amount_local"],
            "discount_amount_local": items["discount_amount_local"],
            "net_amount_local": items["net_amount_local"],
            "gross_amount_usd": items["gross_amount_usd"],
            "discount_amount_usd": items["discount_amount_usd"],
            "net_amount_usd": items["net_amount_usd"],
            "cogs_amount_usd": items["cogs_usd"],
            "profit_amount_usd": items["profit_usd"],
            "fx_usd_per_unit": o["fx_usd_per_unit"],
            "is_late": _is_late(items, "order_date"),
            "ingest_date": items["ingest_date"],
        }
    )


def returns(ctx: KeyContext, day: dt.date, t: pa.Table, read: Reader) -> pa.Table:
    """fct_return: product version as of the return."""
    return pa.table(
        {
            "return_date": t["return_date"],
            "date_key": date_key(day, t.num_rows),
            "return_id": t["return_id"],
            "order_id": t["order_id"],
            "line_number": t["line_number"],
            "return_ts": t["return_ts"],
            "product_key": _keys(
                ctx.products.lookup(t["product_id"], timestamps_us(t["return_ts"]))
            ),
            "country_key": _keys(ctx.countries.lookup(t["country_code"]), small=True),
            "quantity": t["quantity"],
            "return_reason": t["reason"],
            "refund_amount_local": t["refund_amount_local"],
            "refund_amount_usd": t["refund_amount_usd"],
            "ingest_date": t["ingest_date"],
        }
    )


def shipments(ctx: KeyContext, day: dt.date, t: pa.Table, read: Reader) -> pa.Table:
    """fct_shipment: delivery performance per shipment."""
    return pa.table(
        {
            "order_date": t["order_date"],
            "date_key": date_key(day, t.num_rows),
            "shipment_id": t["shipment_id"],
            "order_id": t["order_id"],
            "country_key": _keys(ctx.countries.lookup(t["country_code"]), small=True),
            "carrier": t["carrier"],
            "promised_days": t["promised_days"],
            "shipped_ts": t["shipped_ts"],
            "delivered_ts": t["delivered_ts"],
            "days_to_ship": t["days_to_ship"],
            "days_to_deliver": t["days_to_deliver"],
            "is_on_time": t["is_on_time"],
            "shipping_cost_local": t["shipping_cost_local"],
            "shipping_cost_usd": t["shipping_cost_usd"],
            "ingest_date": t["ingest_date"],
        }
    )


def inventory(ctx: KeyContext, day: dt.date, t: pa.Table, read: Reader) -> pa.Table:
    """fct_inventory_daily: product version valid at the end of the snapshot day."""
    end_of_day = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC) + dt.timedelta(days=1)
    at = np.full(t.num_rows, int(end_of_day.timestamp()) * 1_000_000 - 1, dtype=np.int64)
    return pa.table(
        {
            "snapshot_date": t["snapshot_date"],
            "date_key": date_key(day, t.num_rows),
            "country_key": _keys(ctx.countries.lookup(t["country_code"]), small=True),
            "warehouse_id": t["warehouse_id"],
            "product_key": _keys(ctx.products.lookup(t["product_id"], at)),
            "on_hand": t["on_hand"],
            "on_order": t["on_order"],
            "reorder_point": t["reorder_point"],
            "is_low_stock": t["is_low_stock"],
            "is_stock_out": t["is_stock_out"],
            "ingest_date": t["ingest_date"],
        }
    )


def web_sessions(ctx: KeyContext, day: dt.date, t: pa.Table, read: Reader) -> pa.Table:
    """fct_web_session: anonymous sessions get the unknown customer (-1)."""
    ts = timestamps_us(t["session_start_ts"])
    return pa.table(
        {
            "session_date": t["session_date"],
            "date_key": date_key(day, t.num_rows),
            "session_id": t["session_id"],
            "session_start_ts": t["session_start_ts"],
            "customer_key": _keys(ctx.customers.lookup(t["customer_id"], ts)),
            "country_key": _keys(ctx.countries.lookup(t["country_code"]), small=True),
            "channel_key": _keys(ctx.channels.lookup(t["channel"]), small=True),
            "duration_s": t["duration_s"],
            "pages_viewed": t["pages_viewed"],
            "is_added_to_cart": t["added_to_cart"],
            "is_converted": t["converted"],
            "ingest_date": t["ingest_date"],
        }
    )


Transform = Callable[[KeyContext, dt.date, pa.Table, Reader], pa.Table]


@dataclass(frozen=True)
class FactSpec:
    table: str
    date_column: str
    entity: str  # the silver entity with the fact's grain
    companions: tuple[str, ...]  # other entities whose new rows also touch a date
    transform: Transform


FACTS: tuple[FactSpec, ...] = (
    FactSpec("fct_order_line", "order_date", "order_items", ("orders",), order_lines),
    FactSpec("fct_return", "return_date", "returns", (), returns),
    FactSpec("fct_shipment", "order_date", "shipments", (), shipments),
    FactSpec("fct_inventory_daily", "snapshot_date", "inventory", (), inventory),
    FactSpec("fct_web_session", "session_date", "web_sessions", (), web_sessions),
)
