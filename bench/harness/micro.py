"""Micro-batch: one 10-minute interval through clean -> KPIs -> load, timed to visible KPIs.

The bench's generate step (``python -m bench.harness.micro``) writes the day's snapshots
(customers, products, inventory, fx rates: the clean job's lookups) and then one interval
(``generate_day(..., interval=...)``) under ``<entity>/dt=D/interval=HHMM/``, which the
clean job reads when a date has no whole-day file. The day's manifest is rewritten with
the interval's counts and defects added, so the landing gate checks the volumes too.
Shipments and returns (whole-day events) are not part of an interval. Every other stage
is the DAG's own, run as in a full-size run, up to ``load_warehouse``; the run counts as
visible when the KPI tables hold rows of the day.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import sys
import time
from pathlib import Path
from typing import Any

SNAPSHOTS = ("customers", "products", "inventory", "fx_rates")
INTERVAL_MINUTES = 10
VISIBLE_TABLES = ("kpi_daily_sales", "kpi_orders_per_minute")


def merge_manifests(day_doc: dict[str, Any], interval_doc: dict[str, Any]) -> dict[str, Any]:
    """One manifest for the assembled landing: snapshot counts + interval counts/defects."""
    merged = dict(day_doc)
    merged["counts"] = {**day_doc.get("counts", {}), **interval_doc.get("counts", {})}
    merged["defects"] = [*day_doc.get("defects", []), *interval_doc.get("defects", [])]
    merged["interval"] = interval_doc.get("interval")
    return merged


def generate(day: dt.date, start: dt.time, landing: Path, params: dict[str, Any]) -> dict:
    """Snapshots of ``day`` + the interval starting at ``start``, laid out for the clean job."""
    from retail_kpi.config import settings
    from retail_kpi.generate import DefectRates, generate_day
    from retail_kpi.generate.writer import write_json
    from retail_kpi.landing import write_marker, written_files

    s = settings()
    scale = float(params.get("defect_scale", 1.0))
    gen = functools.partial(
        generate_day,
        day,
        landing,
        seed=int(params.get("seed") or s.seed),
        orders=int(params["orders_per_day"]),
        customers=int(params["customers"]),
        products=int(params["products"]),
        defects=DefectRates.scaled(scale) if scale != 1.0 else DefectRates(),
    )
    day_doc = gen(only=SNAPSHOTS)
    t0 = dt.datetime.combine(day, start)
    interval_doc = gen(interval=(t0, t0 + dt.timedelta(minutes=INTERVAL_MINUTES)))
    merged = merge_manifests(day_doc, interval_doc)
    write_json(landing / "_manifest" / f"dt={day.isoformat()}" / "manifest.json", merged)
    write_marker(landing, day, written_files(landing, day))
    return {"counts": merged["counts"], "defects": len(merged["defects"])}


def main(argv: list[str] | None = None) -> int:
    from bench.harness.task import MARKER

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--date", required=True, type=dt.date.fromisoformat)
    parser.add_argument("--start", required=True, type=dt.time.fromisoformat, help="HH:MM UTC")
    parser.add_argument("--params", required=True, help="orders_per_day, customers, products")
    args = parser.parse_args(argv)
    from retail_kpi.config import settings

    t0 = time.perf_counter()
    result = generate(args.date, args.start, settings().landing_dir, json.loads(args.params))
    doc = {"task": "generate_landing", "ok": True, "body_s": time.perf_counter() - t0}
    print(MARKER + json.dumps({**doc, "result": result, "parts": {}, "log": []}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())


def micro_stages(stages: list[Any], day: dt.date, start: dt.time, params: dict) -> list[Any]:
    """The DAG's stages up to the load, with the source step replaced by ours."""
    from bench.harness.stages import Stage

    out = []
    for stage in stages:
        if stage.task_id == "generate_landing":
            cmd = [sys.executable, "-m", "bench.harness.micro", "--date", day.isoformat()]
            cmd += ["--start", start.strftime("%H:%M"), "--params", json.dumps(params)]
            stage = Stage(stage.task_id, "source", cmd)
        out.append(stage)
        if stage.task_id == "load_warehouse":
            break
    return out


def visible_rows(url: str, day: dt.date) -> dict[str, int]:
    """Rows of ``day`` in the KPI tables a dashboard reads first."""
    from psycopg import sql

    from retail_kpi.warehouse.db import connect

    out = {}
    with connect(url) as conn:
        for table in VISIBLE_TABLES:
            stmt = sql.SQL("select count(*) from {} where sales_date = %s").format(
                sql.Identifier("mart", table)
            )
            row = conn.execute(stmt, (day,)).fetchone()
            out[table] = int(row[0]) if row else 0
    return out
