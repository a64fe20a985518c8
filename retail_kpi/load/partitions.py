"""Month partitions of the facts, and the day swap that makes a load atomic and fast.

Each fact is range-partitioned by month, and each month by day. A load of day D:
1. creates ``staging.<fact>_yYYYYmMMdDD`` (like the fact, with a CHECK matching D's
   bounds) and COPYs the day's rows into it — one write per row, no index upkeep;
2. at the end of the same transaction drops the old day partition (if any), moves
   the new table into ``dw`` and attaches it; the CHECK lets PostgreSQL skip the
   validation scan, and the parent's indexes are built on the new table then.
Readers see the old day until commit, the new one after; a crash rolls everything back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import psycopg
from psycopg import sql

from retail_kpi.warehouse.db import WarehouseError, xact_lock

_DDL_LOCK = "partition-ddl"


def month_name(table: str, day: dt.date) -> str:
    return f"{table}_y{day.year:04d}m{day.month:02d}"


def day_name(table: str, day: dt.date) -> str:
    return f"{month_name(table, day)}d{day.day:02d}"


def _month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    start = day.replace(day=1)
    nxt = (start + dt.timedelta(days=32)).replace(day=1)
    return start, nxt


def ensure_months(
    conn: psycopg.Connection, table: str, date_column: str, days: list[dt.date]
) -> None:
    """Create missing month partitions, in a short transaction of their own.

    Creating a partition locks the whole fact exclusively, so it is kept out of the
    (long) load transaction; an empty month partition is harmless if the load fails.
    """
    months = sorted({d.replace(day=1) for d in days})
    if not months:
        return
    with conn.transaction():
        xact_lock(conn, _DDL_LOCK)
        for first in months:
            start, end = _month_bounds(first)
            conn.execute(
                sql.SQL(
                    "create table if not exists {part} partition of {parent} "
                    "for values from ({start}) to ({end}) partition by range ({col})"
                ).format(
                    part=sql.Identifier("dw", month_name(table, first)),
                    parent=sql.Identifier("dw", table),
                    start=sql.Literal(start),
                    end=sql.Literal(end),
                    col=sql.Identifier(date_column),
                )
            )


@dataclass(frozen=True)
class StagedDay:
    table: str
    date_column: str
    day: dt.date

    @property
    def staged(self) -> sql.Identifier:
        return sql.Identifier("staging", day_name(self.table, self.day))


def create_staged_day(
    conn: psycopg.Connection, table: str, date_column: str, day: dt.date
) -> StagedDay:
    """An empty table shaped like the fact, constrained to ``day`` (to be COPYed into)."""
    staged = StagedDay(table, date_column, day)
    conn.execute(sql.SQL("drop table if exists {}").format(staged.staged))
    conn.execute(
        sql.SQL(
            "create table {new} (like {parent} including defaults, "
            "constraint {ck} check ({col} >= {lo} and {col} < {hi}))"
        ).format(
            new=staged.staged,
            parent=sql.Identifier("dw", table),
            ck=sql.Identifier(f"{day_name(table, day)}_bounds_ck"),
            col=sql.Identifier(date_column),
            lo=sql.Literal(day),
            hi=sql.Literal(day + dt.timedelta(days=1)),
        )
    )
    return staged


class DuplicateFactKey(WarehouseError):
    """A staged day holds a fact's business key twice (V027's unique constraints)."""


def swap_in(conn: psycopg.Connection, staged: StagedDay) -> None:
    """Replace the day's partition by the staged table (inside the caller's transaction).

    Attaching builds the day's unique business-key index; a repeated key fails it.
    """
    name = day_name(staged.table, staged.day)
    conn.execute(sql.SQL("drop table if exists {}").format(sql.Identifier("dw", name)))
    conn.execute(sql.SQL("alter table {} set schema dw").format(staged.staged))
    try:
        conn.execute(
            sql.SQL(
                "alter table {month} attach partition {day} for values from ({lo}) to ({hi})"
            ).format(
                month=sql.Identifier("dw", month_name(staged.table, staged.day)),
                day=sql.Identifier("dw", name),
                lo=sql.Literal(staged.day),
                hi=sql.Literal(staged.day + dt.timedelta(days=1)),
            )
        )
    except psycopg.errors.UniqueViolation as exc:
        detail = (exc.diag.message_detail or str(exc)).rstrip(".")
        raise DuplicateFactKey(
            f"dw.{staged.table} for {staged.day} would hold a business key twice ({detail}); "
            "nothing was loaded. The load keeps one row per key, so this is a loader bug or "
            "an inconsistent lake: rerun clean_silver for the date, then the load."
        ) from exc
