"""Micro-batch benchmark: a 10-minute interval of Kafka events until its KPIs are in Postgres.

The path users run, end to end: the upstream simulator publishes the day's events up to
12:00 to the Kafka topics and ``retail_microbatch`` ingests them (one untimed run, so the
date already holds half a day, as at noon in production). Then the simulator publishes the
interval 12:00-12:10 — the interval closes when its last message is acknowledged — and a
second ``airflow dags test retail_microbatch`` runs: plan, Spark ingest of the new offsets,
clean of the whole date (every batch so far), gates, KPIs and load. ``kpis_visible_s`` is
the time from the interval's close to the end of ``load_warehouse`` (the KPI rows are
committed), read from the run's own log; ``run_s`` is the whole DAG run.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

MORNING = (dt.time(0), dt.time(12))
INTERVAL = (dt.time(12), dt.time(12, 10))
_END_TASK = re.compile(r"^(\S+Z) .*\[DAG TEST\] end task task_id=(\w+)")

VISIBLE_TABLES = ("kpi_daily_sales", "kpi_orders_per_minute")


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


def task_ends(log_text: str) -> dict[str, dt.datetime]:
    """When each task of an ``airflow dags test`` run ended, from its log."""
    ends = {}
    for line in log_text.splitlines():
        if m := _END_TASK.match(line):
            ends[m.group(2)] = dt.datetime.fromisoformat(m.group(1).replace("Z", "+00:00"))
    return ends


def _produce(env: dict[str, str], day: dt.date, params: dict[str, int], window: tuple) -> dict:
    """Publish one window of ``day`` (this process, the bench's broker and prefix)."""
    cmd = [
        sys.executable, "-m", "simulator", "produce", "--date", day.isoformat(), "-q",
        "--window", f"{window[0]:%H:%M}-{window[1]:%H:%M}",
        "--orders", str(params["orders_per_day"]), "--customers", str(params["customers"]),
        "--products", str(params["products"]),
    ]  # fmt: skip
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"produce {window} failed: {proc.stderr[-2000:]}")
    return {"window": f"{window[0]:%H:%M}-{window[1]:%H:%M}", "wall_s": time.perf_counter() - t0}


def _dag_run(env: dict[str, str], logical: dt.datetime, log: Path) -> dict[str, Any]:
    """``airflow dags test retail_microbatch``; wall time and each task's end (UTC)."""
    cmd = [sys.executable, "-m", "airflow", "dags", "test", "retail_microbatch"]
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    with log.open("w") as fh:
        proc = subprocess.run([*cmd, logical.isoformat()], env=env, stdout=fh, stderr=fh)
    text = log.read_text(errors="replace")
    ends = task_ends(text)
    failed = "Marking task as FAILED" in text
    return {
        "ok": proc.returncode == 0 and not failed,
        "started": started,
        "run_s": time.perf_counter() - t0,
        "ends": ends,
        "log": str(log),
    }


def interval_lines(url: str, day: dt.date) -> int:
    """order_items messages of the last batch (the interval's order lines, poison included)."""
    from retail_kpi.warehouse.db import connect

    with connect(url) as conn:
        row = conn.execute(
            "select coalesce(sum(d.messages), 0) from audit.kafka_batch_date d"
            " where d.batch_id = (select max(batch_id) from audit.kafka_batch)"
            " and d.topic like '%%order_items' and d.ingest_date = %s",
            (day,),
        ).fetchone()
    return int(row[0]) if row else 0


def run(env: dict[str, str], day: dt.date, params: dict[str, int], logs: Path) -> dict[str, Any]:
    """Morning (untimed) + one timed interval; the bench report's ``microbatch`` entry."""
    from retail_kpi.services import kafka

    logs.mkdir(parents=True, exist_ok=True)
    env = {**env, "RETAIL_KAFKA_TOPIC_PREFIX": f"bench{uuid.uuid4().hex[:6]}."}
    started = not env.get("KAFKA_BOOTSTRAP_SERVERS") and not kafka.healthy()
    env.setdefault("KAFKA_BOOTSTRAP_SERVERS", kafka.start())
    try:
        return _measure(env, day, params, logs)
    finally:
        if started:  # the bench started the project's broker: it stops it too
            kafka.stop()


def _measure(env: dict[str, str], day: dt.date, params: dict[str, int], logs: Path) -> dict:
    migrate = subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"], env=env, capture_output=True, text=True
    )
    if migrate.returncode != 0:
        raise RuntimeError(f"airflow db migrate failed: {migrate.stderr[-2000:]}")
    noon = dt.datetime.combine(day, INTERVAL[0], dt.UTC)
    morning_src = _produce(env, day, params, MORNING)
    morning = _dag_run(env, noon, logs / "morning.log")
    interval_src = _produce(env, day, params, INTERVAL)
    closed = dt.datetime.now(dt.UTC)
    timed = _dag_run(env, noon + dt.timedelta(minutes=10), logs / "interval.log")
    load_end = timed["ends"].get("load_warehouse")
    visible = visible_rows(env["WAREHOUSE_URL"], day)
    ok = morning["ok"] and timed["ok"] and load_end is not None and all(visible.values())
    return {
        "path": "Kafka -> retail_microbatch (airflow dags test)",
        "interval": f"{day} {INTERVAL[0]:%H:%M}-{INTERVAL[1]:%H:%M} UTC, after the morning",
        "daily_scale": params,
        "order_lines": interval_lines(env["WAREHOUSE_URL"], day),
        "source": [morning_src, interval_src],
        "morning_run_s": morning["run_s"],
        "run_s": timed["run_s"],
        "task_ends_s": {
            t: (e - closed).total_seconds()
            for t, e in sorted(timed["ends"].items(), key=lambda x: x[1])
        },
        "kpi_rows": visible,
        "ok": ok,
        "kpis_visible_s": (load_end - closed).total_seconds() if load_end else None,
        "logs": [morning["log"], timed["log"]],
        "note": "" if ok else f"failed: see {timed['log']}",
    }


if __name__ == "__main__":  # python -m bench.harness.kafka_micro ENV_JSON DAY PARAMS_JSON LOGS
    env_, day_, params_, logs_ = sys.argv[1:5]
    doc = run(json.loads(env_), dt.date.fromisoformat(day_), json.loads(params_), Path(logs_))
    print(json.dumps(doc, indent=2, default=str))
