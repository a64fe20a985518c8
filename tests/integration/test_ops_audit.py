"""The run audit through real Airflow: asset-triggered runs and cleared tasks.

``retail_bi_refresh`` is asset-triggered: its runs have no logical date, so no ``ds``,
and its audit rows used to stay ``running`` (the success callback failed on
``context["ds"]``). A task a user clears runs again with a higher ``try_number`` but
is not a retry. ``audit_runs.py`` creates the runs as the scheduler and the UI's *Clear*
do, and runs the tasks with Airflow's task runner and the production ``default_args``
(``RETAIL_TASK_RETRIES=1``). Expected rows are written out by hand below.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import psycopg
import pytest

from retail_kpi.airflow_env import airflow_env
from tests.conftest import free_ports

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
DAY = "2026-03-02"

PROBE_DAG = '''
"""Test DAG: ``flaky`` fails on its first try only, ``steady`` always succeeds."""
import pendulum
from airflow.sdk import DAG, task
from retail_kpi.ops import dag_tasks

with DAG("audit_probe", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
         default_args=dag_tasks.default_args(), tags=["test"], doc_md=__doc__):

    @task(task_id="flaky")
    def flaky(ti=None):
        if ti.try_number == 1:
            raise RuntimeError("transient failure on the first try")
        return {}

    @task(task_id="steady")
    def steady():
        return {}

    flaky()
    steady()
'''


@pytest.fixture(scope="module")
def audited(tmp_path_factory, make_database) -> dict:
    """Run ``audit_runs.py`` once; return the audit rows, the per-run view and the logs."""
    root = tmp_path_factory.mktemp("ops_audit")
    dags = root / "dags"
    dags.mkdir()
    bi_refresh = (REPO / "dags" / "retail_bi_refresh.py").read_text()
    (dags / "retail_bi_refresh.py").write_text(bi_refresh)
    (dags / "audit_probe.py").write_text(textwrap.dedent(PROBE_DAG))
    url = make_database("rk_ops_test_audit")
    (closed_port,) = free_ports(1)
    env = airflow_env(
        {
            **os.environ,
            "WAREHOUSE_URL": url,
            "RETAIL_DATA_DIR": str(root / "data"),
            "AIRFLOW_HOME": str(root / "airflow"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
            "RETAIL_TASK_RETRIES": "1",
            "RETAIL_RETRY_DELAY_SECONDS": "1",
            "RETAIL_ALERT_CHANNEL": "log",
            # Nothing listens there: the refresh reports Superset unreachable, as designed.
            "SUPERSET_URL": f"http://127.0.0.1:{closed_port}",
            "SUPERSET_PASSWORD": "unused",
        }
    )
    for cmd in (["-m", "retail_kpi.bootstrap"], ["-m", "airflow", "db", "migrate"]):
        proc = subprocess.run([sys.executable, *cmd], env=env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-3000:]
    run = subprocess.run(
        [sys.executable, str(REPO / "tests" / "integration" / "audit_runs.py"), DAY],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = run.stdout + run.stderr
    (root / "audit_runs.log").write_text(output)
    assert run.returncode == 0, f"see {root / 'audit_runs.log'}:\n{output[-3000:]}"
    logs = [output] + [p.read_text(errors="replace") for p in (root / "airflow").rglob("*.log")]
    with psycopg.connect(url) as conn:
        tries = conn.execute(
            "select dag_id, task_id, try_number, retry_number, state, run_type,"
            " business_date::text from audit.task_run order by dag_id, task_id, try_number"
        ).fetchall()
        runs = conn.execute(
            "select dag_id, state, business_date::text, task_count, max_retries_used,"
            " finished_at is not null from audit.v_dag_run order by dag_id"
        ).fetchall()
        (refreshed,) = conn.execute(
            "select details -> 'dates' from audit.task_run"
            " where dag_id = 'retail_bi_refresh' and try_number = 1"
        ).fetchone()
    return {"tries": tries, "runs": runs, "refreshed": refreshed, "logs": "\n".join(logs)}


def test_an_asset_triggered_run_ends_success_on_the_date_its_event_carries(audited):
    assert audited["tries"][-2] == (
        "retail_bi_refresh", "refresh_bi", 1, 0, "success", "asset_triggered", DAY
    )  # fmt: skip
    assert audited["refreshed"] == [DAY]
    assert "run audit callback" not in audited["logs"]  # no callback failed


def test_a_cleared_task_runs_again_without_counting_a_retry(audited):
    assert audited["tries"][-1] == (
        "retail_bi_refresh", "refresh_bi", 2, 0, "success", "asset_triggered", DAY
    )  # fmt: skip
    # One task, two tries, no retry (V301 said 1: max(try_number) - 1), finished.
    assert audited["runs"][-1] == ("retail_bi_refresh", "success", DAY, 1, 0, True)


def test_a_real_retry_still_counts_and_a_later_clear_adds_none(audited):
    assert audited["tries"][:-2] == [
        ("audit_probe", "flaky", 1, 0, "up_for_retry", "manual", DAY),
        ("audit_probe", "flaky", 2, 1, "success", "manual", DAY),
        ("audit_probe", "flaky", 3, 0, "success", "manual", DAY),
        ("audit_probe", "steady", 1, 0, "success", "manual", DAY),
        ("audit_probe", "steady", 2, 0, "success", "manual", DAY),
    ]
    # flaky used one retry (try 2); the clear's try 3 is not one (V301 said 2).
    assert audited["runs"][0] == ("audit_probe", "success", DAY, 2, 1, True)
