"""Two loads of one date at once, and loads killed mid-COPY and at every former commit point
(real processes, real server)."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from retail_kpi import config
from retail_kpi.kpi import catalogue
from retail_kpi.load import load_date
from retail_kpi.warehouse.db import database_name, xact_lock
from retail_kpi.warehouse.migrate import migrate
from tests.integration.checksums import table_checksums
from tests.integration.test_warehouse_load import make_settings
from tests.integration.warehouse_helpers import DAY1, DAY2, WRITERS, fetch
from tests.synthetic import write_day

pytestmark = pytest.mark.integration
WAIT_S = 300
#: Big enough that the COPY into the new day partition lasts long enough to be caught.
KILL_LINES = 200_000


def load_process(s: config.Settings, day: dt.date, run_id: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "WAREHOUSE_URL": s.warehouse_url,
        "RETAIL_DATA_DIR": str(s.data_dir),
        "RETAIL_LAKE_DIR": str(s.lake_dir),
        "PYTHONPATH": str(config.REPO_ROOT),
    }
    cmd = [
        sys.executable,
        "-m",
        "retail_kpi",
        "load",
        "--date",
        day.isoformat(),
        "--run-id",
        run_id,
    ]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def wait_for(condition, what: str, proc: subprocess.Popen | None = None) -> None:
    """Poll ``condition`` until true (not a timing assertion: it only bounds a hang)."""
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if proc is not None and proc.poll() is not None:
            out = proc.stdout.read().decode() if proc.stdout else ""
            pytest.fail(f"the loader exited (rc={proc.returncode}) before {what}:\n{out[-2000:]}")
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.01)


def test_two_concurrent_loads_of_a_date_end_as_one_load(make_database, tmp_path):
    s = make_settings(make_database("rk_wh_test_conc"), tmp_path / "a")
    ref = make_settings(make_database("rk_wh_test_conc_ref"), tmp_path / "b")
    for target in (s, ref):
        migrate(target.warehouse_url)
        for day in (DAY1, DAY2):
            WRITERS[day](target.lake_dir)
        load_date(DAY1, settings=target, run_id="base")
    load_date(DAY2, settings=ref, run_id="once")
    dbname = database_name(s.warehouse_url)
    with psycopg.connect(s.warehouse_url) as gate, psycopg.connect(s.warehouse_url) as probe:
        probe.autocommit = True
        # Hold the date's lock so that both loaders are queued on it, then let them race.
        xact_lock(gate, f"load:{DAY2.isoformat()}")
        procs = [load_process(s, DAY2, f"concurrent-{i}") for i in (1, 2)]

        def both_waiting() -> bool:
            rows = fetch(
                probe,
                "select count(*) from pg_locks l join pg_stat_activity a using (pid)"
                " where l.locktype = 'advisory' and not l.granted and a.datname = %s",
                dbname,
            )
            return rows[0][0] == 2

        for p in procs:
            wait_for(both_waiting, "both loaders wait for the date lock", p)
        gate.rollback()
        outputs = [p.communicate(timeout=WAIT_S)[0].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    with psycopg.connect(s.warehouse_url) as a, psycopg.connect(ref.warehouse_url) as b:
        assert table_checksums(a) == table_checksums(b)
        runs = fetch(
            a, "select run_id from audit.run_audit where entity = 'fct_order_line' order by 1"
        )
    assert runs == [("base",), ("concurrent-1",), ("concurrent-2",)]


def test_killed_load_leaves_previous_state_and_rerun_recovers(make_database, tmp_path):
    s = make_settings(make_database("rk_wh_test_kill"), tmp_path)
    migrate(s.warehouse_url)
    day = dt.date(2024, 6, 3)
    write_day(s.lake_dir, day, 3_000, customers=2_000, products=50, seed=1)
    load_date(day, settings=s, run_id="before")
    with psycopg.connect(s.warehouse_url) as conn:
        before = table_checksums(conn)
    # The day is cleaned again with other data; its load gets killed while copying it.
    write_day(s.lake_dir, day, KILL_LINES, customers=2_000, products=50, seed=2)
    proc = load_process(s, day, "killed")
    with psycopg.connect(s.warehouse_url, autocommit=True) as probe:
        dbname = database_name(s.warehouse_url)

        def copying_facts() -> bool:
            rows = fetch(
                probe,
                "select count(*) from pg_stat_progress_copy"
                " where datname = %s and command = 'COPY FROM' and tuples_processed > %s",
                dbname,
                10_000,  # more than the dimension snapshots: this is the fact COPY
            )
            return rows[0][0] > 0

        wait_for(copying_facts, "the fact COPY started", proc)
        proc.kill()
        proc.wait(timeout=WAIT_S)

        def backend_gone() -> bool:
            rows = fetch(
                probe,
                "select count(*) from pg_stat_activity"
                " where datname = %s and pid <> pg_backend_pid()",
                dbname,
            )
            return rows[0][0] == 0

        wait_for(backend_gone, "the killed loader's session ended")
        assert table_checksums(probe) == before
        assert fetch(probe, "select count(*) from pg_tables where schemaname = 'staging'"
                     " and tablename like 'fct%'") == [(0,)]  # fmt: skip
    counts = load_date(day, settings=s, run_id="rerun")
    assert counts["fct_order_line"] == KILL_LINES
    with psycopg.connect(s.warehouse_url) as conn:
        assert fetch(conn, "select count(*) from dw.fct_order_line") == [(KILL_LINES,)]


#: Where a load used to commit, or may stop: the table it is blocked on when killed.
#: kpi_daily_sales = facts swapped in, no KPI written yet (the old first commit);
#: kpi_engagement_daily = half the catalogue KPI tables replaced (the old per-date
#: commits); run_audit = everything written but the audit row.
KILL_POINTS = ("mart.kpi_daily_sales", "mart.kpi_engagement_daily", "audit.run_audit")
KPI_DAY = dt.date(2024, 6, 3)


def write_kpi_output(s: config.Settings, day: dt.date, seed: int) -> None:
    """What the KPI job writes for ``day``: every catalogue table, ``seed`` rows each.

    Values are typed from the table's NOT NULL columns (the others stay NULL), so old and
    new outputs differ in every table without running Spark.
    """
    month = day.replace(day=1)
    with psycopg.connect(s.warehouse_url) as conn:
        for t in catalogue.load().tables:
            d = day if t.period == "day" else month
            cols = fetch(
                conn,
                "select column_name, data_type from information_schema.columns"
                " where table_schema = 'mart' and table_name = %s and is_nullable = 'NO'"
                " order by ordinal_position",
                t.name,
            )
            rows = {name: [] for name, _ in cols}
            for i in range(seed):
                for name, kind in cols:
                    rows[name].append(
                        d
                        if name == t.date_column or kind == "date"
                        else dt.datetime.combine(d, dt.time(0, i))
                        if kind.startswith("timestamp")
                        else f"S{seed}-{i}"
                        if kind == "text"
                        else Decimal(seed * 10 + i)
                        if kind == "numeric"
                        else seed * 10 + i
                    )
            folder = s.kpi_dir / t.name / f"dt={d.isoformat()}"
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(pa.table(rows), folder / "part-0.parquet")
    touched = s.kpi_dir / "_touched" / f"dt={day.isoformat()}.json"
    touched.parent.mkdir(parents=True, exist_ok=True)
    touched.write_text(json.dumps({"days": [str(day)], "months": [str(month)], "run_id": "t"}))


def write_state(s: config.Settings, seed: int) -> None:
    write_day(s.lake_dir, KPI_DAY, 3_000, customers=2_000, products=50, seed=seed)
    write_kpi_output(s, KPI_DAY, seed)


@pytest.fixture(scope="module")
def clean_run(make_database, tmp_path_factory) -> dict:
    """Checksums of a date loaded with the old data, then the new data, nobody killed."""
    s = make_settings(make_database("rk_wh_test_kill_ref"), tmp_path_factory.mktemp("ref"))
    migrate(s.warehouse_url)
    for seed in (1, 2):
        write_state(s, seed)
        load_date(KPI_DAY, settings=s, run_id=f"seed-{seed}")
    with psycopg.connect(s.warehouse_url) as conn:
        return table_checksums(conn)


@pytest.mark.parametrize("blocked", KILL_POINTS)
def test_load_killed_at_each_boundary_leaves_the_date_old_then_rerun_is_clean(
    make_database, tmp_path, clean_run, blocked
):
    s = make_settings(make_database("rk_wh_test_killpt"), tmp_path)
    migrate(s.warehouse_url)
    write_state(s, 1)
    load_date(KPI_DAY, settings=s, run_id="before")
    with psycopg.connect(s.warehouse_url) as conn:
        before = table_checksums(conn)
        kpi_rows = fetch(
            conn,
            "select count(*) from audit.run_audit where entity like 'kpi%%' and run_id = %s",
            "before",
        )
    assert kpi_rows == [(len(catalogue.load().tables),)]  # every KPI table is in the load
    write_state(s, 2)
    dbname = database_name(s.warehouse_url)
    holder = psycopg.connect(s.warehouse_url)
    holder.execute(f"lock table {blocked} in access exclusive mode")
    proc = load_process(s, KPI_DAY, "killed")
    with psycopg.connect(s.warehouse_url, autocommit=True) as probe:

        def blocked_on_table() -> bool:
            rows = fetch(
                probe,
                "select count(*) from pg_locks l join pg_stat_activity a using (pid)"
                " where a.datname = %s and not l.granted and l.relation = %s::regclass",
                dbname,
                blocked,
            )
            return rows[0][0] > 0

        wait_for(blocked_on_table, f"the load waits for {blocked}", proc)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=WAIT_S)
        holder.rollback()
        holder.close()

        def backend_gone() -> bool:
            rows = fetch(
                probe,
                "select count(*) from pg_stat_activity"
                " where datname = %s and pid <> pg_backend_pid()",
                dbname,
            )
            return rows[0][0] == 0

        wait_for(backend_gone, "the killed loader's session ended")
        assert table_checksums(probe) == before  # every dw and mart table, KPIs included
        assert fetch(probe, "select count(*) from audit.run_audit where run_id = 'killed'") == [
            (0,)
        ]
    load_date(KPI_DAY, settings=s, run_id="rerun")
    with psycopg.connect(s.warehouse_url) as conn:
        assert table_checksums(conn) == clean_run
