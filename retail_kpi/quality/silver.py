"""Silver gate: what the clean job wrote for one landing date, entity by entity.

Referential checks need another entity's keys; rather than pass 100k ids through a GX
suite parameter (they would be copied into every result and page), the batch gets a
boolean column (``has_order``, ``has_product``...) computed here with a vectorised
``isin`` and the suite expects it to be true. The unexpected-row sample still carries
the row's keys, so the message says which rows are orphans.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from retail_kpi.config import Settings
from retail_kpi.quality.batch import Batch
from retail_kpi.quality.frames import read_json, read_silver, read_silver_dates

UNKNOWN_CUSTOMER = "UNKNOWN"
RECONCILIATION_COLUMNS = (
    "entity",
    "rows_in",
    "rows_bronze",
    "rows_clean",
    "rows_quarantined",
    "rows_deduplicated",
)


def _dates(frame: pd.DataFrame, column: str) -> set[str]:
    return {d.isoformat() for d in frame[column].dropna().unique()}


def _orders_batch(s: Settings, day: dt.date, customers: pd.DataFrame) -> Batch:
    orders, where = read_silver(s, "orders", day)
    known = set(customers["customer_id"]) | {UNKNOWN_CUSTOMER}
    orders["has_customer"] = orders["customer_id"].isin(known)
    return Batch("silver_orders", where, frame=orders)


def _order_items_batch(s: Settings, day: dt.date, products: pd.DataFrame) -> Batch:
    items, where = read_silver(s, "order_items", day)
    # Orders of every business date these lines belong to (late lines included).
    orders = read_silver_dates(s, "orders", _dates(items, "order_date"))
    items["has_order"] = items["order_id"].isin(set(orders["order_id"]))
    items["has_product"] = items["product_id"].isin(set(products["product_id"]))
    # Line amounts must add up: gross - discount = net (cents tolerance, see the suite).
    items["net_amount_gap"] = (
        items["gross_amount_local"] - items["discount_amount_local"] - items["net_amount_local"]
    ).abs()
    return Batch("silver_order_items", where, frame=items)


def reconciliation_frame(doc: dict | None) -> pd.DataFrame:
    """One row per entity of the clean job's reconciliation report (empty when absent)."""
    rows = [] if doc is None else list((doc.get("entities") or {}).values())
    frame = pd.DataFrame(rows, columns=list(RECONCILIATION_COLUMNS))
    for col in RECONCILIATION_COLUMNS[1:]:
        frame[col] = pd.to_numeric(frame[col]).astype("Int64")
    frame["rows_unaccounted"] = (
        frame["rows_in"]
        - frame["rows_clean"]
        - frame["rows_quarantined"]
        - frame["rows_deduplicated"]
    )
    frame["bronze_gap"] = frame["rows_in"] - frame["rows_bronze"]
    frame["quarantine_rate"] = (
        frame["rows_quarantined"].astype("float64") / frame["rows_in"].astype("float64")
    ).fillna(0.0)
    return frame


def reconciliation_path(s: Settings, day: dt.date) -> Path:
    """Written by the clean job: ``lake/_audit/clean/dt=<date>/reconciliation.json``."""
    return s.lake_dir / "_audit" / "clean" / f"dt={day.isoformat()}" / "reconciliation.json"


def batches(s: Settings, day: dt.date) -> list[Batch]:
    customers, _ = read_silver(s, "customers", day)
    products, _ = read_silver(s, "products", day)
    recon_path = reconciliation_path(s, day)
    recon = reconciliation_frame(read_json(recon_path))
    return [
        _orders_batch(s, day, customers),
        _order_items_batch(s, day, products),
        Batch("silver_reconciliation", str(recon_path), frame=recon),
    ]
