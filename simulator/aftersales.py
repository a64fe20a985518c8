"""Shipments and returns: events about orders of earlier days, regenerated from the seed.

* Shipments landed on day L are the carrier's report for the orders of day
  L - SHIPMENT_LAG_DAYS (7; every non-store, non-cancelled order): shipped within two days,
  delivered after the promised days +-1, or still in transit (delivered_ts empty) when
  delivery would fall after the end of L. Only the orders stream is regenerated.
* Returns landed on day L reference order lines of the RETURN_WINDOW_DAYS previous
  days. To stay cheap, day L - k contributes the lines of one hour of that day (a
  seed-fixed permutation of hours, so no line can be returned twice), each completed
  or refunded line returned with probability RETURN_PICK.
* ``opened_on`` (the store's opening date, optional): orders before it do not exist, so
  they are never shipped or returned; a new warehouse's first days then hold no
  after-sales record whose order it could never have seen.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from simulator import fmt
from simulator.catalog import product_ids
from simulator.market import CURRENCY_OF, fx_rates
from simulator.orders import Orders, Volume, day_orders_only, hour_orders, order_ids
from simulator.rand import SECONDS_PER_DAY, hash_unit, pick_weighted, rng, unix_day

SHIPMENT_LAG_DAYS = 7
CARRIERS = ("UPS", "FedEx", "DHL", "Canada Post", "La Poste", "Estafeta")
#: carrier weights per country (USA, CAN, FRA, DEU, MEX)
CARRIER_WEIGHTS = np.array(
    [
        [0.55, 0.40, 0.05, 0.0, 0.0, 0.0],
        [0.25, 0.20, 0.05, 0.50, 0.0, 0.0],
        [0.10, 0.10, 0.30, 0.0, 0.50, 0.0],
        [0.25, 0.15, 0.60, 0.0, 0.0, 0.0],
        [0.15, 0.25, 0.15, 0.0, 0.0, 0.45],
    ]
)
PROMISED_DAYS = np.array([3, 4, 3, 2, 5])  # per country
SHIPPING_USD = (4.99, 14.99)
RETURN_WINDOW_DAYS = 7
RETURN_RATE = 0.04  # share of order lines returned
RETURN_PICK = RETURN_RATE * 24 / RETURN_WINDOW_DAYS
RETURN_REASONS = ("damaged", "wrong_size", "not_as_described", "changed_mind", "late_delivery")
RETURN_REASON_WEIGHTS = [0.2, 0.3, 0.2, 0.22, 0.08]
STORE, CANCELLED = 2, 1


def _before_opening(order_day: dt.date, opened_on: dt.date | None) -> bool:
    return opened_on is not None and order_day < opened_on


def shipments(
    seed: int, vol: Volume, day: dt.date, opened_on: dt.date | None = None
) -> dict[str, fmt.Col]:
    """The shipment report landed on ``day`` (orders of ``day - SHIPMENT_LAG_DAYS``)."""
    od = day - dt.timedelta(days=SHIPMENT_LAG_DAYS)
    o = day_orders_only(seed, vol, od)
    keep = (o.channel != STORE) & (o.status != CANCELLED)
    if _before_opening(od, opened_on):
        keep = np.zeros_like(keep)
    ts, country = o.ts[keep], o.country[keep]
    n = len(ts)
    r = rng(seed, day, "shipments")
    cum = np.cumsum(CARRIER_WEIGHTS, axis=1)[country]
    carrier = np.minimum((r.random(n)[:, None] >= cum).sum(axis=1), len(CARRIERS) - 1)
    shipped = ts + r.integers(2 * 3600, 44 * 3600, n)
    promised = PROMISED_DAYS[country]
    transit = np.maximum(promised + r.integers(-1, 3, n), 1) * SECONDS_PER_DAY
    delivered = shipped + transit + r.integers(-6 * 3600, 6 * 3600, n)
    end_of_day = unix_day(day) + SECONDS_PER_DAY - 1
    fx = fx_rates(seed, od)
    rate = np.array([fx[c] for c in CURRENCY_OF])[country]
    cost = np.rint(r.uniform(*SHIPPING_USD, n) * 100 / rate).astype(np.int64)
    delivered_text = fmt.blank_where(
        fmt.timestamps(np.minimum(delivered, end_of_day)), delivered > end_of_day
    )
    return {
        "shipment_id": fmt.join(f"H{day:%Y%m%d}", fmt.zero_padded(np.arange(n), 8)),
        "order_id": order_ids(o).filter(fmt.arrow(keep)),
        "carrier": fmt.take(CARRIERS, carrier),
        "promised_days": fmt.ints(promised),
        "shipped_ts": fmt.timestamps(shipped),
        "delivered_ts": delivered_text,
        "shipping_cost": fmt.fixed2(cost),
    }


def _return_hour(seed: int, order_day: dt.date, k: int) -> int:
    """The hour of ``order_day`` whose lines may be returned on ``order_day + k``."""
    return int(
        np.argsort(hash_unit(seed, "return_hours", order_day.toordinal(), np.arange(24)))[k - 1]
    )


def returns(
    seed: int, vol: Volume, day: dt.date, opened_on: dt.date | None = None
) -> dict[str, fmt.Col]:
    """Returns landed on ``day`` for lines ordered in the previous RETURN_WINDOW_DAYS days."""
    parts: list[dict[str, np.ndarray | fmt.Col]] = []
    for k in range(1, RETURN_WINDOW_DAYS + 1):
        od = day - dt.timedelta(days=k)
        hour = _return_hour(seed, od, k)
        o: Orders = hour_orders(seed, vol, od, hour)
        r = rng(seed, od, "returns", hour)
        eligible = o.status[o.line_order] != CANCELLED
        pick = eligible & (r.random(len(o.line_order)) < RETURN_PICK)
        if _before_opening(od, opened_on):  # same draws, nothing picked
            pick[:] = False
        rows = np.flatnonzero(pick)
        qty = 1 + (r.random(len(rows)) * o.quantity[rows]).astype(np.int64)
        net = o.unit_cents[rows] * (100 - o.discount[rows]) / 100
        parts.append(
            {
                "order_id": fmt.take(order_ids(o), o.line_order[rows]),
                "line_number": o.line_number[rows],
                "product": o.product[rows],
                "quantity": qty,
                "refund": np.rint(qty * net).astype(np.int64),
                "reason": pick_weighted(r.random(len(rows)), RETURN_REASON_WEIGHTS),
            }
        )
    r = rng(seed, day, "returns")
    n = sum(len(p["quantity"]) for p in parts)
    ts = np.sort(unix_day(day) + r.integers(0, SECONDS_PER_DAY, n))
    cat = {
        k: np.concatenate([p[k] for p in parts])
        for k in ("line_number", "product", "quantity", "refund", "reason")
    }
    return {
        "return_id": fmt.join(f"R{day:%Y%m%d}", fmt.zero_padded(np.arange(n), 8)),
        "order_id": pa.concat_arrays([p["order_id"] for p in parts]),
        "line_number": fmt.ints(cat["line_number"]),
        "product_id": fmt.take(product_ids(vol.products), cat["product"]),
        "return_ts": fmt.timestamps(ts),
        "quantity": fmt.ints(cat["quantity"]),
        "reason": fmt.take(RETURN_REASONS, cat["reason"]),
        "refund_amount": fmt.fixed2(cat["refund"]),
    }
