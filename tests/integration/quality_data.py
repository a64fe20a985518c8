"""Tiny hand-written lake data for the quality-gate tests (owned by the quality area).

Silver rows are written with tests/silver_rows.py (the silver contract's types, the
clean job's layout), so the gates read them exactly as they read Spark's output.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from retail_kpi import schemas
from retail_kpi.config import Settings
from tests import silver_rows

DAY = dt.date(2026, 1, 5)


def settings_for(tmp: Path, url: str) -> Settings:
    return Settings(
        warehouse_url=url,
        data_dir=tmp,
        landing_dir=tmp / "landing",
        lake_dir=tmp / "lake",
        spark_master="local[2]",
        seed=42,
        orders_per_day=10,
        customers=10,
        products=5,
    )


def write_silver(s: Settings, entity: str, rows: list[dict[str, Any]], day: dt.date = DAY) -> Path:
    """Write ``rows`` (missing columns = NULL) as the partition dt=<day>/ingest_dt=<day>."""
    return silver_rows.write_partition(s.silver_dir, entity, day, day, rows)


def ts(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def customer(cid: str, day: dt.date = DAY) -> dict[str, Any]:
    return {
        "customer_id": cid,
        "is_email_valid": True,
        "age": 30,
        "is_age_imputed": False,
        "age_group": "25-34",
        "segment": "Consumer",
        "country_code": "USA",
        "updated_at": ts(day, 0),
    }


def product(pid: str, day: dt.date = DAY) -> dict[str, Any]:
    return {
        "product_id": pid,
        "product_name": f"Product {pid}",
        "category": "Shoes",
        "manufacturing_price_usd": 4.0,
        "list_price_usd": 10.0,
        "updated_at": ts(day, 0),
    }


def order(oid: str, cid: str, day: dt.date = DAY, **over: Any) -> dict[str, Any]:
    row = {
        "order_id": oid,
        "customer_id": cid,
        "order_ts": ts(day),
        "order_date": day,
        "country_code": "USA",
        "currency": "USD",
        "channel": "web",
        "status": "completed",
        "fx_usd_per_unit": 1.0,
        "total_items": 2,
        "total_amount_local": 20.0,
        "total_amount_usd": 20.0,
        "is_late": False,
        "ingest_date": day,
    }
    row.update(over)
    return row


def item(oid: str, line: int, pid: str, day: dt.date = DAY, **over: Any) -> dict[str, Any]:
    """A line of 2 units at 10.00, no discount (so gross = net = 20.00)."""
    row = {
        "order_id": oid,
        "line_number": line,
        "product_id": pid,
        "order_date": day,
        "order_ts": ts(day),
        "country_code": "USA",
        "currency": "USD",
        "quantity": 2,
        "unit_price_local": 10.0,
        "discount_pct": 0.0,
        "discount_band": "None",
        "gross_amount_local": 20.0,
        "discount_amount_local": 0.0,
        "net_amount_local": 20.0,
        "gross_amount_usd": 20.0,
        "discount_amount_usd": 0.0,
        "net_amount_usd": 20.0,
        "cogs_usd": 8.0,
        "profit_usd": 12.0,
        "ingest_date": day,
    }
    row.update(over)
    return row


def write_reconciliation(
    s: Settings,
    entities: dict[str, tuple[int, int, int, int]],
    day: dt.date = DAY,
    history: tuple[dt.date, dt.date] | None = None,
) -> Path:
    """entity -> (in, clean, quarantined, deduplicated); bronze = in; ``history``: the
    window of a bulk history drop, as the clean job copies it from the done-marker."""
    doc: dict[str, Any] = {
        "run_id": "test",
        "landing_date": day.isoformat(),
        "entities": {
            e: {
                "entity": e,
                "rows_in": n,
                "rows_bronze": n,
                "rows_clean": c,
                "rows_quarantined": q,
                "rows_deduplicated": d,
            }
            for e, (n, c, q, d) in entities.items()
        },
    }
    if history is not None:
        doc["history"] = {"from": history[0].isoformat(), "to": history[1].isoformat()}
    path = s.lake_dir / "_audit" / "clean" / f"dt={day.isoformat()}" / "reconciliation.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    return path


def write_clean_silver(s: Settings, day: dt.date = DAY) -> None:
    """Two customers, two products, two orders of two lines: everything valid."""
    write_silver(s, "customers", [customer("C1", day), customer("C2", day)], day)
    write_silver(s, "products", [product("P1", day), product("P2", day)], day)
    write_silver(s, "orders", [order("O1", "C1", day), order("O2", "UNKNOWN", day)], day)
    write_silver(
        s,
        "order_items",
        [item("O1", 1, "P1", day), item("O1", 2, "P2", day), item("O2", 1, "P1", day)],
        day,
    )
    rates = (("USD", 1.0), ("CAD", 0.73), ("EUR", 1.09), ("MXN", 0.058))
    write_silver(
        s, "fx_rates", [{"rate_date": day, "currency": c, "usd_per_unit": r} for c, r in rates], day
    )
    stock = {"snapshot_date": day, "country_code": "USA", "warehouse_id": "W1", "on_hand": 5,
             "on_order": 0, "reorder_point": 2, "is_low_stock": False, "is_stock_out": False,
             "ingest_date": day}  # fmt: skip
    write_silver(s, "inventory", [{**stock, "product_id": p} for p in ("P1", "P2")], day)
    write_reconciliation(s, {"orders": (2, 2, 0, 0), "order_items": (4, 3, 0, 1)}, day)


#: A valid landing text value per logical type.
_LANDING_VALUE = {
    "string": "x",
    "int": "3",
    "decimal": "9.99",
    "date": "2026-01-05",
    "timestamp": "2026-01-05T10:00:00",
    "boolean": "true",
}


def landing_rows(entity: str, n: int) -> list[dict[str, str]]:
    """``n`` valid text rows of a landing entity (keys made unique per row)."""
    rows = []
    for i in range(n):
        row = {c.name: _LANDING_VALUE[c.type] for c in schemas.LANDING[entity]}
        for c in schemas.LANDING[entity]:
            if c.name.endswith("_id") and c.type == "string":
                row[c.name] = f"{c.name[0].upper()}{i}"
        rows.append(row)
    return rows


def write_landing(
    s: Settings,
    entity: str,
    rows: list[dict[str, str]],
    day: dt.date = DAY,
    header: list[str] | None = None,
) -> Path:
    """A landing CSV with a header (the contract's unless ``header`` is given)."""
    import csv

    names = header or schemas.column_names(entity)
    folder = s.landing_dir / entity / f"dt={day.isoformat()}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{entity}.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(names)
        for row in rows:
            writer.writerow([row.get(n, "") for n in schemas.column_names(entity)])
    return path


def write_manifest(s: Settings, counts: dict[str, int], day: dt.date = DAY) -> Path:
    path = s.landing_dir / "_manifest" / f"dt={day.isoformat()}" / "manifest.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"date": day.isoformat(), "counts": counts, "defects": []}))
    return path


def write_clean_landing(s: Settings, rows: int = 4, day: dt.date = DAY) -> None:
    """Every entity with ``rows`` valid rows, and a manifest that says so."""
    for entity in schemas.ENTITIES:
        write_landing(s, entity, landing_rows(entity, rows), day)
    write_manifest(s, dict.fromkeys(schemas.ENTITIES, rows), day)


def kpi_rows(day: dt.date = DAY) -> dict[str, list[dict[str, Any]]]:
    """KPI rows consistent with write_clean_silver, worked out by hand: USA has orders O1
    (2 lines) and O2 (1 line), each line 2 units x 10.00, cost 4.00/unit, no discount."""
    return {
        "kpi_daily_sales": [
            {"sales_date": day, "country_code": "USA", "orders": 2, "units": 6,
             "gross_sales_usd": 60.0, "discount_usd": 0.0, "net_sales_usd": 60.0,
             "cogs_usd": 24.0, "profit_usd": 36.0, "avg_order_value_usd": 30.0},
        ],
        "kpi_daily_country": [
            {"sales_date": day, "country_code": "USA", "units_per_transaction": 3.0,
             "profit_margin": 0.6, "returned_units": 0, "returned_value_usd": 0.0,
             "return_rate_units": 0.0, "return_rate_value": 0.0, "peak_orders_per_minute": 1,
             "customers": 1, "new_customers": 1, "returning_customers": 0,
             "returning_customer_rate": 0.0},
        ],
        "kpi_engagement_daily": [
            {"session_date": day, "country_code": "USA", "channel": "web", "sessions": 4,
             "cart_sessions": 2, "converted_sessions": 1, "add_to_cart_rate": 0.5,
             "conversion_rate": 0.25},
        ],
        "kpi_inventory_daily": [
            {"snapshot_date": day, "country_code": "USA", "stock_positions": 2,
             "stock_out_positions": 0, "stock_out_rate": 0.0, "on_hand_units": 10},
        ],
        "kpi_shipping_daily": [
            {"order_date": day, "country_code": "USA", "shipments": 2,
             "delivered_shipments": 1, "avg_days_to_ship": 1.0, "on_time_rate": 1.0},
        ],
    }  # fmt: skip


def write_kpis(s: Settings, tables: dict[str, list[dict[str, Any]]], day: dt.date = DAY) -> None:
    """KPI Parquet in the KPI job's layout, plus its list of recomputed days."""
    for table, rows in tables.items():
        folder = s.kpi_dir / table / f"dt={day.isoformat()}"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows), folder / "part-00000.parquet")
    touched = s.kpi_dir / "_touched" / f"dt={day.isoformat()}.json"
    touched.parent.mkdir(parents=True, exist_ok=True)
    touched.write_text(json.dumps({"run_date": day.isoformat(), "days": [day.isoformat()]}))
