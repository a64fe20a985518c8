"""``python -m retail_kpi demo``: run retail_daily for a few dates and show the KPIs.

This is what ``make demo`` runs after installing the venv. Per date, the upstream
simulator (``python -m retail_kpi generate``) first drops the landing files and their
done-marker, as a real source would; the DAG only waits for them. It uses real Airflow
(``airflow dags test``, SQLite metadata), real Spark (local[*]) and the warehouse of
WAREHOUSE_URL (or the project-local PostgreSQL the bootstrap starts), then reads the
KPI table back from Postgres.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

from retail_kpi.airflow_env import airflow_env
from retail_kpi.cli_args import iso_date
from retail_kpi.config import settings
from retail_kpi.warehouse.db import redact

DEFAULT_START = dt.date(2026, 2, 2)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--start",
        type=iso_date,
        default=DEFAULT_START,
        help=f"first business date (default {DEFAULT_START})",
    )
    parser.add_argument("--days", type=int, default=3, help="consecutive dates to run (default 3)")
    parser.add_argument(
        "--report-only", action="store_true", help="skip the runs, only print the KPI table"
    )


def _step(title: str, cmd: list[str], env: dict[str, str], log: Path) -> None:
    started = time.monotonic()
    print(f"==> {title} ...", flush=True)
    with log.open("w") as fh:
        proc = subprocess.run(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT, check=False)
    took = time.monotonic() - started
    if proc.returncode != 0:
        tail = "".join(log.read_text().splitlines(keepends=True)[-40:])
        raise SystemExit(f"{tail}\n{title} failed after {took:.0f}s; full log: {log}")
    print(f"    done in {took:.1f}s (log: {log})", flush=True)


def demo_env(start: dt.date) -> dict[str, str]:
    """The demo's environment: its store opens on its first date, unless set otherwise.

    Without an opening date, shipments and returns of the first days would refer to
    orders of the week before, which a new warehouse never saw (quarantined ORPHAN_KEY).
    """
    os.environ.setdefault("RETAIL_OPENED_ON", start.isoformat())
    return airflow_env(dags_test=True)


def run_dates(start: dt.date, days: int) -> None:
    env = demo_env(start)
    logs = settings().data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    py = sys.executable
    migrate = [py, "-m", "airflow", "db", "migrate"]
    _step("airflow db migrate", migrate, env, logs / "airflow-db.log")
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        _step(
            f"landing {day} (upstream simulator: python -m retail_kpi generate)",
            [py, "-m", "retail_kpi", "generate", "--date", day.isoformat(), "-q"],
            env,
            logs / f"generate-{day}.log",
        )
        _step(
            f"retail_daily {day} (airflow dags test)",
            [py, "-m", "airflow", "dags", "test", "retail_daily", day.isoformat()],
            env,
            logs / f"retail_daily-{day}.log",
        )


def report(start: dt.date, days: int) -> None:
    import psycopg

    end = start + dt.timedelta(days=days - 1)
    with psycopg.connect(settings().warehouse_url) as conn:
        rows = conn.execute(
            """
            select sales_date, country_code, orders, net_sales_usd, avg_order_value_usd
            from mart.kpi_daily_sales where sales_date between %s and %s
            order by sales_date, country_code
            """,
            (start, end),
        ).fetchall()
    if not rows:
        raise SystemExit(f"No KPI rows for {start}..{end} in mart.kpi_daily_sales; run the demo.")
    where = redact(settings().warehouse_url)  # never the password
    print(f"\nDaily sales KPIs read back from Postgres ({where}):")
    print(f"{'date':<12}{'country':<9}{'orders':>8}{'net sales USD':>16}{'AOV USD':>10}")
    for day, country, orders, net, aov in rows:
        print(f"{day!s:<12}{country:<9}{orders:>8}{net:>16,.2f}{aov:>10,.2f}")
    s = settings()
    print_reconciliation(s.lake_dir, start, days)
    print(
        "\nWhere to look next:\n"
        f"  raw files      {s.landing_dir}\n"
        f"  parquet lake   {s.lake_dir} (silver/, quarantine/, kpi/)\n"
        f"  run logs       {s.data_dir / 'logs'}\n"
        f"  warehouse      {redact(s.warehouse_url)}  (schemas dw, mart, audit){_password_hint()}\n"
        "  Airflow UI     make airflow      Superset   make superset      services  make services"
    )


def _password_hint() -> str:
    """Where the login's password is, when it is one the project generated."""
    from retail_kpi import config

    if config.managed_warehouse() and "WAREHOUSE_URL" not in os.environ:
        return f"\n                 password: RETAIL_ETL_PASSWORD in {config.SECRETS_FILE}"
    return ""


def print_reconciliation(lake: Path, start: dt.date, days: int) -> None:
    """Per landing date: records in = clean + quarantined + deduplicated (all entities)."""
    import json

    print("\nEvery landing record accounted for (lake/_audit/clean/dt=<date>/reconciliation.json):")
    print(f"{'date':<12}{'in':>9}{'clean':>9}{'quarantined':>13}{'deduplicated':>14}  top reasons")
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        path = lake / "_audit" / "clean" / f"dt={day}" / "reconciliation.json"
        if not path.exists():
            continue
        entities = json.loads(path.read_text())["entities"].values()
        total = {k: sum(e[k] for e in entities) for k in
                 ("rows_in", "rows_clean", "rows_quarantined", "rows_deduplicated")}  # fmt: skip
        reasons: dict[str, int] = {}
        for e in entities:
            for code, n in e["by_reason"].items():
                reasons[code] = reasons.get(code, 0) + n
        top = ", ".join(f"{c} {n}" for c, n in sorted(reasons.items(), key=lambda x: -x[1])[:3])
        print(
            f"{day!s:<12}{total['rows_in']:>9}{total['rows_clean']:>9}"
            f"{total['rows_quarantined']:>13}{total['rows_deduplicated']:>14}  {top}"
        )
    opened = settings().opened_on
    if opened is not None:
        print(
            f"  (The store opened on {opened} (RETAIL_OPENED_ON): shipments report on orders of\n"
            "   7 days before and returns on the 7 previous days, so the first week has few.)"
        )


def run(args: argparse.Namespace) -> int:
    if not args.report_only:
        run_dates(args.start, args.days)
    report(args.start, args.days)
    return 0
