"""Failure alerts through real Airflow: silent while a task retries, one alert per final failure.

A tiny DAG written to a temporary DAG folder uses the production ``default_args``
(``retail_kpi.ops.dag_tasks``): the same retries, audit callbacks and alert callback as
``retail_daily``. Alerts go to a real HTTP server standing in for the Slack webhook, so
the test counts the notifications that were actually delivered.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg
import pytest

from retail_kpi.airflow_env import airflow_env

pytestmark = pytest.mark.integration

DAY = "2026-03-02"
WEBHOOK_TOKEN = "T0000/B0000/s3cr3t-webhook-token-ops"

FLAKY_DAG = '''
"""Test DAG: one task fails on its first try only, another fails on every try."""
import logging
import os

import pendulum
from airflow.sdk import DAG, task
from retail_kpi.ops import dag_tasks

with DAG("ops_alert_probe", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
         default_args=dag_tasks.default_args(), tags=["test"], doc_md=__doc__):

    @task(task_id="flaky")
    def flaky(ti=None):
        if ti.try_number == 1:
            raise RuntimeError("transient failure on the first try")
        return {"counts": {}}

    @task(task_id="broken")
    def broken():
        # A careless log line: the masker must turn the secret into ***.
        logging.getLogger("probe").info("PROBE webhook=%s", os.environ["RETAIL_ALERT_WEBHOOK_URL"])
        raise RuntimeError("permanent failure")

    flaky()
    broken()
'''


class WebhookReceiver:
    """A real HTTP server that records every JSON body POSTed to it (a Slack stand-in)."""

    def __init__(self) -> None:
        self.posts: list[dict] = []
        received = self.posts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append({"path": self.path, **json.loads(body)})
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, token: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/services/{token}"

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def dagrun(env: dict[str, str], day: str) -> subprocess.CompletedProcess[str]:
    """``python -m retail_kpi.ops.dagrun`` of the probe DAG for ``day``."""
    cmd = [sys.executable, "-m", "retail_kpi.ops.dagrun", "ops_alert_probe", "--from", day]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def probe_run(tmp_path_factory, make_database):
    """Run the probe DAG once with alerts going to the webhook receiver."""
    root = tmp_path_factory.mktemp("ops_alerts")
    dags = root / "dags"
    dags.mkdir()
    (dags / "ops_alert_probe.py").write_text(textwrap.dedent(FLAKY_DAG))
    url = make_database("rk_ops_test_alerts")
    with WebhookReceiver() as hook:
        env = airflow_env(
            {
                **os.environ,
                "WAREHOUSE_URL": url,
                "RETAIL_DATA_DIR": str(root / "data"),
                "AIRFLOW_HOME": str(root / "airflow"),
                "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
                "RETAIL_TASK_RETRIES": "1",
                "RETAIL_RETRY_DELAY_SECONDS": "1",
                "RETAIL_ALERT_CHANNEL": "slack",
                "RETAIL_ALERT_WEBHOOK_URL": hook.url(WEBHOOK_TOKEN),
            }
        )
        for cmd in (["-m", "retail_kpi.bootstrap"], ["-m", "airflow", "db", "migrate"]):
            proc = subprocess.run([sys.executable, *cmd], env=env, capture_output=True, text=True)
            assert proc.returncode == 0, proc.stderr[-3000:]
        run = dagrun(env, DAY)
    output = run.stdout + run.stderr
    (root / "dagrun.log").write_text(output)
    line = next((x for x in run.stdout.splitlines() if x.startswith("DAGRUN ")), None)
    assert line, f"no DAGRUN line, see {root / 'dagrun.log'}:\n{output[-3000:]}"
    return {
        "result": json.loads(line[len("DAGRUN ") :]),
        "posts": list(hook.posts),
        "output": output,
        "airflow_home": Path(env["AIRFLOW_HOME"]),
        "url": url,
        "env": env,
    }


def test_a_task_that_fails_once_then_succeeds_sends_zero_notifications(probe_run):
    assert probe_run["result"]["tasks"]["flaky"] == "success"
    about_flaky = [p for p in probe_run["posts"] if "ops_alert_probe.flaky" in p["text"]]
    print(f"FIGURE fail-once-then-succeed notifications: {len(about_flaky)}")
    assert about_flaky == []


def test_a_final_failure_sends_exactly_one_notification_with_what_on_call_needs(probe_run):
    assert probe_run["result"]["tasks"]["broken"] == "failed"
    assert len(probe_run["posts"]) == 1
    text = probe_run["posts"][0]["text"]
    assert "ops_alert_probe.broken failed" in text
    assert probe_run["result"]["run_id"] in text
    assert "RuntimeError: permanent failure" in text
    assert "/dags/ops_alert_probe/runs/" in text and "tasks/broken?try_number=2" in text
    assert "RUNBOOK.md#broken-failed" in text


def test_every_try_is_in_the_run_audit(probe_run):
    with psycopg.connect(probe_run["url"]) as conn:
        rows = conn.execute(
            "select task_id, try_number, state from audit.task_run "
            "where dag_id = 'ops_alert_probe' order by task_id, try_number"
        ).fetchall()
        run = conn.execute(
            "select state, task_count, tasks_failed, max_retries_used from audit.v_dag_run "
            "where dag_id = 'ops_alert_probe'"
        ).fetchone()
    assert rows == [
        ("broken", 1, "up_for_retry"),
        ("broken", 2, "failed"),
        ("flaky", 1, "up_for_retry"),
        ("flaky", 2, "success"),
    ]
    assert run == ("failed", 2, 1, 1)


def test_the_webhook_secret_never_reaches_the_logs(probe_run):
    logs = [probe_run["output"]]
    logs += [p.read_text(errors="replace") for p in probe_run["airflow_home"].rglob("*.log")]
    hits = sum(text.count("s3cr3t-webhook-token-ops") for text in logs)
    print(f"FIGURE webhook token occurrences in {len(logs)} logs: {hits}")
    assert hits == 0
    # The probe did log it, twice (one per try): proof that masking, not luck, hid it.
    assert sum(text.count("PROBE webhook=***") for text in logs) == 2


#: What the scheduler does for a date of a DAG: a scheduled run with that logical date.
SCHEDULED_RUN = """
import sys
import pendulum
from airflow.models.dagbag import DBDagBag
from airflow.utils.session import create_session
from airflow.utils.state import DagRunState
from airflow.utils.types import DagRunTriggeredByType, DagRunType

logical = pendulum.parse(sys.argv[1])
with create_session() as session:
    dag = DBDagBag().get_latest_version_of_dag("ops_alert_probe", session=session)
    dag.create_dagrun(
        run_id=f"scheduled__{sys.argv[1]}", logical_date=logical,
        data_interval=dag.timetable.infer_manual_data_interval(run_after=logical),
        run_after=logical, run_type=DagRunType.SCHEDULED,
        triggered_by=DagRunTriggeredByType.TIMETABLE, state=DagRunState.SUCCESS,
        session=session,
    )
"""


def test_dagrun_refuses_a_date_the_scheduler_already_has_a_run_of(probe_run):
    """Not Airflow's unique-key error after parsing: which run, and how to rerun the date."""
    env, day = probe_run["env"], "2026-03-09"
    made = subprocess.run([sys.executable, "-c", SCHEDULED_RUN, day], env=env,
                          capture_output=True, text=True)  # fmt: skip
    assert made.returncode == 0, made.stderr[-3000:]
    run = dagrun(env, day)
    assert run.returncode == 1, run.stderr[-3000:]
    assert "DAGRUN " not in run.stdout
    assert f"ops_alert_probe already has the run scheduled__{day} (success) for {day}" in run.stderr
    assert f"airflow tasks clear ops_alert_probe -s {day} -e {day} --yes" in run.stderr
