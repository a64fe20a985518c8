"""Orders and order lines, drawn one UTC hour ("chunk") at a time.

Each hour has its own RNG streams (orders, items), so the 10-minute interval mode and
the returns of later days can regenerate exactly the hours they need. Late-arriving
orders of business date D are a separate small stream (keyed by D) that never appears
in D's files: each late order lands on D + k with its own delay k.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from retail_kpi.schemas import CHANNELS, ORDER_STATUSES
from simulator import fmt
from simulator.catalog import catalog, prices, product_ids
from simulator.market import (
    COUNTRY_CODES,
    CURRENCY_OF,
    N_COUNTRIES,
    fx_rates,
    hourly_rates,
)
from simulator.population import pick_customers
from simulator.rand import pick_weighted, rng, unix_day

CHANNEL_WEIGHTS = [0.45, 0.35, 0.20]
STATUS_WEIGHTS = [0.90, 0.05, 0.05]
PAYMENT_METHODS = ("credit_card", "debit_card", "paypal", "apple_pay", "gift_card", "cash")
ONLINE_PAYMENT_WEIGHTS = [0.45, 0.2, 0.2, 0.12, 0.03, 0.0]
STORE_PAYMENT_WEIGHTS = [0.35, 0.35, 0.0, 0.1, 0.05, 0.15]
MEAN_EXTRA_LINES, MAX_LINES = 1.5, 8
ZERO_DISCOUNT_SHARE, MAX_DISCOUNT_HUNDREDTHS = 0.45, 30  # discount_pct in [0, 0.30)
QTY_P, QTY_MAX = 0.55, 12
#: order numbers: hour * HOUR_BLOCK + seq; late orders use LATE_BLOCK + seq.
HOUR_BLOCK, LATE_BLOCK = 1_000_000, 90_000_000
MAX_LATE_DAYS = 3


@dataclass
class Orders:
    """Orders of one business date (numeric), with their lines."""

    day: dt.date
    number: np.ndarray  # order number within the day (see HOUR_BLOCK)
    ts: np.ndarray  # unix seconds
    country: np.ndarray
    customer: np.ndarray  # customer number (0-based)
    channel: np.ndarray
    payment: np.ndarray
    status: np.ndarray
    delay: np.ndarray  # landing delay in days (0 = on time)
    # lines
    line_order: np.ndarray  # row of the line's order in this batch
    line_number: np.ndarray
    product: np.ndarray
    quantity: np.ndarray
    unit_cents: np.ndarray  # local currency
    discount: np.ndarray  # hundredths


ORDER_FIELDS = ("number", "ts", "country", "customer", "channel", "payment", "status", "delay")
LINE_FIELDS = ("line_order", "line_number", "product", "quantity", "unit_cents", "discount")


@dataclass(frozen=True)
class Volume:
    """Generator volume: average orders per day, population sizes."""

    orders: int
    customers: int
    products: int


def _draw(
    seed: int,
    vol: Volume,
    day: dt.date,
    counts: np.ndarray,
    hours: np.ndarray,
    r: np.random.Generator,
    ri: np.random.Generator | None,
    first_number: int,
) -> Orders:
    """Orders for ``counts[c, j]`` orders of country c in hour ``hours[j]``, sorted by time."""
    country = np.repeat(np.repeat(np.arange(N_COUNTRIES), len(hours)), counts.ravel())
    hour = np.repeat(np.tile(hours, N_COUNTRIES), counts.ravel())
    n = len(country)
    ts = unix_day(day) + hour * 3600 + r.integers(0, 3600, n)
    order = np.argsort(ts, kind="stable")
    ts, country = ts[order], country[order]
    channel = pick_weighted(r.random(n), CHANNEL_WEIGHTS)
    u = r.random(n)
    payment = np.where(
        channel == 2,
        pick_weighted(u, STORE_PAYMENT_WEIGHTS),
        pick_weighted(u, ONLINE_PAYMENT_WEIGHTS),
    )
    batch = Orders(
        day=day,
        number=first_number + np.arange(n),
        ts=ts,
        country=country,
        customer=pick_customers(r, seed, vol.customers, day, country),
        channel=channel,
        payment=payment,
        status=pick_weighted(r.random(n), STATUS_WEIGHTS),
        delay=np.zeros(n, dtype=np.int64),
        **{f: np.zeros(0, dtype=np.int64) for f in LINE_FIELDS},
    )
    if ri is not None:
        _draw_lines(seed, vol, batch, ri)
    return batch


def _draw_lines(seed: int, vol: Volume, b: Orders, r: np.random.Generator) -> None:
    n = len(b.ts)
    n_lines = 1 + np.minimum(r.poisson(MEAN_EXTRA_LINES, n), MAX_LINES - 1)
    total = int(n_lines.sum())
    starts = np.cumsum(n_lines) - n_lines
    b.line_order = np.repeat(np.arange(n), n_lines)
    b.line_number = np.arange(total) - np.repeat(starts, n_lines) + 1
    table = catalog(seed, vol.products).popularity_table
    b.product = table[(r.random(total) * len(table)).astype(np.int64)]
    b.quantity = np.minimum(r.geometric(QTY_P, total), QTY_MAX)
    list_cents, _ = prices(seed, vol.products, b.day)
    fx = fx_rates(seed, b.day)
    per_country = np.array([fx[cur] for cur in CURRENCY_OF])
    rate = per_country[b.country[b.line_order]]
    b.unit_cents = np.rint(list_cents[b.product] / rate).astype(np.int64)
    b.discount = np.where(
        r.random(total) < ZERO_DISCOUNT_SHARE, 0, r.integers(1, MAX_DISCOUNT_HUNDREDTHS, total)
    )


def hour_orders(seed: int, vol: Volume, day: dt.date, hour: int, lines: bool = True) -> Orders:
    """All on-time orders (and lines) placed in UTC ``hour`` of ``day``."""
    r = rng(seed, day, "orders", hour)
    counts = r.poisson(hourly_rates(day, vol.orders)[:, hour : hour + 1])
    ri = rng(seed, day, "items", hour) if lines else None
    return _draw(seed, vol, day, counts, np.array([hour]), r, ri, hour * HOUR_BLOCK)


def late_orders(seed: int, vol: Volume, day: dt.date, rate: float) -> Orders:
    """Orders of ``day`` that land late (delay 1..MAX_LATE_DAYS), about ``rate`` of the day."""
    r = rng(seed, day, "late")
    counts = r.poisson(hourly_rates(day, vol.orders) * rate) if rate > 0 else np.zeros((5, 24))
    b = _draw(seed, vol, day, counts.astype(np.int64), np.arange(24), r, r, LATE_BLOCK)
    b.delay = r.integers(1, MAX_LATE_DAYS + 1, len(b.ts))
    return b


def select(b: Orders, keep: np.ndarray) -> Orders:
    """The orders where ``keep`` is true, with their lines."""
    rows = np.flatnonzero(keep)
    new_row = np.full(len(b.ts), -1)
    new_row[rows] = np.arange(len(rows))
    line_keep = keep[b.line_order] if len(b.line_order) else np.zeros(0, dtype=bool)
    out = {f: getattr(b, f)[rows] for f in ORDER_FIELDS}
    out |= {f: getattr(b, f)[line_keep] for f in LINE_FIELDS}
    out["line_order"] = new_row[b.line_order[line_keep]]
    return Orders(day=b.day, **out)


def concat(batches: list[Orders], day: dt.date) -> Orders:
    """One batch from several (line_order re-based); ``day`` labels the result only."""
    offsets = np.cumsum([0] + [len(b.ts) for b in batches])
    out: dict[str, np.ndarray] = {}
    for f in ORDER_FIELDS + LINE_FIELDS:
        parts = [getattr(b, f) for b in batches]
        if f == "line_order":
            parts = [p + off for p, off in zip(parts, offsets, strict=False)]
        out[f] = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    return Orders(day=day, **out)


def day_orders(seed: int, vol: Volume, day: dt.date) -> Orders:
    """The on-time orders of a whole day (24 hourly chunks)."""
    return concat([hour_orders(seed, vol, day, h) for h in range(24)], day)


def day_orders_only(seed: int, vol: Volume, day: dt.date) -> Orders:
    """The on-time orders of a day without their lines (cheap: shipments need no lines)."""
    return concat([hour_orders(seed, vol, day, h, lines=False) for h in range(24)], day)


def order_ids(b: Orders) -> fmt.Col:
    """``O`` + business date of each order + 8-digit order number."""
    prefix = fmt.dates(b.ts // 86_400, "O%Y%m%d")  # business date from the timestamp
    return fmt.join(prefix, fmt.zero_padded(b.number, 8))


def render_orders(b: Orders) -> dict[str, fmt.Col]:
    ids = order_ids(b)
    return {
        "order_id": ids,
        "customer_id": fmt.padded("C", b.customer + 1, 7),
        "order_ts": fmt.timestamps(b.ts),
        "country": fmt.take(COUNTRY_CODES, b.country),
        "currency": fmt.take(CURRENCY_OF, b.country),
        "channel": fmt.take(CHANNELS, b.channel),
        "payment_method": fmt.take(PAYMENT_METHODS, b.payment),
        "status": fmt.take(ORDER_STATUSES, b.status),
    }


def render_items(b: Orders, n_products: int, order_id: fmt.Col) -> dict[str, fmt.Col]:
    return {
        "order_id": fmt.take(order_id, b.line_order),
        "line_number": fmt.ints(b.line_number),
        "product_id": fmt.take(product_ids(n_products), b.product),
        "quantity": fmt.ints(b.quantity),
        "unit_price": fmt.fixed2(b.unit_cents),
        "discount_pct": fmt.fixed2(b.discount),
    }
