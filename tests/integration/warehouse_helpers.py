"""A three-day hand-written silver lake for the warehouse loader tests, and their helpers.

Rows are written with tests/silver_rows.py (the silver contract's types and layout).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq

from tests.silver_rows import write_partition


def customer(cid: str, updated_at: str, country: str = "USA", segment: str = "Consumer", **kw: Any):
    return {
        "customer_id": cid,
        "first_name": kw.get("first_name", cid.lower()),
        "last_name": "Test",
        "email": f"{cid.lower()}@example.com",
        "is_email_valid": True,
        "age": kw.get("age", 30),
        "is_age_imputed": False,
        "age_group": kw.get("age_group", "25-34"),
        "gender": "F",
        "segment": segment,
        "country_code": country,
        "city": kw.get("city", "Springfield"),
        "address": "1 Main St",
        "registration_date": "2023-01-01",
        "updated_at": updated_at,
    }


def product(pid: str, updated_at: str, price: str, cost: str, category: str = "Toys"):
    return {
        "product_id": pid,
        "product_name": f"Product {pid}",
        "category": category,
        "subcategory": "Misc",
        "brand": "Acme",
        "manufacturing_price_usd": cost,
        "list_price_usd": price,
        "updated_at": updated_at,
    }


def order(oid: str, cid: str, ts: str, country: str, currency: str, channel: str, status: str,
          fx: str, ingest: str) -> dict[str, Any]:  # fmt: skip
    return {
        "order_id": oid,
        "customer_id": cid,
        "order_ts": ts,
        "order_date": ts[:10],
        "country_code": country,
        "currency": currency,
        "channel": channel,
        "payment_method": "card",
        "status": status,
        "fx_usd_per_unit": fx,
        "total_items": 0,
        "total_amount_local": "0",
        "total_amount_usd": "0",
        "is_late": ingest > ts[:10],
        "ingest_date": ingest,
    }


def item(oid: str, line: int, pid: str, ts: str, country: str, currency: str, qty: int,
         price: str, disc: str, fx: str, cost: str, ingest: str) -> dict[str, Any]:  # fmt: skip
    """An order line whose amounts are derived here by hand-rule (half-up cents)."""
    cent = Decimal("0.01")
    q, p, d, f, c = Decimal(qty), Decimal(price), Decimal(disc), Decimal(fx), Decimal(cost)
    gross = (q * p).quantize(cent)
    discount = (gross * d).quantize(cent)
    net = gross - discount
    net_usd = (net * f).quantize(cent)
    cogs = (q * c).quantize(cent)
    return {
        "order_id": oid,
        "line_number": line,
        "product_id": pid,
        "order_date": ts[:10],
        "order_ts": ts,
        "country_code": country,
        "currency": currency,
        "quantity": qty,
        "unit_price_local": price,
        "discount_pct": disc,
        "discount_band": "None" if d == 0 else "High" if d >= Decimal("0.1") else "Low",
        "gross_amount_local": gross,
        "discount_amount_local": discount,
        "net_amount_local": net,
        "gross_amount_usd": (gross * f).quantize(cent),
        "discount_amount_usd": (discount * f).quantize(cent),
        "net_amount_usd": net_usd,
        "cogs_usd": cogs,
        "profit_usd": net_usd - cogs,
        "ingest_date": ingest,
    }


def fetch(conn: psycopg.Connection, query: Any, *params: Any) -> list[tuple[Any, ...]]:
    return conn.execute(query, params or None).fetchall()


# --------------------------------------------------------------------------------------
# A three-day scenario, every expected number computed by hand in the tests.
# --------------------------------------------------------------------------------------
DAY1, DAY2, DAY3 = dt.date(2024, 3, 1), dt.date(2024, 3, 2), dt.date(2024, 3, 3)


def write_day1(lake: Path) -> None:
    silver = lake / "silver"
    d = "2024-03-01"
    write_partition(silver, "customers", d, d, [
        customer("C1", "2024-02-01T00:00:00", "USA"),
        customer("C2", "2024-02-15T00:00:00", "FRA"),
    ])  # fmt: skip
    write_partition(silver, "products", d, d, [
        product("P1", "2024-01-01T00:00:00", "10.00", "4.00", "Toys"),
        product("P2", "2024-01-01T00:00:00", "20.00", "12.00", "Books"),
    ])  # fmt: skip
    write_partition(silver, "orders", d, d, [
        order("O1", "C1", "2024-03-01T10:00:00", "USA", "USD", "web", "completed", "1", d),
        order("O2", "C2", "2024-03-01T11:00:00", "FRA", "EUR", "store", "completed", "1.1", d),
        order("O3", "C1", "2024-03-01T12:00:00", "USA", "USD", "mobile", "cancelled", "1", d),
    ])  # fmt: skip
    write_partition(silver, "order_items", d, d, [
        item("O1", 1, "P1", "2024-03-01T10:00:00", "USA", "USD", 2, "10.00", "0", "1", "4.00", d),
        item("O1", 2, "P2", "2024-03-01T10:00:00", "USA", "USD", 1, "20.00", "0.1", "1", "12.00",
             d),
        item("O2", 1, "P1", "2024-03-01T11:00:00", "FRA", "EUR", 3, "9.00", "0", "1.1", "4.00", d),
        item("O3", 1, "P2", "2024-03-01T12:00:00", "USA", "USD", 5, "20.00", "0", "1", "12.00", d),
    ])  # fmt: skip


def write_day2(lake: Path) -> None:
    silver = lake / "silver"
    d, late = "2024-03-02", "2024-03-01"
    write_partition(silver, "customers", d, d, [
        customer("C1", "2024-03-02T08:00:00", "CAN", "Enterprise"),
        customer("C2", "2024-02-15T00:00:00", "FRA"),
        customer("C3", "2024-03-02T09:00:00", "MEX"),
    ])  # fmt: skip
    write_partition(silver, "products", d, d, [
        product("P1", "2024-03-02T00:00:00", "11.00", "4.00", "Toys"),
        product("P2", "2024-01-01T00:00:00", "20.00", "12.00", "Books"),
    ])  # fmt: skip
    write_partition(silver, "orders", d, d, [
        order("O4", "C1", "2024-03-02T07:00:00", "USA", "USD", "web", "completed", "1", d),
        order("O5", "C1", "2024-03-02T10:00:00", "CAN", "CAD", "web", "completed", "0.75", d),
    ])  # fmt: skip
    write_partition(silver, "order_items", d, d, [
        item("O4", 1, "P1", "2024-03-02T07:00:00", "USA", "USD", 1, "11.00", "0", "1", "4.00", d),
        item("O5", 1, "P2", "2024-03-02T10:00:00", "CAN", "CAD", 2, "26.00", "0.05", "0.75",
             "12.00", d),
    ])  # fmt: skip
    # A late order of day 1, landed on day 2: it must join day 1's facts.
    write_partition(silver, "orders", late, d, [
        order("O6", "C2", "2024-03-01T23:00:00", "FRA", "EUR", "web", "completed", "1.1", d),
    ])  # fmt: skip
    write_partition(silver, "order_items", late, d, [
        item("O6", 1, "P2", "2024-03-01T23:00:00", "FRA", "EUR", 1, "18.00", "0", "1.1", "12.00",
             d),
    ])  # fmt: skip


def write_day2_other_facts(lake: Path) -> None:
    """Returns, shipments, inventory and sessions landed on day 2 (see test_warehouse_facts)."""
    silver = lake / "silver"
    d = "2024-03-02"
    write_partition(silver, "returns", d, d, [{
        "return_id": "R1", "order_id": "O1", "line_number": 1, "product_id": "P1",
        "return_date": d, "return_ts": "2024-03-02T15:00:00", "country_code": "USA",
        "quantity": 1, "reason": "damaged", "refund_amount_local": "10.00",
        "refund_amount_usd": "10.00", "ingest_date": d,
    }])  # fmt: skip
    write_partition(silver, "shipments", "2024-03-01", d, [{
        "shipment_id": "S1", "order_id": "O2", "order_date": "2024-03-01", "country_code": "FRA",
        "carrier": "DHL", "promised_days": 3, "shipped_ts": "2024-03-02T09:00:00",
        "delivered_ts": None, "days_to_ship": "0.92", "days_to_deliver": None,
        "is_on_time": None, "shipping_cost_local": "5.00", "shipping_cost_usd": "5.50",
        "ingest_date": d,
    }])  # fmt: skip
    write_partition(silver, "inventory", d, d, [
        {"snapshot_date": d, "country_code": "USA", "warehouse_id": "W1", "product_id": "P1",
         "on_hand": 0, "on_order": 10, "reorder_point": 5, "is_low_stock": True,
         "is_stock_out": True, "ingest_date": d},
        {"snapshot_date": d, "country_code": "FRA", "warehouse_id": "W2", "product_id": "P2",
         "on_hand": 50, "on_order": 0, "reorder_point": 10, "is_low_stock": False,
         "is_stock_out": False, "ingest_date": d},
    ])  # fmt: skip
    write_partition(silver, "web_sessions", d, d, [
        {"session_id": "WS1", "customer_id": "C1", "session_date": d,
         "session_start_ts": "2024-03-02T09:30:00", "country_code": "CAN", "channel": "web",
         "duration_s": 300, "pages_viewed": 5, "added_to_cart": True, "converted": True,
         "ingest_date": d},
        {"session_id": "WS2", "customer_id": None, "session_date": d,
         "session_start_ts": "2024-03-02T11:00:00", "country_code": "USA", "channel": "mobile",
         "duration_s": 60, "pages_viewed": 1, "added_to_cart": False, "converted": False,
         "ingest_date": d},
    ])  # fmt: skip


def write_day3(lake: Path) -> None:
    silver = lake / "silver"
    d = "2024-03-03"
    write_partition(silver, "customers", d, d, [
        customer("C1", "2024-03-03T12:00:00", "CAN", "Consumer"),
        customer("C2", "2024-02-15T00:00:00", "FRA"),
        customer("C3", "2024-03-02T09:00:00", "MEX"),
    ])  # fmt: skip
    write_partition(silver, "products", d, d, [
        product("P1", "2024-03-02T00:00:00", "11.00", "4.00", "Toys"),
        product("P2", "2024-01-01T00:00:00", "20.00", "12.00", "Books"),
    ])  # fmt: skip
    write_partition(silver, "orders", d, d, [
        order("O7", "C3", "2024-03-03T13:00:00", "MEX", "MXN", "store", "completed", "0.05", d),
    ])  # fmt: skip
    write_partition(silver, "order_items", d, d, [
        item("O7", 1, "P1", "2024-03-03T13:00:00", "MEX", "MXN", 1, "200.00", "0", "0.05", "4.00",
             d),
    ])  # fmt: skip


WRITERS = {DAY1: write_day1, DAY2: write_day2, DAY3: write_day3}


def write_day1_daily_sales(lake: Path) -> None:
    """The KPI job's kpi_daily_sales output for DAY1 (and its touched list), worked out by
    hand from write_day1: FRA O2 (3 units, 29.70, cost 12.00); USA O1 (2 lines: 20.00 and
    20.00 - 2.00 discount, cost 20.00); O3 cancelled. Columns: orders, units, gross,
    discount, net, cogs, profit, average order value."""
    usd = pa.decimal128(18, 2)
    rows = {"FRA": (1, 3, "29.70", "0.00", "29.70", "12.00", "17.70", "29.70"),
            "USA": (1, 3, "40.00", "2.00", "38.00", "20.00", "18.00", "38.00")}  # fmt: skip
    money = ["gross_sales_usd", "discount_usd", "net_sales_usd", "cogs_usd", "profit_usd",
             "avg_order_value_usd"]  # fmt: skip
    table = pa.table(
        {
            "sales_date": pa.array([DAY1] * len(rows), pa.date32()),
            "country_code": list(rows),
            "orders": pa.array([r[0] for r in rows.values()], pa.int64()),
            "units": pa.array([r[1] for r in rows.values()], pa.int64()),
            **{
                c: pa.array([Decimal(r[2 + i]) for r in rows.values()], usd)
                for i, c in enumerate(money)
            },
        }
    )
    folder = lake / "kpi" / "kpi_daily_sales" / f"dt={DAY1.isoformat()}"
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, folder / "part-0.parquet")
    touched = lake / "kpi" / "_touched" / f"dt={DAY1.isoformat()}.json"
    touched.parent.mkdir(parents=True, exist_ok=True)
    touched.write_text(f'{{"days": ["{DAY1}"], "months": [], "run_id": "hand"}}')
