"""The date lock (retail_kpi.warehouse.locks) between processes, on a real PostgreSQL.

Nothing host-local: the lock is a session advisory lock in the warehouse, so a holder in
another process (on another host alike) makes a second run of the date wait, the waiting
run says who holds it, and a holder killed with SIGKILL frees the date.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import psycopg
import pytest

from retail_kpi import config
from retail_kpi.warehouse import locks
from retail_kpi.warehouse.db import LOCK_NAMESPACE, database_name

pytestmark = pytest.mark.integration
DAY = "2026-03-02"
WAIT_S = 120
#: pg_locks is server-wide: count only the test database's locks.
THIS_DB = " and database = (select oid from pg_database where datname = current_database())"
HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from retail_kpi.warehouse.locks import date_lock
    marker, release = Path(sys.argv[1]), Path(sys.argv[2])
    with date_lock(sys.argv[3], "run-1 clean_silver"):
        marker.write_text("held")
        while not release.exists():
            time.sleep(0.01)
        marker.write_text("released")
    """
)


@pytest.fixture
def lock_env(make_database, monkeypatch, tmp_path) -> str:
    url = make_database("rk_ops_test_locks")
    monkeypatch.setenv("WAREHOUSE_URL", url)
    monkeypatch.setenv("RETAIL_DATA_DIR", str(tmp_path))
    return url


def wait_for(condition, what: str) -> None:
    """Poll ``condition`` (bounds a hang; no timing is asserted)."""
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.01)


def start_holder(tmp_path: Path, day: str = DAY) -> tuple[subprocess.Popen, Path, Path]:
    marker, release = tmp_path / "marker", tmp_path / "release"
    env = {**os.environ, "PYTHONPATH": str(config.REPO_ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(marker), str(release), day], env=env)
    wait_for(lambda: marker.exists() or proc.poll() is not None, "the holder took the lock")
    assert proc.poll() is None, "the holder process exited before taking the lock"
    return proc, marker, release


def waiting_sessions(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "select count(*) from pg_locks l join pg_stat_activity a using (pid)"
            " where l.locktype = 'advisory' and not l.granted and a.datname = %s",
            (database_name(url),),
        ).fetchone()
    return int(row[0]) if row else 0


def test_a_second_run_of_the_same_date_waits_for_the_first(lock_env, tmp_path, caplog):
    proc, marker, release = start_holder(tmp_path)
    with locks.date_lock("2026-03-03", "other date"):
        pass  # another date is free while DAY is held
    assert "waiting" not in caplog.text

    def release_once_we_wait() -> None:
        wait_for(lambda: waiting_sessions(lock_env) == 1, "this process waits for the lock")
        release.touch()

    releaser = threading.Thread(target=release_once_we_wait)
    releaser.start()
    with (
        caplog.at_level(logging.INFO, logger="retail_kpi.warehouse.locks"),
        locks.date_lock(DAY, "run-2 clean_silver"),
    ):
        # Order, not time, is asserted: we only get the lock after the holder let go.
        assert marker.read_text() == "released"
    releaser.join()
    assert proc.wait(timeout=WAIT_S) == 0
    assert f"waiting for the lock of date {DAY} held by run-1 clean_silver (backend pid" in (
        caplog.text
    )


def test_a_killed_holder_frees_the_date(lock_env, tmp_path):
    proc, _, _ = start_holder(tmp_path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=WAIT_S)
    with locks.date_lock(DAY, "after the kill"):  # the server ended the holder's session
        with psycopg.connect(lock_env, autocommit=True) as conn:
            row = conn.execute(
                "select count(*) from pg_locks where locktype = 'advisory' and granted" + THIS_DB
            ).fetchone()
        assert row == (1,)


def test_the_lock_is_released_on_exit(lock_env):
    with locks.date_lock(DAY, "first"):
        pass
    with psycopg.connect(lock_env, autocommit=True) as conn:
        assert conn.execute(
            "select count(*) from pg_locks where locktype = 'advisory'" + THIS_DB
        ).fetchone() == (0,)
        assert conn.execute(
            "select pg_try_advisory_lock(%s, hashtext(%s))", (LOCK_NAMESPACE, locks.lock_name(DAY))
        ).fetchone() == (True,)


def test_a_spark_task_holds_the_lock_while_its_job_runs(lock_env, monkeypatch, tmp_path):
    from retail_kpi.ops.spark import DateLockedSparkSubmitOperator

    seen: list[bool] = []

    def submit(self, context):  # stands for the job (spark-submit or a Spark Connect client):
        # is DAY free for another session?
        with psycopg.connect(lock_env, autocommit=True) as other:
            row = other.execute(
                "select pg_try_advisory_lock(%s, hashtext(%s))",
                (LOCK_NAMESPACE, locks.lock_name(DAY)),
            ).fetchone()
        seen.append(bool(row and row[0]))

    monkeypatch.setattr(DateLockedSparkSubmitOperator, "_submit", submit)
    task = DateLockedSparkSubmitOperator(
        task_id="clean_silver", application="job.py", py_files=str(tmp_path / "code.zip")
    )
    task.execute({"ds": DAY, "run_id": "run-1"})
    assert seen == [False]  # held during the submit
    with psycopg.connect(lock_env, autocommit=True) as conn:  # and released after it
        assert conn.execute(
            "select count(*) from pg_locks where locktype = 'advisory'" + THIS_DB
        ).fetchone() == (0,)
