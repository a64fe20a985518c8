"""A seeded, dirty, multi-date silver dataset for the KPI correctness suite.

44 business days (2023-03-01..05 for year-over-year, 2024-01-27..2024-03-05 with
2024-02-10 missing from the lake), three countries, cancelled orders, unidentified
customers, a product missing from the catalogue, a category change mid-way, countries with
no sales on some days, returns, stock-outs, sessions, shipments with unknown punctuality,
orders that land one or two days late, and one late order of the day before 2024-01-27,
the only row of that day (in the lake, not complete: no growth against it). Rows are plain
dicts so that the independent reference (kpi_reference.py) reads exactly what the job reads.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from tests.silver_rows import write_rows

COUNTRIES = ("USA", "FRA", "MEX")
PRODUCTS = {  # id -> (name, category, unit price, unit cost); P6 is never in the catalogue
    "P1": ("Widget", "Tools", "19.99", "8.00"),
    "P2": ("Gadget", "Toys", "5.49", "2.10"),
    "P3": ("Novel", "Books", "12.00", "4.75"),
    "P4": ("Hammer", "Tools", "24.50", "11.00"),
    "P5": ("Puzzle", "Toys", "9.95", "3.33"),
    "P6": ("Ghost", "Tools", "3.00", "1.00"),
}
CATEGORY_CHANGE = (dt.date(2024, 2, 20), "P2", "Books")  # P2 moves to Books from this day
MISSING_DAY = dt.date(2024, 2, 10)
PRE_HISTORY_DAY = dt.date(2024, 1, 26)  # in the lake only through a late order
CUSTOMERS = [f"C{i}" for i in range(1, 13)]
AGE_GROUPS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
CENT = Decimal("0.01")

Rows = dict[str, list[dict[str, Any]]]


def days() -> list[dt.date]:
    early = [dt.date(2023, 3, d) for d in range(1, 6)]
    start = dt.date(2024, 1, 27)
    main = [start + dt.timedelta(days=i) for i in range(39)]
    return early + [d for d in main if d != MISSING_DAY]


def _ts(day: dt.date, rnd: random.Random) -> dt.datetime:
    sec = rnd.choice([rnd.randrange(86400), 36000 + rnd.randrange(90)])  # bursts at 10:00
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC) + dt.timedelta(seconds=sec)


def _money(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def _orders_of_day(day: dt.date, rnd: random.Random, rows: Rows, seq: list[int]) -> None:
    for _ in range(rnd.randrange(3, 9)):
        seq[0] += 1
        oid = f"O{seq[0]}"
        country = rnd.choice(COUNTRIES[:2]) if day.day % 5 == 0 else rnd.choice(COUNTRIES)
        late = rnd.random() < 0.15
        landed = day + dt.timedelta(days=rnd.choice([1, 2])) if late else day
        status = rnd.choices(["completed", "cancelled", "refunded"], [8, 1, 1])[0]
        cust = "UNKNOWN" if rnd.random() < 0.1 else rnd.choice(CUSTOMERS)
        ts = _ts(day, rnd)
        rows["orders"].append(
            {
                "order_id": oid,
                "customer_id": cust,
                "order_ts": ts,
                "order_date": day,
                "country_code": country,
                "currency": "USD",
                "channel": "web",
                "status": status,
                "ingest_date": landed,
                "total_items": 0,
            }
        )
        # Every 11th order had all its lines quarantined by the clean job: it is in silver
        # with total_items 0 and no lines (its lines are still drawn, so the rest of the
        # dataset does not depend on this).
        lineless = seq[0] % 11 == 0
        for n in range(1, rnd.randrange(2, 5)):
            pid = rnd.choice(list(PRODUCTS))
            _, _, price, cost = PRODUCTS[pid]
            qty = rnd.randrange(1, 4)
            gross = _money(Decimal(price) * qty)
            disc = _money(gross * Decimal(rnd.choice(["0", "0.05", "0.125", "0.333"])))
            cogs = _money(Decimal(cost) * qty)
            if lineless:
                continue
            rows["orders"][-1]["total_items"] += qty
            rows["order_items"].append(
                {
                    "order_id": oid,
                    "line_number": n,
                    "product_id": pid,
                    "order_date": day,
                    "order_ts": ts,
                    "country_code": country,
                    "quantity": qty,
                    "gross_amount_usd": gross,
                    "discount_amount_usd": disc,
                    "net_amount_usd": gross - disc,
                    "cogs_usd": cogs,
                    "profit_usd": gross - disc - cogs,
                    "ingest_date": landed,
                }
            )
        if rnd.random() < 0.6:
            shipped = rnd.random() < 0.8
            delivered = shipped and rnd.random() < 0.7
            rows["shipments"].append(
                {
                    "shipment_id": f"S{oid}",
                    "order_id": oid,
                    "order_date": day,
                    "country_code": country,
                    "carrier": "UPS",
                    "shipped_ts": ts + dt.timedelta(days=1) if shipped else None,
                    "delivered_ts": ts + dt.timedelta(days=3) if delivered else None,
                    "days_to_ship": Decimal(rnd.choice(["0.50", "1.25", "2.00"]))
                    if shipped
                    else None,
                    "days_to_deliver": Decimal(rnd.choice(["2.75", "4.00"])) if delivered else None,
                    "is_on_time": rnd.choice([True, False]) if delivered else None,
                    "ingest_date": landed,
                }
            )


def _ops_of_day(day: dt.date, rnd: random.Random, rows: Rows) -> None:
    lines = [r for r in rows["order_items"] if r["order_date"] < day]
    for i in range(rnd.randrange(0, 3)):
        if not lines:
            break
        src = rnd.choice(lines)
        rows["returns"].append(
            {
                "return_id": f"R{day}{i}",
                "order_id": src["order_id"],
                "line_number": 1,
                "product_id": src["product_id"],
                "return_date": day,
                "return_ts": dt.datetime.combine(day, dt.time(15), tzinfo=dt.UTC),
                "country_code": src["country_code"],
                "quantity": 1,
                "reason": "damaged",
                "refund_amount_usd": _money(src["net_amount_usd"] / src["quantity"]),
            }
        )
    for country in COUNTRIES:
        for wh in ("W1", "W2"):
            for pid in ("P1", "P2", "P3", "P6"):
                on_hand = rnd.choice([0, 3, 15, 40])
                reorder = 10
                rows["inventory"].append(
                    {
                        "snapshot_date": day,
                        "country_code": country,
                        "warehouse_id": f"{country}-{wh}",
                        "product_id": pid,
                        "on_hand": on_hand,
                        "on_order": rnd.choice([0, 20]),
                        "reorder_point": reorder,
                        "is_low_stock": on_hand <= reorder,
                        "is_stock_out": on_hand == 0,
                    }
                )
        for j in range(rnd.randrange(0, 4)):
            rows["web_sessions"].append(
                {
                    "session_id": f"W{day}{country}{j}",
                    "session_date": day,
                    "session_start_ts": _ts(day, rnd),
                    "country_code": country,
                    "channel": rnd.choice(["web", "mobile"]),
                    "duration_s": rnd.randrange(10, 600),
                    "pages_viewed": rnd.randrange(1, 12),
                    "added_to_cart": rnd.random() < 0.4,
                    "converted": rnd.random() < 0.2,
                }
            )


def _snapshots(first: dt.date, rnd: random.Random, rows: Rows) -> None:
    change_day, change_pid, change_cat = CATEGORY_CHANGE
    for snap in (first, change_day):
        for pid, (name, cat, price, cost) in PRODUCTS.items():
            if pid == "P6":
                continue
            category = change_cat if (snap == change_day and pid == change_pid) else cat
            rows["products"].append(
                {
                    "product_id": pid,
                    "product_name": name,
                    "category": category,
                    "manufacturing_price_usd": Decimal(cost),
                    "list_price_usd": Decimal(price),
                    "updated_at": dt.datetime.combine(snap, dt.time(), tzinfo=dt.UTC),
                    "ingest_date": snap,
                }
            )
    for cid in CUSTOMERS[:-1]:  # the last customer is missing from the snapshot
        rows["customers"].append(
            {
                "customer_id": cid,
                "age_group": rnd.choice(AGE_GROUPS),
                "updated_at": dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC),
                "ingest_date": first,
            }
        )


def _late_order_before_history(rows: Rows) -> None:
    """One FRA order of PRE_HISTORY_DAY landed two days late (fixed values, no random
    draws: the seeded rows stay as they were)."""
    ts = dt.datetime.combine(PRE_HISTORY_DAY, dt.time(10, 0, 5), tzinfo=dt.UTC)
    landed = PRE_HISTORY_DAY + dt.timedelta(days=2)
    order = {
        "order_id": "PRE1",
        "customer_id": "UNKNOWN",
        "order_ts": ts,
        "order_date": PRE_HISTORY_DAY,
        "country_code": "FRA",
        "currency": "USD",
        "channel": "web",
        "status": "completed",
        "ingest_date": landed,
        "total_items": 1,
    }
    gross, cogs = Decimal("19.99"), Decimal("8.00")
    rows["orders"].append(order)
    rows["order_items"].append(
        {
            "order_id": "PRE1",
            "line_number": 1,
            "product_id": "P1",
            "order_date": PRE_HISTORY_DAY,
            "order_ts": ts,
            "country_code": "FRA",
            "quantity": 1,
            "gross_amount_usd": gross,
            "discount_amount_usd": Decimal("0.00"),
            "net_amount_usd": gross,
            "cogs_usd": cogs,
            "profit_usd": gross - cogs,
            "ingest_date": landed,
        }
    )


def build(seed: int = 7) -> Rows:
    rnd = random.Random(seed)
    rows: Rows = {
        e: []
        for e in (
            "orders",
            "order_items",
            "returns",
            "shipments",
            "inventory",
            "web_sessions",
            "products",
            "customers",
        )
    }
    seq = [0]
    all_days = days()
    _snapshots(all_days[0], rnd, rows)
    for day in all_days:
        _orders_of_day(day, rnd, rows, seq)
        _ops_of_day(day, rnd, rows)
    _late_order_before_history(rows)
    return rows


def write(silver: Path, rows: Rows) -> None:
    for entity, items in rows.items():
        if items:
            write_rows(silver, entity, items)


def extra_day(rows: Rows, day: dt.date, seed: int = 11) -> Rows:
    """Rows landed on ``day``: its own orders and ops, a late order of 2024-02-20 by the
    customer missing from the snapshot, and a late return dated 2024-03-01."""
    rnd = random.Random(seed)
    new: Rows = {e: [] for e in rows}
    seq = [10_000]
    _orders_of_day(day, rnd, new, seq)
    _ops_of_day(day, rnd, {**new, "order_items": rows["order_items"] + new["order_items"]})
    late_day = dt.date(2024, 2, 20)
    ts = dt.datetime.combine(late_day, dt.time(10, 0, 5), tzinfo=dt.UTC)
    new["orders"].append(
        {
            "order_id": "LATE1",
            "customer_id": CUSTOMERS[-1],
            "order_ts": ts,
            "order_date": late_day,
            "country_code": "MEX",
            "currency": "USD",
            "channel": "web",
            "status": "completed",
            "total_items": 3,
        }
    )
    new["order_items"].append(
        {
            "order_id": "LATE1",
            "line_number": 1,
            "product_id": "P2",
            "order_date": late_day,
            "order_ts": ts,
            "country_code": "MEX",
            "quantity": 3,
            "gross_amount_usd": Decimal("16.47"),
            "discount_amount_usd": Decimal("0.83"),
            "net_amount_usd": Decimal("15.64"),
            "cogs_usd": Decimal("6.30"),
            "profit_usd": Decimal("9.34"),
        }
    )
    new["returns"].append(
        {
            "return_id": "LATE-R",
            "order_id": "LATE1",
            "line_number": 1,
            "product_id": "P2",
            "return_date": dt.date(2024, 3, 1),
            "return_ts": dt.datetime(2024, 3, 1, 16, tzinfo=dt.UTC),
            "country_code": "MEX",
            "quantity": 1,
            "reason": "late",
            "refund_amount_usd": Decimal("5.21"),
        }
    )
    for items in new.values():
        for r in items:
            r["ingest_date"] = day
    return {e: items for e, items in new.items() if items}
