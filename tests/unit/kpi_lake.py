"""A tiny, dirty, hand-written silver lake shared by the KPI tests.

Two business days, 2024-03-01 (D1) and 2024-03-02 (D2), two countries. It contains a
cancelled order, an unidentified customer, a discount of one cent, a return, and a late
order of D1 that lands with D2. Every expected value in the tests is worked out from the
rows below by hand (see the comments next to each assertion).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as Dec
from pathlib import Path

from tests.silver_rows import write_rows

D0 = dt.date(2024, 2, 29)
D1 = dt.date(2024, 3, 1)
D2 = dt.date(2024, 3, 2)


def ts(day: dt.date, hms: str) -> dt.datetime:
    h, m, s = (int(x) for x in hms.split(":"))
    return dt.datetime(day.year, day.month, day.day, h, m, s, tzinfo=dt.UTC)


#: total_items of each order: the quantities of its lines below (silver orders carry them)
ITEMS = {"O1": 3, "O2": 1, "O3": 5, "O4": 3, "O5": 1, "O6": 2, "O7": 1, "O8": 1}


def order(oid: str, cust: str, day: dt.date, hms: str, country: str, status: str = "completed"):
    return {
        "total_items": ITEMS[oid],
        "order_id": oid,
        "customer_id": cust,
        "order_ts": ts(day, hms),
        "order_date": day,
        "country_code": country,
        "currency": "USD",
        "channel": "web",
        "status": status,
    }


def line(oid: str, n: int, pid: str, day: dt.date, qty: int, gross: str, disc: str, cogs: str):
    g, d, c = Dec(gross), Dec(disc), Dec(cogs)
    return {
        "order_id": oid,
        "line_number": n,
        "product_id": pid,
        "order_date": day,
        "quantity": qty,
        "gross_amount_usd": g,
        "discount_amount_usd": d,
        "net_amount_usd": g - d,
        "cogs_usd": c,
        "profit_usd": g - d - c,
    }


def write_day1(silver: Path) -> None:
    """D1 as landed on D1 (on time)."""
    write_rows(
        silver,
        "orders",
        [
            order("O1", "C1", D1, "10:00:15", "USA"),
            order("O2", "C2", D1, "10:00:45", "USA"),
            order("O3", "C1", D1, "11:30:00", "USA", status="cancelled"),
            order("O4", "C3", D1, "10:00:30", "FRA", status="refunded"),
            order("O5", "UNKNOWN", D1, "23:59:59", "USA"),
        ],
    )
    write_rows(
        silver,
        "order_items",
        [
            line("O1", 1, "P1", D1, 2, "20.00", "2.00", "10.00"),
            line("O1", 2, "P2", D1, 1, "5.00", "0.00", "3.00"),
            line("O2", 1, "P1", D1, 1, "10.00", "0.00", "5.00"),
            line("O3", 1, "P2", D1, 5, "25.00", "0.00", "15.00"),
            line("O4", 1, "P2", D1, 3, "15.00", "1.50", "9.00"),
            line("O5", 1, "P1", D1, 1, "10.00", "0.01", "5.00"),
        ],
    )
    write_rows(
        silver,
        "products",
        [
            {
                "product_id": "P1",
                "product_name": "Widget",
                "category": "Tools",
                "updated_at": ts(D1, "00:00:00"),
            },
            {
                "product_id": "P2",
                "product_name": "Gadget",
                "category": "Toys",
                "updated_at": ts(D1, "00:00:00"),
            },
        ],
        ingest=D1,
    )
    write_rows(
        silver,
        "customers",
        [
            {"customer_id": "C1", "age_group": "25-34", "updated_at": ts(D1, "00:00:00")},
            {"customer_id": "C2", "age_group": "65+", "updated_at": ts(D1, "00:00:00")},
            {"customer_id": "C3", "age_group": "18-24", "updated_at": ts(D1, "00:00:00")},
        ],
        ingest=D1,
    )
    write_rows(
        silver,
        "inventory",
        [
            {
                "snapshot_date": D1,
                "country_code": "USA",
                "warehouse_id": "W1",
                "product_id": "P1",
                "on_hand": 0,
                "on_order": 10,
                "reorder_point": 5,
                "is_low_stock": True,
                "is_stock_out": True,
            },
            {
                "snapshot_date": D1,
                "country_code": "USA",
                "warehouse_id": "W1",
                "product_id": "P2",
                "on_hand": 100,
                "on_order": 0,
                "reorder_point": 10,
                "is_low_stock": False,
                "is_stock_out": False,
            },
            {
                "snapshot_date": D1,
                "country_code": "FRA",
                "warehouse_id": "W2",
                "product_id": "P1",
                "on_hand": 4,
                "on_order": 0,
                "reorder_point": 5,
                "is_low_stock": True,
                "is_stock_out": False,
            },
        ],
    )
    write_rows(
        silver,
        "web_sessions",
        [
            {
                "session_id": "S1",
                "session_date": D1,
                "session_start_ts": ts(D1, "09:00:00"),
                "country_code": "USA",
                "channel": "web",
                "duration_s": 100,
                "pages_viewed": 5,
                "added_to_cart": True,
                "converted": True,
            },
            {
                "session_id": "S2",
                "session_date": D1,
                "session_start_ts": ts(D1, "09:10:00"),
                "country_code": "USA",
                "channel": "web",
                "duration_s": 50,
                "pages_viewed": 1,
                "added_to_cart": False,
                "converted": False,
            },
            {
                "session_id": "S3",
                "session_date": D1,
                "session_start_ts": ts(D1, "09:20:00"),
                "country_code": "USA",
                "channel": "mobile",
                "duration_s": 30,
                "pages_viewed": 2,
                "added_to_cart": True,
                "converted": False,
            },
        ],
    )
    write_rows(
        silver,
        "shipments",
        [
            {
                "shipment_id": "SH1",
                "order_id": "O1",
                "order_date": D1,
                "country_code": "USA",
                "carrier": "UPS",
                "shipped_ts": ts(D2, "10:00:00"),
                "delivered_ts": ts(D2, "12:00:00"),
                "days_to_ship": Dec("1.00"),
                "days_to_deliver": Dec("3.00"),
                "is_on_time": True,
            },
            {
                "shipment_id": "SH2",
                "order_id": "O2",
                "order_date": D1,
                "country_code": "USA",
                "carrier": "UPS",
                "shipped_ts": ts(D2, "11:00:00"),
                "delivered_ts": None,
                "days_to_ship": Dec("2.00"),
                "days_to_deliver": None,
                "is_on_time": None,
            },
        ],
    )


def write_day2(silver: Path) -> None:
    """D2 as landed on D2, plus a late order of D1 (O7) that landed on D2."""
    write_rows(silver, "orders", [order("O6", "C1", D2, "09:00:00", "USA")])
    write_rows(silver, "order_items", [line("O6", 1, "P2", D2, 2, "10.00", "0.50", "6.00")])
    write_rows(silver, "orders", [order("O7", "C4", D1, "12:00:00", "FRA")], ingest=D2)
    write_rows(
        silver, "order_items", [line("O7", 1, "P1", D1, 1, "10.00", "0.00", "5.00")], ingest=D2
    )
    write_rows(
        silver,
        "returns",
        [
            {
                "return_id": "R1",
                "order_id": "O1",
                "line_number": 1,
                "product_id": "P1",
                "return_date": D2,
                "return_ts": ts(D2, "15:00:00"),
                "country_code": "USA",
                "quantity": 1,
                "reason": "damaged",
                "refund_amount_usd": Dec("9.00"),
            },
        ],
    )


def write_day0_order(silver: Path, landed: dt.date) -> None:
    """One USA order of D0, the day before D1 (P1 for 10.00: net 10.00), landed on
    ``landed``: on D0 itself, or late on D1 (then D0 is in the lake through it alone)."""
    write_rows(silver, "orders", [order("O8", "C2", D0, "18:00:00", "USA")], ingest=landed)
    write_rows(
        silver,
        "order_items",
        [line("O8", 1, "P1", D0, 1, "10.00", "0.00", "5.00")],
        ingest=landed,
    )
