"""Customers and products: a fixed population per seed, observed as a snapshot per date.

The population (who exists, when they registered, their country) is drawn once per
(seed, size). How attributes change over time is closed-form: each customer has three
periodic change processes (move, segment change, email change) with her own period and
phase, so the snapshot of any date is computed directly, consecutive dates show SCD2
history, and no date depends on the files of another.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa

from retail_kpi.schemas import SEGMENTS
from simulator import fmt
from simulator.market import COUNTRY_CODES, COUNTRY_SHARE, N_COUNTRIES
from simulator.rand import (
    EPOCH,
    SECONDS_PER_DAY,
    day_index,
    hash_int,
    hash_unit,
    pick_weighted,
    rng,
    unix_day,
)

LOCALES = ("en_US", "en_CA", "fr_FR", "de_DE", "es_MX")  # aligned with COUNTRY_CODES
POOL_NAMES, POOL_CITIES, POOL_STREETS = 120, 30, 60
LEGACY_SHARE = 0.6  # customers registered before GROWTH_START
GROWTH_START, GROWTH_END = dt.date(2023, 1, 1), dt.date(2027, 1, 1)
SEGMENT_WEIGHTS = [0.45, 0.2, 0.12, 0.08, 0.08, 0.07]
EMAIL_DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "proton.me", "mail.com", "icloud.com")
CHANGE_KINDS = ("move", "segment", "email")
CHANGE_PERIOD_DAYS = (365, 1460)  # each process changes every 1-4 years


def ascii_lower(text: str) -> str:
    """Name -> email-safe lowercase ASCII (``Müller`` -> ``muller``)."""
    norm = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in norm.lower() if ch.isalnum())


@dataclass(frozen=True)
class Pools:
    """Flattened per-country pools: values of country c live at offset[c]:offset[c]+size."""

    first: pa.Array
    last: pa.Array
    first_ascii: pa.Array
    last_ascii: pa.Array
    cities: pa.Array
    streets: pa.Array
    name_size: np.ndarray
    city_size: np.ndarray
    street_size: np.ndarray


def _unique(gen, n: int) -> list[str]:
    out: dict[str, None] = {}
    for _ in range(n * 20):
        value = gen().replace(",", " ").replace('"', "").strip()
        if value:
            out[value] = None
        if len(out) == n:
            break
    return list(out)


@lru_cache(maxsize=4)
def pools(seed: int) -> Pools:
    """Faker-built name/city/street pools, once per seed (bulk rows only index into them)."""
    from faker import Faker

    first: list[str] = []
    last: list[str] = []
    cities: list[str] = []
    streets: list[str] = []
    sizes: dict[str, list[int]] = {"n": [], "c": [], "s": []}
    for k, locale in enumerate(LOCALES):
        fake = Faker(locale)
        fake.seed_instance(seed * 31 + k)
        f, la = _unique(fake.first_name, POOL_NAMES), _unique(fake.last_name, POOL_NAMES)
        n = min(len(f), len(la))
        first += f[:n]
        last += la[:n]
        c, s = _unique(fake.city, POOL_CITIES), _unique(fake.street_name, POOL_STREETS)
        cities += c
        streets += s
        sizes["n"].append(n)
        sizes["c"].append(len(c))
        sizes["s"].append(len(s))
    return Pools(
        first=pa.array(first),
        last=pa.array(last),
        first_ascii=pa.array([ascii_lower(x) for x in first]),
        last_ascii=pa.array([ascii_lower(x) for x in last]),
        cities=pa.array(cities),
        streets=pa.array(streets),
        name_size=np.array(sizes["n"]),
        city_size=np.array(sizes["c"]),
        street_size=np.array(sizes["s"]),
    )


def _offsets(sizes: np.ndarray) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(sizes)[:-1]])


@dataclass(frozen=True)
class CustomerBase:
    """The whole customer population of a seed, sorted by registration time."""

    reg_day: np.ndarray  # day index since EPOCH
    reg_second: np.ndarray  # second of the registration day
    country: np.ndarray  # index into COUNTRY_CODES
    by_country: tuple[np.ndarray, ...]  # customer numbers of each country, by reg time
    period: np.ndarray  # (3, n) change period per process
    phase: np.ndarray  # (3, n) first change, days after registration
    name: np.ndarray  # index within the country's name pool
    gender: np.ndarray
    age: np.ndarray  # age at registration (kept fixed: not an SCD2 change)

    def registered(self, day: dt.date) -> int:
        """How many customers registered on or before ``day``."""
        return int(np.searchsorted(self.reg_day, day_index(day), side="right"))

    def registered_in(self, country: int, day: dt.date) -> int:
        days = self.reg_day[self.by_country[country]]
        return int(np.searchsorted(days, day_index(day), side="right"))


@lru_cache(maxsize=4)
def customer_base(seed: int, n: int) -> CustomerBase:
    """Draw the population once; orders index into it by country and registration."""
    r = rng(seed, None, "customers")
    split = day_index(GROWTH_START)
    legacy = r.random(n) < LEGACY_SHARE
    reg = np.where(
        legacy,
        r.integers(0, split, n),
        r.integers(split, day_index(GROWTH_END), n),
    )
    order = np.argsort(reg, kind="stable")
    reg = reg[order]
    country = pick_weighted(r.random(n), COUNTRY_SHARE)
    by_country = tuple(np.flatnonzero(country == c) for c in range(N_COUNTRIES))
    lo, hi = CHANGE_PERIOD_DAYS
    period = r.integers(lo, hi, (3, n))
    phase = (r.random((3, n)) * period).astype(np.int64) + 30
    ages = np.clip(np.rint(r.normal(41, 14, n)), 18, 90).astype(np.int64)
    return CustomerBase(
        reg_day=reg,
        reg_second=r.integers(0, SECONDS_PER_DAY, n),
        country=country,
        by_country=by_country,
        period=period,
        phase=phase,
        name=r.integers(0, 1 << 30, n),
        gender=pick_weighted(r.random(n), [0.49, 0.49, 0.02]),
        age=ages,
    )


def pick_customers(
    r: np.random.Generator, seed: int, n_customers: int, day: dt.date, country: np.ndarray
) -> np.ndarray:
    """A customer of each row's country registered on or before ``day`` (uniformly)."""
    base = customer_base(seed, n_customers)
    out = np.empty(len(country), dtype=np.int64)
    u = r.random(len(country))
    total = base.registered(day)
    if total == 0:
        raise ValueError(f"no customer is registered on or before {day}; use a later date.")
    for c in range(N_COUNTRIES):
        sel = country == c
        k = base.registered_in(c, day)
        if k:
            out[sel] = base.by_country[c][(u[sel] * k).astype(np.int64)]
        else:  # nobody of that country yet: any registered customer
            out[sel] = (u[sel] * total).astype(np.int64)
    return out


def _changes(base: CustomerBase, upto: int, t: int) -> tuple[np.ndarray, np.ndarray]:
    """Per process: number of changes so far and unix second of the latest change."""
    start = base.reg_day[:upto] + base.phase[:, :upto]
    period = base.period[:, :upto]
    count = np.where(t >= start, (t - start) // period + 1, 0)
    last_day = start + (count - 1) * period
    last_ts = unix_day(EPOCH) + last_day * SECONDS_PER_DAY
    return count, last_ts


def customers_snapshot(seed: int, n: int, day: dt.date) -> dict[str, fmt.Col]:
    """Every customer registered on or before ``day`` with her attributes as of ``day``."""
    base = customer_base(seed, n)
    p = pools(seed)
    m = base.registered(day)
    ids = np.arange(m)
    c = base.country[:m]
    count, last_ts = _changes(base, m, day_index(day))
    moves, segs, mails = count
    change_second = hash_int(seed, "change_second", SECONDS_PER_DAY, ids)
    reg_ts = unix_day(EPOCH) + base.reg_day[:m] * SECONDS_PER_DAY + base.reg_second[:m]
    changed = np.where(count > 0, last_ts + change_second, 0).max(axis=0)
    updated = np.maximum(reg_ts, changed)

    name_i = _offsets(p.name_size)[c] + base.name[:m] % p.name_size[c]
    last_i = _offsets(p.name_size)[c] + hash_int(seed, "last", 1 << 30, ids) % p.name_size[c]
    city_i = _offsets(p.city_size)[c] + hash_int(seed, "city", 1 << 30, ids, moves) % p.city_size[c]
    street_i = (
        _offsets(p.street_size)[c]
        + hash_int(seed, "street", 1 << 30, ids, moves) % p.street_size[c]
    )
    house = hash_int(seed, "house", 480, ids, moves) + 1
    segment = pick_weighted(hash_unit(seed, "segment", ids, segs), SEGMENT_WEIGHTS)
    domain = hash_int(seed, "domain", len(EMAIL_DOMAINS), ids, mails)
    suffix = fmt.ints(np.where(mails > 0, mails, 0))
    suffix = fmt.blank_where(suffix, mails == 0)
    email = fmt.join(
        fmt.take(p.first_ascii, name_i),
        ".",
        fmt.take(p.last_ascii, last_i),
        suffix,
        "@",
        fmt.take(EMAIL_DOMAINS, domain),
    )
    return {
        "customer_id": fmt.padded("C", ids + 1, 7),
        "first_name": fmt.take(p.first, name_i),
        "last_name": fmt.take(p.last, last_i),
        "email": email,
        "age": fmt.ints(base.age[:m]),
        "gender": fmt.take(("F", "M", "X"), base.gender[:m]),
        "segment": fmt.take(SEGMENTS, segment),
        "country": fmt.take(COUNTRY_CODES, c),
        "city": fmt.take(p.cities, city_i),
        "address": fmt.join(fmt.ints(house), fmt.take(p.streets, street_i), sep=" "),
        "registration_date": fmt.dates((EPOCH - dt.date(1970, 1, 1)).days + base.reg_day[:m]),
        "updated_at": fmt.timestamps(updated),
    }
