"""Which business days and months a KPI run must recompute, and which inputs it reads.

Pure date arithmetic (no Spark), so the incremental rules are unit-tested on their own.

A run for landing date L *touches* L and every business date D that received rows landed
on L (a folder ``silver/<entity>/dt=D/ingest_dt=L`` exists). A KPI row depends on:

- its own day (all day-grain KPIs),
- the day before (day-over-day growth), the 13 days before (week-over-week growth), the
  27 days before (28-day selling rate behind days of supply), 364 days before (year-over-
  year growth on the same weekday),
- for customer status (new vs returning), every earlier day.

So a touched day D changes the rows of D, D+1..D+27 and D+364, and customer status on every
later day up to L; a touched month M changes M, M+1 (month-over-month) and M+12 (year-over-
year). Only days that exist in the lake are recomputed.

A comparison window (the prior day, week, month or year a growth rate divides by) counts
only *complete* days, those with their own landing or held whole by a bulk history drop
(:func:`complete_days`); a day present only through late rows makes its window incomplete,
so the growth is NULL.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from retail_kpi.landing import history_of

#: Silver entities whose rows are dated by business day (the KPI job's inputs).
FACT_ENTITIES: tuple[str, ...] = (
    "orders",
    "order_items",
    "returns",
    "shipments",
    "inventory",
    "web_sessions",
)
DAY_LOOKBACK = 27  # longest trailing window: 28 days of sales for days of supply
WEEK_WINDOW = 7
YEAR_LAG_DAYS = 364  # same weekday 52 weeks earlier
MONTH_LAGS = (1, 12)
#: The entity whose own landing makes a business day complete: growth compares net sales.
COMPLETENESS_ENTITY = "orders"


def _parse_dt(name: str, key: str) -> dt.date | None:
    prefix = f"{key}="
    if not name.startswith(prefix):
        return None
    try:
        return dt.date.fromisoformat(name[len(prefix) :])
    except ValueError:
        return None


def partition_days(entity_dir: Path) -> set[dt.date]:
    """Business days that have a ``dt=`` folder under one silver entity."""
    if not entity_dir.is_dir():
        return set()
    days = (_parse_dt(p.name, "dt") for p in entity_dir.iterdir() if p.is_dir())
    return {d for d in days if d is not None}


def available_days(silver_dir: Path, entities: Iterable[str] = FACT_ENTITIES) -> set[dt.date]:
    """Business days present in the lake for any of ``entities``."""
    out: set[dt.date] = set()
    for entity in entities:
        out |= partition_days(silver_dir / entity)
    return out


def _landed_on(entity_dir: Path, day: dt.date, landed: dt.date) -> bool:
    """Whether rows of business day ``day`` landed on ``landed`` (their silver leaf)."""
    return (entity_dir / f"dt={day.isoformat()}" / f"ingest_dt={landed.isoformat()}").is_dir()


def touched_days(silver_dir: Path, run_date: dt.date) -> set[dt.date]:
    """The run's own date plus business dates that got rows landed on ``run_date``."""
    out = {run_date}
    for entity in FACT_ENTITIES:
        for day in partition_days(silver_dir / entity):
            if _landed_on(silver_dir / entity, day, run_date):
                out.add(day)
    return out


def complete_days(silver_dir: Path) -> set[dt.date]:
    """Business days D with their own landing (``silver/orders/dt=D/ingest_dt=D`` exists),
    and the days of a bulk history drop declared whole (:func:`history_days`).

    A day can be in the lake only through a few late orders landed on a later date (the
    day before the store opened, or before the history starts): growth against it reads
    thousands of percent, so comparison windows accept complete days only. The clean run
    of ingest date L files its rows under ``ingest_dt=L``, and on-time orders of D have
    L = D on both paths: landing files of D are cleaned as L = D, and a Kafka message's
    ingest date is the UTC date of its timestamp, the order's event time, whose UTC date
    is also its ``order_date``. Rows never land before their day (clean quarantines them).
    """
    orders = silver_dir / COMPLETENESS_ENTITY
    own = {d for d in partition_days(orders) if _landed_on(orders, d, d)}
    return own | (history_days(silver_dir.parent) & partition_days(orders))


def history_days(lake: Path) -> set[dt.date]:
    """Business days that bulk history drops held whole: the ``history`` window of each
    committed clean run's reconciliation report (``_audit/clean/dt=L/``), which copies
    the drop's done-marker (docs/DATA.md, "Landing contract")."""
    out: set[dt.date] = set()
    for report in sorted((lake / "_audit" / "clean").glob("dt=*/reconciliation.json")):
        window = history_of(json.loads(report.read_text(encoding="utf-8")))
        if window is not None:
            first, last = window
            out |= {first + dt.timedelta(days=i) for i in range((last - first).days + 1)}
    return out


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    """First day of the month ``n`` months after ``month`` (n may be negative)."""
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def month_days(month: dt.date) -> list[dt.date]:
    nxt = add_months(month, 1)
    return [month + dt.timedelta(days=i) for i in range((nxt - month).days)]


def recompute_days(
    touched: Iterable[dt.date], available: set[dt.date], run_date: dt.date
) -> list[dt.date]:
    """Business days whose KPI rows may have changed, restricted to days in the lake."""
    touched = set(touched)
    out: set[dt.date] = set()
    for d in touched:
        out |= {d + dt.timedelta(days=k) for k in range(DAY_LOOKBACK + 1)}
        out.add(d + dt.timedelta(days=YEAR_LAG_DAYS))
    first = min(touched)
    out |= {first + dt.timedelta(days=k) for k in range((run_date - first).days + 1)}
    return sorted(out & available)


def recompute_months(
    touched: Iterable[dt.date], days: Iterable[dt.date], available: set[dt.date]
) -> list[dt.date]:
    """Months whose rows may have changed: those of recomputed days and growth dependents."""
    have = {month_start(d) for d in available}
    out = {month_start(d) for d in days}
    for d in touched:
        out |= {add_months(month_start(d), n) for n in MONTH_LAGS}
    return sorted(out & have)


def input_days(
    days: Iterable[dt.date], months: Iterable[dt.date], available: set[dt.date]
) -> list[dt.date]:
    """Days of sales inputs needed to compute ``days`` and ``months`` (trailing windows too)."""
    need: set[dt.date] = set()
    for d in days:
        need |= {d - dt.timedelta(days=k) for k in range(2 * WEEK_WINDOW)}
        need |= {d - dt.timedelta(days=k) for k in range(DAY_LOOKBACK + 1)}
        need.add(d - dt.timedelta(days=YEAR_LAG_DAYS))
    for m in months:
        for n in (0, *MONTH_LAGS):
            need |= set(month_days(add_months(m, -n)))
    return sorted(need & available)


#: Day-grain comparison windows: bucket -> day offsets before the target day.
DAY_BUCKETS: dict[str, tuple[int, ...]] = {
    "prev_day": (1,),
    "cur_7d": tuple(range(WEEK_WINDOW)),
    "prev_7d": tuple(range(WEEK_WINDOW, 2 * WEEK_WINDOW)),
    "prev_year": (YEAR_LAG_DAYS,),
}
MONTH_BUCKETS: dict[str, int] = {"prev_month": 1, "prev_year": 12}

Member = tuple[dt.date, str, dt.date]  # (target, bucket, source day)


def day_windows(
    targets: Iterable[dt.date], complete: set[dt.date]
) -> tuple[list[Member], dict[tuple[dt.date, str], bool]]:
    """Source days of each day-grain comparison window, and whether it is complete.

    A window is complete when every one of its days is ``complete`` (:func:`complete_days`);
    only complete windows get members, so an incomplete one yields NULL rather than a
    partial sum.
    """
    members: list[Member] = []
    flags: dict[tuple[dt.date, str], bool] = {}
    for t in targets:
        for bucket, offsets in DAY_BUCKETS.items():
            src = [t - dt.timedelta(days=k) for k in offsets]
            ok = all(s in complete for s in src)
            flags[(t, bucket)] = ok
            if ok:
                members += [(t, bucket, s) for s in src]
    return members, flags


def trailing_days(target: dt.date, available: set[dt.date]) -> list[dt.date]:
    """Days of the 28-day selling window ending ``target`` that are in the lake."""
    window = [target - dt.timedelta(days=k) for k in range(DAY_LOOKBACK + 1)]
    return [d for d in window if d in available]


def month_windows(
    months: Iterable[dt.date], available: set[dt.date], complete: set[dt.date]
) -> tuple[list[Member], dict[tuple[dt.date, str], bool], dict[dt.date, int]]:
    """Like :func:`day_windows` for months, comparing the same days of the month.

    The target month runs to its last day with data ``d`` (``available``); the month ``n``
    months earlier is compared over its days ``1..min(d, its length)``, all of which must be
    ``complete``. Also returns days with data per month.
    """
    members: list[Member] = []
    flags: dict[tuple[dt.date, str], bool] = {}
    days_with_data: dict[dt.date, int] = {}
    for m in months:
        present = [d for d in month_days(m) if d in available]
        days_with_data[m] = len(present)
        last = max(present).day if present else 0
        for bucket, lag in MONTH_BUCKETS.items():
            src = month_days(add_months(m, -lag))[:last]
            ok = bool(src) and all(s in complete for s in src)
            flags[(m, bucket)] = ok
            if ok:
                members += [(m, bucket, s) for s in src]
    return members, flags, days_with_data


def latest_snapshot(day: dt.date, snapshots: Iterable[dt.date]) -> dt.date | None:
    """The snapshot a day's KPIs use: the latest on or before it, else the earliest one."""
    snaps = sorted(snapshots)
    before = [s for s in snaps if s <= day]
    if before:
        return before[-1]
    return snaps[0] if snaps else None


@dataclass(frozen=True)
class Plan:
    """What one run recomputes and reads; decided in plain Python before Spark starts."""

    run_date: dt.date
    available: frozenset[dt.date]
    complete: frozenset[dt.date]  # available days with their own landing: growth windows
    touched: tuple[dt.date, ...]
    days: tuple[dt.date, ...]
    months: tuple[dt.date, ...]
    inputs: tuple[dt.date, ...]
    history: tuple[dt.date, ...] = field(default=())

    def targets(self, period: str) -> list[dt.date]:
        return list(self.months if period == "month" else self.days)


def make_plan(silver_dir: Path, run_date: dt.date, since: dt.date | None = None) -> Plan:
    """Touched dates -> recomputed days/months -> input days, restricted to the lake.

    ``since`` (backfills, definition changes) also touches every day in the lake from it on.
    The comparison windows use the complete days among them (:func:`complete_days`).
    """
    available = available_days(silver_dir)
    touched = touched_days(silver_dir, run_date) & (available | {run_date})
    if since is not None:
        touched |= {d for d in available if d >= since}
    days = recompute_days(touched, available, run_date)
    months = recompute_months(touched, days, available)
    inputs = input_days(days, months, available)
    last = max([*days, *inputs], default=run_date)
    history = sorted(d for d in available if d <= last)
    return Plan(
        run_date=run_date,
        available=frozenset(available),
        complete=frozenset(complete_days(silver_dir)),
        touched=tuple(sorted(touched)),
        days=tuple(days),
        months=tuple(months),
        inputs=tuple(inputs),
        history=tuple(history),
    )
