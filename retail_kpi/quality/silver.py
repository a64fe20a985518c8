"""Silver gate: what the clean job wrote for one landing date, entity by entity.

Referential checks need another entity's keys; rather than pass 100k ids through a GX
suite parameter (they would be copied into every result and page), the batch gets a
boolean column (``has_order``, ``has_product``...) computed here with a vectorised
``isin`` and the suite expects it to be true. The unexpected-row sample still carries
the row's keys, so the message says which rows are orphans.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pandas as pd

from retail_kpi import paths, schemas
from retail_kpi.config import Settings
from retail_kpi.quality.batch import Batch
from retail_kpi.quality.frames import (
    read_json,
    read_parquet_files,
    read_silver,
    read_silver_dates,
    touched,
)

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
    return {pd.Timestamp(d).date().isoformat() for d in frame[column].dropna().unique()}


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


def _keyed(s: Settings, day: dt.date, entity: str, suite: str, **refs: tuple[str, set]) -> Batch:
    """A batch of ``entity`` with a boolean ``has_<x>`` column per reference to check."""
    frame, where = read_silver(s, entity, day)
    for name, (column, known) in refs.items():
        frame[name] = frame[column].isin(known)
    return Batch(suite, where, frame=frame)


def _sessions_batch(s: Settings, day: dt.date) -> Batch:
    frame, where = read_silver(s, "web_sessions", day)
    frame["converted_without_cart"] = frame["converted"].fillna(False).astype(bool) & ~frame[
        "added_to_cart"
    ].fillna(False).astype(bool)
    return Batch("silver_web_sessions", where, frame=frame)


def _quarantine_batch(s: Settings, day: dt.date) -> Batch:
    base = s.quarantine_dir
    files = sorted(base.glob(f"*/dt={day.isoformat()}/*.parquet"))
    frame = read_parquet_files(files, schemas.QUARANTINE)
    return Batch("silver_quarantine", f"{base}/*/dt={day.isoformat()}", frame=frame)


def batches(s: Settings, day: dt.date) -> Iterator[Batch]:
    """The silver suites' batches; the big entities are read when the runner asks for them,
    so only the small lookups and one big frame are in memory at a time."""
    customers, _ = read_silver(s, "customers", day)
    products, _ = read_silver(s, "products", day)
    product_ids = set(products["product_id"])
    recon_path = paths.reconciliation(s, day)
    recon = reconciliation_frame(read_json(recon_path))
    orders_batch = _orders_batch(s, day, customers)
    fx, fx_where = read_silver(s, "fx_rates", day)
    shipment_dates = {d.isoformat() for d in touched(s, "shipments", day)}
    shipment_orders = set(read_silver_dates(s, "orders", shipment_dates)["order_id"])
    yield Batch("silver_customers", f"{s.silver_dir}/customers", frame=customers)
    yield Batch("silver_products", f"{s.silver_dir}/products", frame=products)
    yield Batch("silver_fx_rates", fx_where, frame=fx)
    yield orders_batch
    del customers, orders_batch
    yield _order_items_batch(s, day, products)
    yield _keyed(s, day, "shipments", "silver_shipments", has_order=("order_id", shipment_orders))
    yield _keyed(s, day, "returns", "silver_returns", has_product=("product_id", product_ids))
    yield _keyed(s, day, "inventory", "silver_inventory", has_product=("product_id", product_ids))
    yield _sessions_batch(s, day)
    yield _quarantine_batch(s, day)
    yield Batch("silver_reconciliation", str(recon_path), frame=recon)
