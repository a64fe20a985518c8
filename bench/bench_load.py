"""Load speed vs the COPY ceiling, measured in the same run (issue 5, "Speed").

    python bench/bench_load.py [--lines 1000000] [--rounds 3]     (make bench-load)

Makes one synthetic day with ``--lines`` order lines (plus their orders, 50k customers,
500 products) in a temporary lake and a fresh database ``rk_wh_test_bench`` on the
WAREHOUSE_URL server (dropped at the end), then measures:

* ceiling (same rows): the day's fct_order_line rows exactly as the load writes them,
  already built in memory, CSV -> COPY into an UNLOGGED table without indexes or
  constraints: what PostgreSQL can ingest at best on this machine;
* ceiling (silver rows), for transparency: the silver order lines (20 columns instead
  of 27, so fewer bytes), Parquet -> CSV -> COPY into an UNLOGGED bare table;
* load: ``load_date`` of that day from the silver Parquet (SCD2 merge, key lookups,
  COPY into the new day partition, WAL-logged, attach with its index, KPI, audit).

The first load (which also inserts 50k customer versions) is reported apart; then the
rounds alternate the three measures. Prints rows/s, the best round of each, and the
ratio load / ceiling (target >= 0.67). Exit code 1 when the target is missed.

On a shared, saturated machine wall-clock time mostly measures the queue for the CPU,
so when the server is local the bench also reports CPU seconds (this process + the
PostgreSQL backend serving it, from /proc) and the ratio of CPU cost per row.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pyarrow as pa
from psycopg import sql

from retail_kpi import config
from retail_kpi.load import load_date, loader
from retail_kpi.load.copy import copy_table
from retail_kpi.load.facts import KeyContext, order_lines
from retail_kpi.load.silver import read_business_date
from retail_kpi.warehouse.db import admin_url, connect, with_database
from retail_kpi.warehouse.ensure import ensure_database
from retail_kpi.warehouse.migrate import migrate
from tests.synthetic import write_day

DAY = dt.date(2024, 5, 1)
DB = "rk_wh_test_bench"
TARGET = 0.67


def drop_database(server_url: str) -> None:
    with connect(
        admin_url(with_database(server_url, "postgres")), etl_role=False, autocommit=True
    ) as c:
        c.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(DB)))


class CpuMeter:
    """CPU seconds of this process plus the PostgreSQL backends it used (local server)."""

    def __init__(self) -> None:
        self.backend_s = 0.0

    @staticmethod
    def _process_s(pid: int | str) -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")  # remote server: CPU of the backend is not visible
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def backend(self, conn: psycopg.Connection) -> None:
        """Add the CPU used so far by ``conn``'s backend (call just before closing it)."""
        self.backend_s += self._process_s(conn.info.backend_pid)

    def total(self) -> float:
        return self._process_s("self") + self.backend_s


METER = CpuMeter()


@contextmanager
def metered_connection(url: str, *, etl_role: bool = True) -> Iterator[psycopg.Connection]:
    """The loader's connection, measured (patched into retail_kpi.load.loader)."""
    conn = connect(url, etl_role=etl_role)
    try:
        yield conn
    finally:
        METER.backend(conn)
        conn.close()


def ceiling(s: config.Settings, like: str, rows: pa.Table | None = None) -> float:
    """Seconds to COPY ``rows`` (or the silver lines read from Parquet) into a bare table."""
    with metered_connection(s.warehouse_url) as conn:
        conn.execute("drop table if exists staging.bench_ceiling")
        conn.execute(
            sql.SQL("create unlogged table staging.bench_ceiling (like {})").format(
                sql.Identifier(*like.split("."))
            )
        )
        conn.commit()
        start = time.perf_counter()
        data = rows if rows is not None else read_business_date(s, "order_items", DAY)[0]
        copy_table(conn, sql.Identifier("staging", "bench_ceiling"), data)
        conn.commit()
        took = time.perf_counter() - start
        conn.execute("drop table staging.bench_ceiling")
        conn.commit()
    return took


def fact_rows(s: config.Settings) -> pa.Table:
    """The day's fct_order_line rows, built by the loader's own transform."""
    with connect(s.warehouse_url) as conn:
        ctx = KeyContext.load(conn)
    items = read_business_date(s, "order_items", DAY)[0]
    return order_lines(ctx, DAY, items, lambda e, d: read_business_date(s, e, d)[0])


def timed_load(s: config.Settings, run_id: str, lines: int) -> float:
    start = time.perf_counter()
    counts = load_date(DAY, settings=s, run_id=run_id)
    took = time.perf_counter() - start
    assert counts["fct_order_line"] == lines, counts
    return took


def measure(s: config.Settings, lines: int, rounds: int) -> float:
    first = timed_load(s, "bench-first", lines)
    print(f"first load (+50k customer versions): {lines / first:,.0f} rows/s ({first:.1f}s)")
    rows = fact_rows(s)
    same: list[float] = []
    silver: list[float] = []
    loads: list[float] = []
    cpu: dict[str, list[float]] = {"same": [], "load": []}
    for r in range(rounds):
        before = METER.total()
        same.append(ceiling(s, "dw.fct_order_line", rows))
        cpu["same"].append(METER.total() - before)
        silver.append(ceiling(s, "staging.order_items"))
        before = METER.total()
        loads.append(timed_load(s, f"bench-{r}", lines))
        cpu["load"].append(METER.total() - before)
        print(
            f"round {r + 1}: ceiling(same rows) {lines / same[-1]:>9,.0f} rows/s"
            f"  ceiling(silver rows) {lines / silver[-1]:>9,.0f} rows/s"
            f"  load {lines / loads[-1]:>9,.0f} rows/s"
        )
    best_same, best_silver, best_load = (lines / min(x) for x in (same, silver, loads))
    ratio = best_load / best_same
    print(f"COPY ceiling, same fact rows (unlogged, no index):    {best_same:>9,.0f} rows/s")
    print(f"COPY ceiling, silver order lines (unlogged, no index): {best_silver:>9,.0f} rows/s")
    print(f"load_date of the day (fct_order_line rows):           {best_load:>9,.0f} rows/s")
    print(f"ratio load / ceiling(same rows):   {ratio:.2f} (target >= {TARGET})")
    print(f"ratio load / ceiling(silver rows): {best_load / best_silver:.2f}")
    cpu_same, cpu_load = min(cpu["same"]), min(cpu["load"])
    print(
        f"CPU seconds (client + backend): ceiling(same rows) {cpu_same:.1f}s, load {cpu_load:.1f}s"
        f" -> CPU-cost ratio {cpu_same / cpu_load:.2f}"
    )
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    base = config.settings()
    loader.connection = metered_connection  # type: ignore[assignment]
    drop_database(base.warehouse_url)
    url = with_database(base.warehouse_url, DB)
    ensure_database(url)
    migrate(url)
    try:
        with tempfile.TemporaryDirectory(prefix="rk_wh_bench_") as tmp:
            s = dataclasses.replace(
                base, warehouse_url=url, data_dir=Path(tmp), lake_dir=Path(tmp) / "lake"
            )
            start = time.perf_counter()
            lines = write_day(s.lake_dir, DAY, args.lines)
            print(f"synthetic day: {lines:,} order lines in {time.perf_counter() - start:.1f}s")
            ratio = measure(s, lines, args.rounds)
    finally:
        drop_database(base.warehouse_url)
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
