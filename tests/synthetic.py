"""Synthetic silver data at any volume, for the benchmarks (load, KPIs, silver gate) and the
loader's tests (the crash test, the key helpers).

Test material, not the pipeline's: it lives with the tests and bench/ imports it from here.
Vectorised (NumPy/Arrow, no per-row Python) so a million order lines take about a
second to make. Values follow the SILVER contract and its arithmetic (amounts in
integer cents, rounded half-up), but carry no business meaning. Files are written (cast to
the contract's types, in the clean job's layout) by tests/silver_rows.py.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from retail_kpi.schemas import COUNTRIES
from tests import silver_rows

_FX_E8 = {"USD": 100_000_000, "CAD": 73_000_000, "EUR": 108_000_000, "MXN": 5_800_000}
_DISCOUNT_BP = np.array([0, 300, 700, 1200])
_BANDS = np.array(["None", "Low", "Medium", "High"])
LINES_PER_ORDER = 3


def money(cents: np.ndarray, scale: int = 2) -> pa.Array:
    """Exact decimal128(18, scale) from integer units of 10^-scale."""
    cents = np.asarray(cents, dtype=np.int64)
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0], words[:, 1] = cents, np.where(cents < 0, -1, 0)
    return pa.Array.from_buffers(pa.decimal128(18, scale), len(cents), [None, pa.py_buffer(words)])


def ids(prefix: str, numbers: np.ndarray) -> pa.Array:
    text = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), 8, "0")
    return pc.binary_join_element_wise(pa.scalar(prefix), text, "")


def _half_up(numerator: np.ndarray, denominator: int) -> np.ndarray:
    return (numerator + denominator // 2) // denominator


def _write(lake: Path, entity: str, day: dt.date, table: pa.Table) -> None:
    silver_rows.write_table(lake / "silver", entity, day, day, table)


def _dims(lake: Path, day: dt.date, customers: int, products: int, rng: np.random.Generator):
    at = pa.array(
        np.full(customers, np.datetime64(f"{day}T00:00:00", "us")), pa.timestamp("us", "UTC")
    )
    codes = np.array(list(COUNTRIES))
    cust = pa.table(
        {
            "customer_id": ids("C", np.arange(customers)),
            "first_name": pa.array(np.full(customers, "Ann")),
            "last_name": pa.array(np.full(customers, "Lee")),
            "email": pa.nulls(customers, pa.string()),
            "is_email_valid": pa.array(np.zeros(customers, bool)),
            "age": pa.array(rng.integers(18, 90, customers).astype(np.int32)),
            "is_age_imputed": pa.array(np.zeros(customers, bool)),
            "age_group": pa.array(np.full(customers, "35-44")),
            "gender": pa.array(np.full(customers, "F")),
            "segment": pa.array(np.full(customers, "Consumer")),
            "country_code": pa.array(codes[rng.integers(0, len(codes), customers)]),
            "city": pa.array(np.full(customers, "Springfield")),
            "address": pa.array(np.full(customers, "1 Main St")),
            "registration_date": pa.array(np.full(customers, dt.date(2020, 1, 1)), pa.date32()),
            "updated_at": at,
        }
    )
    price = rng.integers(500, 20_000, products)
    prod = pa.table(
        {
            "product_id": ids("P", np.arange(products)),
            "product_name": ids("Product ", np.arange(products)),
            "category": pa.array(np.array(["Toys", "Books", "Garden"])[np.arange(products) % 3]),
            "subcategory": pa.nulls(products, pa.string()),
            "brand": pa.array(np.full(products, "Acme")),
            "manufacturing_price_usd": money(price * 6 // 10),
            "list_price_usd": money(price),
            "updated_at": at[:products],
        }
    )
    _write(lake, "customers", day, cust)
    _write(lake, "products", day, prod)
    return price


def write_day(lake: Path, day: dt.date, lines: int, *, customers: int = 50_000, products: int = 500,
              seed: int = 7) -> int:  # fmt: skip
    """Write customers, products, orders and ``lines`` order lines of one day; returns lines."""
    rng = np.random.default_rng(seed)
    price = _dims(lake, day, customers, products, rng)
    n_orders = -(-lines // LINES_PER_ORDER)
    order_no = np.arange(lines) // LINES_PER_ORDER
    codes = np.array(list(COUNTRIES))
    o_country = codes[rng.integers(0, len(codes), n_orders)]
    o_currency = np.vectorize(COUNTRIES.get)(o_country)
    fx = np.vectorize(_FX_E8.get)(o_currency).astype(np.int64)
    start = np.datetime64(f"{day}T00:00:00", "us")
    o_ts = start + rng.integers(0, 86_400_000_000, n_orders).astype("timedelta64[us]")
    ts_type = pa.timestamp("us", "UTC")
    order_ids = ids(f"O{day:%Y%m%d}-", np.arange(n_orders))
    days = pa.array(np.full(n_orders, day), pa.date32())
    orders = pa.table(
        {
            "order_id": order_ids,
            "customer_id": ids("C", rng.integers(0, customers, n_orders)),
            "order_ts": pa.array(o_ts, ts_type),
            "order_date": days,
            "country_code": pa.array(o_country),
            "currency": pa.array(o_currency),
            "channel": pa.array(np.array(["web", "mobile", "store"])[rng.integers(0, 3, n_orders)]),
            "payment_method": pa.array(np.full(n_orders, "card")),
            "status": pa.array(np.where(rng.random(n_orders) < 0.05, "cancelled", "completed")),
            "fx_usd_per_unit": money(fx, 8),
            "total_items": pa.array(np.zeros(n_orders, np.int32)),
            "total_amount_local": money(np.zeros(n_orders, np.int64)),
            "total_amount_usd": money(np.zeros(n_orders, np.int64)),
            "is_late": pa.array(np.zeros(n_orders, bool)),
            "ingest_date": days,
        }
    )
    product = rng.integers(0, len(price), lines)
    qty = rng.integers(1, 6, lines)
    line_fx = fx[order_no]
    unit = _half_up(price[product] * 100_000_000, line_fx)
    gross = qty * unit
    band = rng.integers(0, len(_DISCOUNT_BP), lines)
    discount = _half_up(gross * _DISCOUNT_BP[band], 10_000)
    net = gross - discount
    gross_usd, discount_usd = _half_up(gross * line_fx, 10**8), _half_up(discount * line_fx, 10**8)
    net_usd = _half_up(net * line_fx, 10**8)
    cogs = qty * (price[product] * 6 // 10)
    line_days = pa.array(np.full(lines, day), pa.date32())
    items = pa.table(
        {
            "order_id": order_ids.take(pa.array(order_no)),
            "line_number": pa.array((np.arange(lines) % LINES_PER_ORDER + 1).astype(np.int32)),
            "product_id": ids("P", product),
            "order_date": line_days,
            "order_ts": pa.array(o_ts[order_no], ts_type),
            "country_code": pa.array(o_country[order_no]),
            "currency": pa.array(o_currency[order_no]),
            "quantity": pa.array(qty.astype(np.int32)),
            "unit_price_local": money(unit),
            "discount_pct": money(_DISCOUNT_BP[band], 4),
            "discount_band": pa.array(_BANDS[band]),
            "gross_amount_local": money(gross),
            "discount_amount_local": money(discount),
            "net_amount_local": money(net),
            "gross_amount_usd": money(gross_usd),
            "discount_amount_usd": money(discount_usd),
            "net_amount_usd": money(net_usd),
            "cogs_usd": money(cogs),
            "profit_usd": money(net_usd - cogs),
            "ingest_date": line_days,
        }
    )
    per_order = np.bincount(order_no, weights=qty, minlength=n_orders).astype(np.int32)
    orders = orders.set_column(
        orders.schema.get_field_index("total_items"), "total_items", pa.array(per_order)
    )  # the KPIs count an order's customer only when it has a sales line
    _write(lake, "orders", day, orders)
    _write(lake, "order_items", day, items)
    return lines
