"""Load speed vs the COPY ceiling, measured in the same run (issue 5, "Speed").

    python bench/bench_load.py [--lines 1000000] [--rounds 2]

Makes one synthetic day with ``--lines`` order lines (plus their orders, 50k customers,
500 products) in a temporary lake and a fresh database ``rk_wh_bench`` on the
WAREHOUSE_URL server, then alternates:

* ceiling: the same order lines, Parquet -> CSV -> COPY into an UNLOGGED table without
  indexes or constraints (what PostgreSQL can ingest at best on this machine);
* load: ``load_date`` of that day (dims SCD2 merge, key lookups, COPY into the new day
  partition, attach with its index, KPI refresh, audit), i.e. the real thing.

Prints rows/s of each and load / ceiling (target >= 0.67), best round of each.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import tempfile
import time
from pathlib import Path

from psycopg import sql

from retail_kpi import config
from retail_kpi.load import load_date
from retail_kpi.load.copy import copy_table
from retail_kpi.load.silver import read_business_date
from retail_kpi.load.synthetic import write_day
from retail_kpi.warehouse.db import connect, with_database
from retail_kpi.warehouse.ensure import ensure_database
from retail_kpi.warehouse.migrate import migrate

DAY = dt.date(2024, 5, 1)
DB = "rk_wh_test_bench"
TARGET = 0.67


def fresh_database(server_url: str) -> str:
    url = with_database(server_url, DB)
    with connect(with_database(server_url, "postgres"), etl_role=False, autocommit=True) as c:
        c.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(DB)))
    ensure_database(url)
    migrate(url)
    return url


def ceiling(s: config.Settings) -> float:
    """Seconds to read the day's order lines and COPY them into an unlogged bare table."""
    with connect(s.warehouse_url) as conn:
        conn.execute("drop table if exists staging.bench_ceiling")
        conn.execute("create unlogged table staging.bench_ceiling (like staging.order_items)")
        conn.commit()
        start = time.perf_counter()
        data, _, _ = read_business_date(s, "order_items", DAY)
        copy_table(conn, sql.Identifier("staging", "bench_ceiling"), data)
        conn.commit()
        took = time.perf_counter() - start
        conn.execute("drop table staging.bench_ceiling")
        conn.commit()
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    base = config.settings()
    with tempfile.TemporaryDirectory(prefix="rk_wh_bench_") as tmp:
        s = dataclasses.replace(
            base,
            warehouse_url=fresh_database(base.warehouse_url),
            data_dir=Path(tmp),
            lake_dir=Path(tmp) / "lake",
        )
        t0 = time.perf_counter()
        lines = write_day(s.lake_dir, DAY, args.lines)
        print(f"synthetic day: {lines:,} order lines in {time.perf_counter() - t0:.1f}s")
        ceilings, loads = [], []
        for r in range(args.rounds):
            ceilings.append(ceiling(s))
            start = time.perf_counter()
            counts = load_date(DAY, settings=s, run_id=f"bench-{r}")
            loads.append(time.perf_counter() - start)
            assert counts["fct_order_line"] == lines, counts
            print(
                f"round {r + 1}: ceiling {lines / ceilings[-1]:>9,.0f} rows/s ({ceilings[-1]:.2f}s)"
                f"   load {lines / loads[-1]:>9,.0f} rows/s ({loads[-1]:.2f}s)"
            )
    best_ceiling, best_load = lines / min(ceilings), lines / min(loads)
    ratio = best_load / best_ceiling
    print(f"COPY ceiling (unlogged, no index): {best_ceiling:,.0f} rows/s")
    print(f"load_date (fct_order_line):        {best_load:,.0f} rows/s")
    print(f"ratio load / ceiling:              {ratio:.2f} (target >= {TARGET})")
    with connect(
        with_database(base.warehouse_url, "postgres"), etl_role=False, autocommit=True
    ) as c:
        c.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(DB)))
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
