"""The shape of demand: country mix, seasonality, holidays, hours of the day, FX.

These constants encode the product seeds' reported patterns (seed 000): USA sales peak
in February, Mexico under-performs, France and Canada engage more, Mexico runs low on
stock. Tests assert the patterns on generated data, so change them together.
"""

from __future__ import annotations

import datetime as dt
import math
from functools import lru_cache

import numpy as np

from retail_kpi.schemas import COUNTRIES
from simulator.rand import day_index, hash_unit

#: Country order used by every array in the generator (index = country number).
COUNTRY_CODES: tuple[str, ...] = tuple(COUNTRIES)
N_COUNTRIES = len(COUNTRY_CODES)
CURRENCY_OF = tuple(COUNTRIES[c] for c in COUNTRY_CODES)

#: Share of customers and of demand per country; Mexico is small (under-performs).
COUNTRY_SHARE = np.array([0.38, 0.17, 0.17, 0.19, 0.09])
#: UTC offset (hours) used to place the local daily rhythm.
TZ_OFFSET = np.array([-5, -5, 1, 1, -6])
#: Monthly demand multiplier per country (Jan..Dec). USA peaks in February.
MONTH_FACTOR = np.array(
    [
        [1.00, 1.80, 1.05, 0.95, 0.95, 0.90, 0.90, 0.95, 0.95, 1.00, 1.15, 1.25],  # USA
        [0.85, 0.90, 0.95, 0.95, 1.00, 1.00, 1.00, 0.95, 1.00, 1.05, 1.20, 1.35],  # CAN
        [0.90, 0.85, 0.95, 1.00, 1.00, 1.00, 0.90, 0.80, 1.00, 1.05, 1.20, 1.40],  # FRA
        [0.85, 0.85, 0.95, 1.00, 1.00, 0.95, 0.95, 0.95, 1.00, 1.05, 1.25, 1.40],  # DEU
        [0.90, 0.85, 0.95, 0.95, 1.00, 0.95, 0.95, 0.95, 1.00, 1.00, 1.15, 1.30],  # MEX
    ]
)
#: Monday..Sunday multiplier.
WEEKDAY_FACTOR = np.array([0.94, 0.95, 0.97, 1.00, 1.08, 1.16, 0.90])
#: Relative demand per local hour 0..23: quiet night, lunch peak, evening peak.
HOUR_PROFILE = np.array(
    [0.25, 0.15, 0.10, 0.08, 0.08, 0.12, 0.30, 0.60, 0.90, 1.10, 1.20, 1.35,
     1.50, 1.40, 1.20, 1.10, 1.10, 1.20, 1.40, 1.65, 1.80, 1.60, 1.10, 0.60]
)  # fmt: skip
#: Fixed-date holidays: (month, day) -> (country codes or None for all, multiplier).
FIXED_HOLIDAYS: dict[tuple[int, int], tuple[tuple[str, ...] | None, float]] = {
    (1, 1): (None, 0.55),
    (7, 4): (("USA",), 0.75),
    (7, 1): (("CAN",), 0.75),
    (7, 14): (("FRA",), 0.75),
    (10, 3): (("DEU",), 0.75),
    (9, 16): (("MEX",), 0.75),
    (12, 24): (None, 1.30),
    (12, 25): (None, 0.40),
    (12, 26): (("CAN", "DEU"), 1.40),
}
BLACK_FRIDAY_FACTOR = 2.2
CYBER_MONDAY_FACTOR = 1.6
#: Orders -> engagement: web/app sessions per expected order.
SESSIONS_PER_ORDER = 3.0

#: Base FX (USD per unit) and yearly/monthly wobble amplitudes.
FX_BASE = {"USD": 1.0, "CAD": 0.73, "EUR": 1.08, "MXN": 0.055}
FX_WOBBLE = {"USD": 0.0, "CAD": 0.04, "EUR": 0.05, "MXN": 0.08}


def _norm() -> float:
    """Average demand multiplier over a year, so `orders` means orders per average day."""
    return float((COUNTRY_SHARE * MONTH_FACTOR.mean(axis=1)).sum() * WEEKDAY_FACTOR.mean())


_NORM = _norm()


def black_friday(year: int) -> dt.date:
    """The day after the fourth Thursday of November."""
    first = dt.date(year, 11, 1)
    thursday = first + dt.timedelta(days=(3 - first.weekday()) % 7 + 21)
    return thursday + dt.timedelta(days=1)


def holiday_factor(day: dt.date) -> np.ndarray:
    """Per-country multiplier of ``day`` from holidays (1.0 on ordinary days)."""
    out = np.ones(N_COUNTRIES)
    rule = FIXED_HOLIDAYS.get((day.month, day.day))
    if rule is not None:
        countries, factor = rule
        for i, code in enumerate(COUNTRY_CODES):
            if countries is None or code in countries:
                out[i] *= factor
    bf = black_friday(day.year)
    if day == bf:
        out *= BLACK_FRIDAY_FACTOR
    elif day == bf + dt.timedelta(days=3):
        out *= CYBER_MONDAY_FACTOR
    return out


def expected_orders(day: dt.date, orders: float) -> np.ndarray:
    """Expected orders per country on ``day`` for an average of ``orders`` per day."""
    season = MONTH_FACTOR[:, day.month - 1] * WEEKDAY_FACTOR[day.weekday()]
    return orders * COUNTRY_SHARE * season * holiday_factor(day) / _NORM


@lru_cache(maxsize=16)  # called once per hour chunk; callers never mutate
def hourly_rates(day: dt.date, orders: float) -> np.ndarray:
    """Expected orders per (country, UTC hour) on ``day``: shape (countries, 24)."""
    hours = np.arange(24)
    local = (hours[None, :] + TZ_OFFSET[:, None]) % 24
    profile = HOUR_PROFILE[local] / HOUR_PROFILE.sum()
    return expected_orders(day, orders)[:, None] * profile


@lru_cache(maxsize=64)
def fx_rates(seed: int, day: dt.date) -> dict[str, float]:
    """USD per unit of each currency on ``day``: smooth, seed-dependent, date-independent."""
    t = day_index(day)
    out: dict[str, float] = {}
    for k, (cur, base) in enumerate(FX_BASE.items()):
        if cur == "USD":
            out[cur] = 1.0
            continue
        ph1, ph2, noise = hash_unit(seed, "fx", k, np.array([0, 1, 2 + t]))
        wobble = FX_WOBBLE[cur] * (
            math.sin(2 * math.pi * (t / 365.25 + ph1))
            + 0.4 * math.sin(2 * math.pi * (t / 41 + ph2))
        )
        rate = base * math.exp(wobble + 0.004 * (noise - 0.5))
        out[cur] = round(rate, 6)
    return out
