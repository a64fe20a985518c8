"""The product catalogue: fixed per seed, list prices change now and then.

Manufacturing and list prices are in USD (cents internally). A product's list price
changes on its own period; the snapshot of a date carries the price in force that day,
and order lines use exactly that price, converted with the day's FX rate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from simulator import fmt
from simulator.rand import EPOCH, SECONDS_PER_DAY, day_index, hash_unit, rng, unix_day

#: category -> subcategories. "Bikes" keeps the seed 000 product names alive.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "Bikes": ("Road", "Mountain", "Urban"),
    "Electronics": ("Phones", "Audio", "Accessories"),
    "Home": ("Kitchen", "Furniture", "Decor"),
    "Apparel": ("Men", "Women", "Kids"),
    "Sports": ("Outdoor", "Fitness"),
}
MODELS = ("Carretera", "Montana", "Paseo", "Velo", "VTT", "Amarilla", "Nova", "Orbit", "Terra")
BRANDS = ("Acme", "Northwind", "Contoso", "Fabrikam", "Tailspin", "Wingtip", "Litware")
PRICE_PERIOD_DAYS = (60, 400)
PRICE_STEP = 0.12  # a price change moves the list price by up to +-12 %
ZIPF_EXPONENT = 0.9
POPULARITY_SLOTS = 1 << 16  # product picks are one table lookup (weights quantised to 2^-16)


@dataclass(frozen=True)
class Catalog:
    subcat: np.ndarray  # index into SUBCATS
    brand: np.ndarray
    model: np.ndarray
    mfg_cents: np.ndarray
    base_list_cents: np.ndarray
    period: np.ndarray
    phase: np.ndarray
    created_second: np.ndarray  # unix second the product entered the catalogue
    popularity_cdf: np.ndarray  # cumulative sales weight
    popularity_table: np.ndarray  # product of each of POPULARITY_SLOTS equal slices of [0, 1)


SUBCATS: tuple[tuple[str, str], ...] = tuple(
    (cat, sub) for cat, subs in CATEGORIES.items() for sub in subs
)


@lru_cache(maxsize=4)
def catalog(seed: int, n: int) -> Catalog:
    """Draw the catalogue once per (seed, size)."""
    r = rng(seed, None, "products")
    mfg = np.rint(np.exp(r.normal(3.4, 0.9, n)) * 100).clip(150, 250_000).astype(np.int64)
    markup = r.uniform(1.25, 2.6, n)
    weights = 1.0 / (np.arange(n) + 5.0) ** ZIPF_EXPONENT
    weights = weights[r.permutation(n)]
    lo, hi = PRICE_PERIOD_DAYS
    period = r.integers(lo, hi, n)
    cdf = np.cumsum(weights) / weights.sum()
    return Catalog(
        subcat=r.integers(0, len(SUBCATS), n),
        brand=r.integers(0, len(BRANDS), n),
        model=r.integers(0, len(MODELS), n),
        mfg_cents=mfg,
        base_list_cents=np.rint(mfg * markup).astype(np.int64),
        period=period,
        phase=r.integers(0, hi, n),
        created_second=unix_day(EPOCH) + r.integers(0, 30 * SECONDS_PER_DAY, n),
        popularity_cdf=cdf,
        popularity_table=np.minimum(
            np.searchsorted(cdf, (np.arange(POPULARITY_SLOTS) + 0.5) / POPULARITY_SLOTS), n - 1
        ),
    )


@lru_cache(maxsize=16)  # called once per hour chunk; callers never mutate
def prices(seed: int, n: int, day: dt.date) -> tuple[np.ndarray, np.ndarray]:
    """(list price in USD cents, unix second of the last price change) as of ``day``."""
    cat = catalog(seed, n)
    t = day_index(day)
    changes = np.maximum((t - cat.phase) // cat.period + 1, 0)
    factor = 1 + PRICE_STEP * (2 * hash_unit(seed, "price", np.arange(n), changes) - 1)
    price = np.where(changes > 0, np.rint(cat.base_list_cents * factor), cat.base_list_cents)
    last_day = cat.phase + (changes - 1) * cat.period
    last_ts = unix_day(EPOCH) + last_day * SECONDS_PER_DAY + 6 * 3600
    updated = np.where(changes > 0, np.maximum(last_ts, cat.created_second), cat.created_second)
    return price.astype(np.int64), updated


def product_ids(n: int) -> fmt.Col:
    return fmt.padded("P", np.arange(1, n + 1), 5)


def products_snapshot(seed: int, n: int, day: dt.date) -> dict[str, fmt.Col]:
    """The catalogue as of ``day`` (every product; list price in force that day)."""
    cat = catalog(seed, n)
    price, updated = prices(seed, n, day)
    sub = np.array([s for _, s in SUBCATS])
    name = fmt.join(
        fmt.take(BRANDS, cat.brand),
        fmt.take(MODELS, cat.model),
        fmt.take(list(sub), cat.subcat),
        fmt.ints(np.arange(1, n + 1)),
        sep=" ",
    )
    return {
        "product_id": product_ids(n),
        "product_name": name,
        "category": fmt.take([c for c, _ in SUBCATS], cat.subcat),
        "subcategory": fmt.take(list(sub), cat.subcat),
        "brand": fmt.take(BRANDS, cat.brand),
        "manufacturing_price_usd": fmt.fixed2(cat.mfg_cents),
        "list_price_usd": fmt.fixed2(price),
        "updated_at": fmt.timestamps(updated),
    }
