"""Fault tests: real Airflow (dag.test), real Spark, real PostgreSQL — each prints a FIGURE.

The warehouse is a throwaway PostgreSQL server started here (initdb/pg_ctl, its own port,
password authentication), so it can be restarted mid-load without touching the shared
server, and so the warehouse password is a real secret to look for in the logs.

Cost control: the lake (landing, silver, KPIs) of the dates is the session's shared
generated lake (tests/generated_lake.py: built once with one warm Spark session
calling the same job functions ``spark-submit`` runs); the Airflow runs then mark those
upstream tasks successful and execute the warehouse tasks for real (``load_warehouse`` +
``validate_warehouse``, with their callbacks, locks and audit). ``RETAIL_FAULT_DAYS``
(default 3) sets the backfill length: every date beyond the shared three costs one clean +
one KPI Spark run; ``RETAIL_FAULT_DAYS=7`` runs the issue's 7-day backfill.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pytest

from retail_kpi.airflow_env import airflow_env
from retail_kpi.services import postgres
from tests.generated_lake import SEED, START, VOLUME
from tests.integration.checksums import table_checksums
from tests.integration.test_ops_alerts import WebhookReceiver

pytestmark = [pytest.mark.integration, pytest.mark.timeout(2400)]

DAYS = int(os.environ.get("RETAIL_FAULT_DAYS", "3"))
DATES = [START + dt.timedelta(days=i) for i in range(DAYS)]
PASSWORD = "fault-pw-9c1e7a"
TOKEN = "T0FAULT/B0FAULT/fault-webhook-secret"
#: The load is held inside its transaction at this fact: it has COPYed order lines,
#: returns and shipments into staging and waits to create the inventory staging table.
BLOCKED = "dw.fct_inventory_daily"
BLOCKED_QUERY = 'like "dw"."fct_inventory_daily"'
UPSTREAM = (
    "wait_for_landing|validate_landing|clean_silver|validate_silver|compute_kpis|validate_kpis"
)
WAIT_S = 600
#: (table, business key) of every fact: a backfill must never duplicate one.
BUSINESS_KEYS = {
    "dw.fct_order_line": "order_id, line_number",
    "dw.fct_return": "return_id",
    "dw.fct_shipment": "shipment_id",
    "dw.fct_web_session": "session_id",
    "dw.fct_inventory_daily": "snapshot_date, warehouse_id, product_key",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def pg_server():
    """A private PostgreSQL with scram passwords on a free port (removed afterwards)."""
    root = Path(tempfile.mkdtemp(prefix="rk_ops_test_pg_", dir="/tmp"))
    root.chmod(0o755)
    data, port = root / "pgdata", _free_port()
    postgres.start(data, port, superuser_password=PASSWORD)
    try:
        yield {"data": data, "port": port}
    finally:
        postgres.stop(data)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def faults_env(pg_server, tmp_path_factory):
    root = tmp_path_factory.mktemp("faults")
    url = f"postgresql://postgres:{PASSWORD}@127.0.0.1:{pg_server['port']}/rk_ops_test_faults"
    hook = WebhookReceiver().__enter__()
    env = airflow_env(
        {
            **os.environ,
            "WAREHOUSE_URL": url,
            "RETAIL_DATA_DIR": str(root / "data"),
            "AIRFLOW_HOME": str(root / "airflow"),
            # the shared lake's generator settings (its landing, done-markers included,
            # is copied, never rebuilt from them: the DAG does not generate)
            "RETAIL_SEED": str(SEED),
            "RETAIL_ORDERS_PER_DAY": str(VOLUME["orders"]),
            "RETAIL_CUSTOMERS": str(VOLUME["customers"]),
            "RETAIL_PRODUCTS": str(VOLUME["products"]),
            "RETAIL_TASK_RETRIES": "0",  # a fault must fail the run now, not after backoff
            "RETAIL_ALERT_CHANNEL": "slack",
            "RETAIL_ALERT_WEBHOOK_URL": hook.url(TOKEN),
        }
    )
    for home in ("airflow", "airflow2"):
        env_home = _home_env(env, root, home)
        proc = subprocess.run(
            [sys.executable, "-m", "airflow", "db", "migrate"], env=env_home, capture_output=True
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
    proc = subprocess.run(
        [sys.executable, "-m", "retail_kpi.bootstrap"], env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    _create_months(url)
    yield {"env": env, "root": root, "url": url, "hook": hook, "logs": []}
    hook.__exit__()


def _home_env(env: dict, root: Path, home: str) -> dict:
    """One Airflow deployment per home: its own folder *and* its own metadata database
    (two deployments sharing one SQLite file would delete each other's runs of a date)."""
    path = root / home
    return {
        **env,
        "AIRFLOW_HOME": str(path),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{path}/airflow.db",
    }


def _create_months(url: str) -> None:
    """Month partitions up front, so the only lock the load can meet is inside its txn.

    Created as the ETL role (``db.connection``), as the load would: it attaches and detaches
    day partitions, which only their owner may do."""
    from retail_kpi.load import partitions
    from retail_kpi.load.facts import FACTS
    from retail_kpi.warehouse.db import connection

    months = sorted({(d - dt.timedelta(days=31)).replace(day=1) for d in DATES} | {
        d.replace(day=1) for d in DATES})  # fmt: skip
    with connection(url) as conn:
        for spec in FACTS:
            partitions.ensure_months(conn, spec.table, spec.date_column, months)


@pytest.fixture(scope="module")
def lake(faults_env, generated_lake):
    """Landing, silver and KPIs of every date: a copy of the session's shared lake."""
    data = Path(faults_env["env"]["RETAIL_DATA_DIR"])
    assert generated_lake.copy(DAYS, data) == DATES
    return data / "lake"


def dagrun(fx: dict, first: dt.date, last: dt.date | None = None, *, home: str = "airflow",
           mark: str = UPSTREAM, wait: bool = True):  # fmt: skip
    """Run retail_daily for dates through ``python -m retail_kpi.ops.dagrun``."""
    env = _home_env(fx["env"], fx["root"], home)
    cmd = [sys.executable, "-m", "retail_kpi.ops.dagrun", "retail_daily", "--from", str(first)]
    cmd += ["--to", str(last or first), "--mark-success", mark]
    log = fx["root"] / f"dagrun-{len(fx['logs'])}.log"
    fx["logs"].append(log)
    fh = log.open("w")
    proc = subprocess.Popen(
        cmd, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True
    )
    if not wait:
        return proc, log
    proc.wait(timeout=WAIT_S)
    fh.close()
    return _results(log)


def _results(log: Path) -> list[dict]:
    lines = [x for x in log.read_text(errors="replace").splitlines() if x.startswith("DAGRUN ")]
    assert lines, f"no DAGRUN line, see {log}"
    return [json.loads(x[len("DAGRUN ") :]) for x in lines]


def _wait_for_lock_wait(url: str, needle: str) -> None:
    """Block until a backend of the warehouse waits on a lock while running ``needle``."""
    deadline = time.monotonic() + WAIT_S
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "select count(*) from pg_stat_activity where datname = current_database() "
                "and wait_event_type = 'Lock' and query ilike %s and backend_xid is not null",
                (f"%{needle}%",),
            ).fetchone()
            if row and row[0]:
                return
            time.sleep(0.2)
    raise AssertionError(f"the load never reached {needle!r}")


def _hold_table_lock(url: str, table: str) -> psycopg.Connection:
    conn = psycopg.connect(url)
    conn.execute(f"lock table {table} in access exclusive mode")
    return conn


def _rows_of(url: str, day: dt.date) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "select count(*) from dw.fct_order_line where order_date = %s", (day,)
        ).fetchone()
    return int(row[0]) if row else 0


def _checksums(url: str) -> dict:
    with psycopg.connect(url) as conn:
        return table_checksums(conn)


@pytest.fixture(scope="module")
def restarted(faults_env, lake, pg_server):
    """Restart PostgreSQL while load_warehouse of START is inside its transaction."""
    fx, url = faults_env, faults_env["url"]
    blocker = _hold_table_lock(url, BLOCKED)
    proc, log = dagrun(fx, START, wait=False)
    _wait_for_lock_wait(url, BLOCKED_QUERY)
    postgres.restart(pg_server["data"])
    proc.wait(timeout=WAIT_S)
    blocker.close()
    failed = _results(log)[0]
    visible_after_failure = _rows_of(url, START)
    posts_after_failure = list(fx["hook"].posts)
    rerun = dagrun(fx, START)[0]
    return failed, visible_after_failure, posts_after_failure, rerun


def test_restart_postgres_mid_load_fails_cleanly_and_rerun_succeeds(restarted, faults_env):
    failed, visible, posts, rerun = restarted
    print(f"FIGURE restart mid-load: rows of {START} visible after the failure: {visible}")
    assert failed["tasks"]["load_warehouse"] == "failed" and failed["state"] == "failed"
    assert visible == 0
    assert len(posts) == 1 and "retail_daily.load_warehouse failed" in posts[0]["text"]
    assert rerun["state"] == "success"
    assert _rows_of(faults_env["url"], START) > 0


@pytest.fixture(scope="module")
def backfilled(faults_env, restarted):
    """Backfill every date twice; checksums and duplicate keys after each pass."""
    url, out = faults_env["url"], []
    for _ in range(2):
        results = dagrun(faults_env, DATES[0], DATES[-1])
        assert all(r["state"] == "success" for r in results), results
        with psycopg.connect(url) as conn:
            dups = {
                t: conn.execute(f"select count(*) - count(distinct ({k})) from {t}").fetchone()[0]
                for t, k in BUSINESS_KEYS.items()
            }
        out.append((_checksums(url), dups))
    return out


def test_backfill_twice_leaves_no_duplicates_and_equal_checksums(backfilled):
    (first, dups1), (second, dups2) = backfilled
    rows = first["dw.fct_order_line"][0]
    print(f"FIGURE backfill {DAYS} days x2: duplicate business keys {sum(dups2.values())}, "
          f"{len(first)} tables equal={first == second}, {rows} order lines")  # fmt: skip
    assert rows > 0
    assert sum(dups1.values()) == sum(dups2.values()) == 0
    assert second == first


def test_kill_load_mid_transaction_then_rerun_equals_clean_run(faults_env, backfilled):
    fx, url, day = faults_env, faults_env["url"], DATES[min(3, DAYS - 1)]
    clean = backfilled[-1][0]
    blocker = _hold_table_lock(url, BLOCKED)
    proc, _ = dagrun(fx, day, wait=False)
    # The load has COPYed three facts into staging and waits inside its transaction.
    _wait_for_lock_wait(url, BLOCKED_QUERY)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    blocker.close()
    after_kill = _checksums(url)
    rerun = dagrun(fx, day)[0]
    after_rerun = _checksums(url)
    print(f"FIGURE kill -9 mid-load of {day}: state after kill equals clean run: "
          f"{after_kill == clean}; after rerun: {after_rerun == clean}")  # fmt: skip
    assert after_kill == clean
    assert rerun["state"] == "success"
    assert after_rerun == clean


def test_two_concurrent_runs_of_one_date_end_in_the_state_of_one_run(faults_env, backfilled):
    fx, url, day = faults_env, faults_env["url"], DATES[-1]
    clean = backfilled[-1][0]
    # both runs also wait for the landing for real (the shared lake's done-marker)
    mark = UPSTREAM.replace("wait_for_landing|", "")
    runs = [dagrun(fx, day, home=h, mark=mark, wait=False) for h in ("airflow", "airflow2")]
    for proc, _ in runs:
        proc.wait(timeout=WAIT_S)
    results = [_results(log)[0] for _, log in runs]
    waits = sum(log.read_text().count("waiting for the lock of date") for _, log in runs)
    print(
        f"FIGURE concurrent runs of {day}: both {[r['state'] for r in results]}, "
        f"date-lock waits {waits}, final state equals one run: {_checksums(url) == clean}"
    )
    assert [r["state"] for r in results] == ["success", "success"]
    assert _checksums(url) == clean


def test_secrets_never_appear_in_task_logs(faults_env, backfilled):
    fx = faults_env
    texts = [p.read_text(errors="replace") for p in fx["logs"]]
    texts += [
        p.read_text(errors="replace") for p in fx["root"].rglob("*.log") if p not in fx["logs"]
    ]
    hits = sum(t.count(PASSWORD) + t.count("fault-webhook-secret") for t in texts)
    print(f"FIGURE secrets in {len(texts)} log files: {hits} occurrences")
    assert hits == 0
    # The secrets were really in use: the server refuses a login without the password.
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(fx["url"].replace(f":{PASSWORD}", ""), connect_timeout=5).close()
