"""Web/app sessions (engagement) and daily inventory snapshots.

France and Canada engage more (more pages, more add-to-cart); Mexico converts less and
runs low on stock. Sessions are drawn per UTC hour like orders (interval mode); stock
follows a per-(warehouse, product) replenishment saw-tooth that is closed-form in the
date, so any day's snapshot is computed on its own.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from simulator import fmt
from simulator.catalog import catalog, product_ids
from simulator.market import (
    COUNTRY_CODES,
    COUNTRY_SHARE,
    N_COUNTRIES,
    SESSIONS_PER_ORDER,
    hourly_rates,
)
from simulator.population import pick_customers
from simulator.rand import day_index, hash_int, hash_unit, rng, unix_day

#: Per country (USA, CAN, FRA, DEU, MEX): mean pages, add-to-cart and conversion rates.
PAGES_MEAN = np.array([4.6, 6.6, 6.9, 4.9, 3.9])
CART_RATE = np.array([0.22, 0.33, 0.35, 0.23, 0.17])
CONVERT_GIVEN_CART = np.array([0.38, 0.41, 0.42, 0.38, 0.27])
LOGGED_IN_SHARE = 0.55
SESSION_CHANNELS = ("web", "mobile")
SECONDS_PER_PAGE = 40.0
#: Stock: days of cover at the top of a replenishment cycle, per country; Mexico is short.
COVER_DAYS = np.array([30.0, 28.0, 28.0, 30.0, 9.0])
REORDER_DAYS = np.array([10.0, 10.0, 10.0, 10.0, 7.0])
CYCLE_DAYS = (10, 28)
HOUR_BLOCK = 1_000_000


def hour_sessions(
    seed: int, orders: int, n_customers: int, day: dt.date, hour: int
) -> dict[str, np.ndarray]:
    """Sessions started in UTC ``hour`` of ``day`` (numeric)."""
    r = rng(seed, day, "sessions", hour)
    lam = hourly_rates(day, orders)[:, hour] * SESSIONS_PER_ORDER
    counts = r.poisson(lam)
    country = np.repeat(np.arange(N_COUNTRIES), counts)
    n = len(country)
    ts = unix_day(day) + hour * 3600 + r.integers(0, 3600, n)
    order = np.argsort(ts, kind="stable")
    ts, country = ts[order], country[order]
    pages = 1 + r.poisson(PAGES_MEAN[country] - 1)
    cart = r.random(n) < CART_RATE[country]
    converted = cart & (r.random(n) < CONVERT_GIVEN_CART[country])
    customer = pick_customers(r, seed, n_customers, day, country)
    logged_in = r.random(n) < LOGGED_IN_SHARE
    return {
        "number": hour * HOUR_BLOCK + np.arange(n),
        "ts": ts,
        "country": country,
        "customer": np.where(logged_in, customer, -1),
        "channel": (r.random(n) < 0.45).astype(np.int64),
        "duration": np.rint(pages * r.gamma(2.0, SECONDS_PER_PAGE / 2, n)).astype(np.int64) + 5,
        "pages": pages,
        "cart": cart,
        "converted": converted,
    }


def render_sessions(s: dict[str, np.ndarray], day: dt.date) -> dict[str, fmt.Col]:
    ids = fmt.join(f"W{day:%Y%m%d}", fmt.zero_padded(s["number"], 8))
    customer = fmt.blank_where(fmt.padded("C", s["customer"] + 1, 7), s["customer"] < 0)
    return {
        "session_id": ids,
        "customer_id": customer,
        "country": fmt.take(COUNTRY_CODES, s["country"]),
        "channel": fmt.take(SESSION_CHANNELS, s["channel"]),
        "session_start_ts": fmt.timestamps(s["ts"]),
        "duration_s": fmt.ints(s["duration"]),
        "pages_viewed": fmt.ints(s["pages"]),
        "added_to_cart": fmt.take(("false", "true"), s["cart"].astype(np.int64)),
        "converted": fmt.take(("false", "true"), s["converted"].astype(np.int64)),
    }


def inventory(seed: int, orders: int, n_products: int, day: dt.date) -> dict[str, fmt.Col]:
    """One row per country warehouse x product: on hand, on order, reorder point."""
    cat = catalog(seed, n_products)
    weight = np.diff(np.concatenate([[0.0], cat.popularity_cdf]))
    country = np.repeat(np.arange(N_COUNTRIES), n_products)
    product = np.tile(np.arange(n_products), N_COUNTRIES)
    share = COUNTRY_SHARE[country]
    daily_units = np.maximum(orders * 2.5 * 1.8 * share * weight[product], 0.2)
    key = country * 1_000_003 + product
    lo, hi = CYCLE_DAYS
    cycle = lo + hash_int(seed, "stock_cycle", hi - lo, key)
    phase = hash_int(seed, "stock_phase", 1 << 20, key)
    pos = ((day_index(day) + phase) % cycle) / cycle  # 0 = just replenished
    top = daily_units * COVER_DAYS[country]
    noise = 0.9 + 0.2 * hash_unit(seed, "stock_noise", key, day_index(day))
    on_hand = np.maximum(np.rint(top * (1 - pos) * noise - daily_units), 0).astype(np.int64)
    reorder = np.ceil(daily_units * REORDER_DAYS[country]).astype(np.int64)
    on_order = np.where(on_hand <= reorder, np.ceil(top).astype(np.int64), 0)
    warehouses = [f"WH-{c}-01" for c in COUNTRY_CODES]
    n = len(country)
    return {
        "snapshot_date": fmt.const(day.isoformat(), n),
        "country": fmt.take(COUNTRY_CODES, country),
        "warehouse_id": fmt.take(warehouses, country),
        "product_id": fmt.take(product_ids(n_products), product),
        "on_hand": fmt.ints(on_hand),
        "on_order": fmt.ints(on_order),
        "reorder_point": fmt.ints(reorder),
    }
