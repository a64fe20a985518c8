"""The project's Spark Connect server: started, reachable on loopback only, stopped by PID.

(A whole DAG run through it, compared with spark-submit's warehouse byte for byte:
test_retail_daily_dag.py.)
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import psutil
import pytest

from retail_kpi import config
from retail_kpi.services import spark_connect as service
from spark_jobs.common import SESSION_CONF, connect_session

pytestmark = pytest.mark.integration


def _listening(url: str) -> Any:
    port = int(url.rsplit(":", 1)[1])
    running = [
        c for c in psutil.net_connections("tcp") if c.laddr.port == port and c.status == "LISTEN"
    ]
    assert len(running) == 1, running
    return running[0]


def test_the_server_listens_on_loopback_only(spark_connect: str) -> None:
    listening = _listening(spark_connect)
    assert listening.laddr.ip in ("127.0.0.1", "::ffff:127.0.0.1")


def test_a_client_session_gets_the_jobs_sql_settings(spark_connect: str) -> None:
    with service.client_environment():  # the rest of the session still runs classic Spark
        spark = connect_session("test-client", spark_connect)
        try:
            assert SESSION_CONF["spark.sql.session.timeZone"] == "UTC"
            for key, value in SESSION_CONF.items():
                assert spark.conf.get(key) == value
            assert spark.range(10).selectExpr("sum(id)").collect()[0][0] == 45
        finally:
            spark.stop()
    assert os.environ.get("SPARK_CONNECT_MODE_ENABLED") is None


def test_probing_a_server_leaves_this_process_able_to_run_classic_spark(
    spark_connect: str,
) -> None:
    """pyspark marks a process that made a Connect session; a probe must not (a DAG run
    started from it would fail in spark-submit with CONNECT_URL_NOT_SET)."""
    before = {name: os.environ.get(name) for name in service.CONNECT_MODE_VARIABLES}
    assert service.answers(spark_connect)
    assert {name: os.environ.get(name) for name in service.CONNECT_MODE_VARIABLES} == before


def test_a_server_starts_reports_and_stops_by_its_pid(tmp_path) -> None:
    lineage_env = {**os.environ, "RETAIL_DATA_DIR": str(tmp_path / "data")}
    server = service.ConnectServer(tmp_path, service.free_port(), "local[1]", lineage_env)
    assert server.status().state == "stopped"
    url = server.start(timeout_s=180)
    try:
        st = server.status()
        assert (st.state, st.address) == ("running, healthy", url)
        assert psutil.Process(st.pid).name() == "java"
        assert server.start() == url  # idempotent: the running server is kept
        assert server.pid() == st.pid
    finally:
        assert server.stop()
    assert not psutil.pid_exists(st.pid) or psutil.Process(st.pid).status() == "zombie"
    assert server.status().state == "stopped" and not server.stop()


def test_a_job_pointed_at_no_server_fails_at_once_naming_it(tmp_path) -> None:
    """Without the check the client retries for minutes; the bound here only stops a hang."""
    (tmp_path / "silver").mkdir()
    remote = f"sc://127.0.0.1:{service.free_port()}"
    proc = subprocess.run(
        [sys.executable, "spark_jobs/kpis.py", "--date", "2026-03-01", "--lake", str(tmp_path),
         "--remote", remote],
        capture_output=True, text=True, timeout=120, cwd=config.REPO_ROOT,
    )  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        f"ERROR: Spark Connect at {remote} does not answer (nothing listens on "
        f"127.0.0.1:{remote.rsplit(':', 1)[1]}); start it (make spark-connect) or point the "
        "Airflow connection 'spark' elsewhere."
    )
