"""The PostgreSQL COPY ceiling, measured on the rows the load stage just wrote.

Every fact table's rows are dumped as CSV to local files first (untimed), then COPY'd
from those files into UNLOGGED tables without indexes or constraints (``create table
... (like dw.fct_x)``) on one connection, as the loader uses one. That is what this
server can ingest at best for exactly the same rows; the load stage, which also reads
Parquet, looks keys up, encodes CSV and builds indexes, is compared with it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from psycopg import sql

from retail_kpi.load.facts import FACTS
from retail_kpi.warehouse.db import connect

SCHEMA = "dw"
CEILING_PREFIX = "bench_ceiling_"
READ_CHUNK = 1 << 20


@dataclass(frozen=True)
class Ceiling:
    rows: int
    seconds: float  # best of the rounds

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def dump_facts(url: str, folder: Path) -> dict[str, int]:
    """Write each fact table's rows to ``folder/<table>.csv``; returns rows per table."""
    folder.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    with connect(url) as conn, conn.cursor() as cur:
        for spec in FACTS:
            table = sql.Identifier(SCHEMA, spec.table)
            stmt = sql.SQL("copy (select * from {}) to stdout (format csv)").format(table)
            with (folder / f"{spec.table}.csv").open("wb") as out, cur.copy(stmt) as copy:
                for block in copy:
                    out.write(block)
            count = cur.execute(sql.SQL("select count(*) from {}").format(table)).fetchone()
            rows[spec.table] = int(count[0]) if count else 0
    return rows


def copy_round(url: str, folder: Path) -> float:
    """Seconds to COPY every dumped file into fresh unlogged, index-free tables."""
    with connect(url) as conn:
        targets = []
        for spec in FACTS:
            target = sql.Identifier("staging", CEILING_PREFIX + spec.table)
            conn.execute(sql.SQL("drop table if exists {}").format(target))
            conn.execute(
                sql.SQL("create unlogged table {} (like {})").format(
                    target, sql.Identifier(SCHEMA, spec.table)
                )
            )
            targets.append((spec.table, target))
        conn.commit()
        started = time.perf_counter()
        with conn.cursor() as cur:
            for name, target in targets:
                stmt = sql.SQL("copy {} from stdin (format csv)").format(target)
                with (folder / f"{name}.csv").open("rb") as src, cur.copy(stmt) as copy:
                    while block := src.read(READ_CHUNK):
                        copy.write(block)
        conn.commit()
        took = time.perf_counter() - started
        for _, target in targets:
            conn.execute(sql.SQL("drop table {}").format(target))
        conn.commit()
    return took


def measure(url: str, folder: Path, rounds: int = 2) -> Ceiling:
    """Best of ``rounds`` COPY rounds over the same dumped rows (files removed after)."""
    rows = dump_facts(url, folder)
    try:
        best = min(copy_round(url, folder) for _ in range(max(1, rounds)))
    finally:
        for spec in FACTS:
            (folder / f"{spec.table}.csv").unlink(missing_ok=True)
    return Ceiling(rows=sum(rows.values()), seconds=best)
