"""What a layer hands the runner: one batch of data per suite, plus run parameters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from retail_kpi import schemas

if TYPE_CHECKING:
    import pandas as pd

#: Late records may land this many days after their business date before the silver
#: gate warns that they are suspiciously old (they are still loaded).
LATE_WINDOW_DAYS = 7

AGE_GROUPS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
DISCOUNT_BANDS = ("None", "Low", "Medium", "High")


@dataclass
class Batch:
    """The data one suite validates: a pandas frame (lake layers) or a SQL query."""

    suite: str
    source: str  # where the rows come from, quoted in messages and audit details
    frame: pd.DataFrame | None = None
    query: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)


def standard_parameters(
    day: dt.date, history: tuple[dt.date, dt.date] | None = None
) -> dict[str, Any]:
    """Suite parameters every suite may use: the run's dates and the contract's value sets.

    ``history``: the window of business days a bulk history drop landed on ``day`` holds
    (its first day is then the run's first business date: one fx rate per currency and
    one stock snapshot per day from it on)."""
    first = day if history is None else min(history[0], day)
    days = (day - first).days + 1
    return {
        "business_date": day,
        "first_business_date": first,
        "fx_rate_rows": len(schemas.CURRENCIES) * days,
        "day_before": day - dt.timedelta(days=1),
        "earliest_late_date": min(first, day - dt.timedelta(days=LATE_WINDOW_DAYS)),
        "day_start": dt.datetime.combine(day, dt.time.min),
        "day_end": dt.datetime.combine(day, dt.time.max),
        "countries": sorted(schemas.COUNTRIES),
        "currencies": list(schemas.CURRENCIES),
        "channels": list(schemas.CHANNELS),
        "order_statuses": list(schemas.ORDER_STATUSES),
        "segments": list(schemas.SEGMENTS),
        "reason_codes": sorted(schemas.REASON_CODES),
        "entities": list(schemas.ENTITIES),
        "age_groups": list(AGE_GROUPS),
        "discount_bands": list(DISCOUNT_BANDS),
    }
