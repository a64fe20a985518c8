"""The bench harness's plumbing: process-tree memory, result lines, DAG-derived commands,
the micro-batch landing layout and per-stage row counts. Nothing here is timed."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.harness import kafka_micro, runner
from bench.harness.sampler import run_measured
from bench.harness.stages import Stage
from bench.harness.task import MARKER, parse_result
from retail_kpi.config import REPO_ROOT

DAY = dt.date(2026, 3, 11)

#: A child that starts a grandchild holding ~200 MiB, waits for it, then exits.
_GRANDCHILD = "b = bytearray(200 * 1024 * 1024); import time; time.sleep(1.5)"
_CHILD = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {_GRANDCHILD!r}])"


def test_peak_rss_covers_grandchildren(tmp_path: Path) -> None:
    m = run_measured([sys.executable, "-c", _CHILD], {}, tmp_path / "x.log")
    assert m.returncode == 0
    assert m.peak_rss_mib >= 190  # the 200 MiB lived in the grandchild, not in our child
    assert sum(m.peak_by_program.values()) == pytest.approx(m.peak_rss_mib)
    assert all(name.startswith("python") for name in m.peak_by_program)
    assert m.cpu_s > 0


#: Touches 200 MiB, then forks: parent and child share those pages (copy on write).
_FORKER = (
    "import os, time; b = b'x' * (200 * 1024 * 1024); pid = os.fork(); time.sleep(1.5); "
    "pid and os.waitpid(pid, 0)"
)


def test_pages_shared_by_a_forked_child_are_counted_once(tmp_path: Path) -> None:
    """A JVM forking a helper must not look like two JVMs: RSS would sum to ~400 MiB."""
    m = run_measured([sys.executable, "-c", _FORKER], {}, tmp_path / "fork.log")
    assert m.returncode == 0
    assert 190 <= m.peak_rss_mib < 300, m.peak_by_program


def test_failed_command_is_measured_not_raised(tmp_path: Path) -> None:
    m = run_measured(
        [sys.executable, "-c", "print('boom'); raise SystemExit(3)"], {}, tmp_path / "f.log"
    )
    assert m.returncode == 3
    assert (tmp_path / "f.log").read_text() == "boom\n"


def test_parse_result_takes_the_last_marker_line() -> None:
    text = f"noise\n{MARKER}{json.dumps({'n': 1})}\nmore\n{MARKER}{json.dumps({'n': 2})}\n"
    assert parse_result(text) == {"n": 2}
    assert parse_result("died before printing anything") is None


_PLAN = """
import dataclasses, datetime as dt, json
from bench.harness import stages
day, extra = dt.date(2026, 3, 11), {"spark.driver.memory": "2g"}
plan = stages.plan(stages.load_dag(), day, "bench-x", {"orders_per_day": 10}, extra)
print(json.dumps([dataclasses.asdict(s) for s in plan]))
"""


def test_plan_follows_the_dag(tmp_path: Path) -> None:
    """Built from the real DAG, in a fresh interpreter with the project's Airflow env."""
    from retail_kpi.airflow_env import airflow_env

    env = airflow_env({**os.environ, "AIRFLOW_HOME": str(tmp_path)})
    out = subprocess.run(
        [sys.executable, "-c", _PLAN], env=env, capture_output=True, text=True, check=True
    )
    plan = [Stage(**s) for s in json.loads(out.stdout.strip().splitlines()[-1])]
    assert [s.task_id for s in plan] == [
        "generate_landing",
        "validate_landing",
        "clean_silver",
        "validate_silver",
        "compute_kpis",
        "validate_kpis",
        "load_warehouse",
        "validate_warehouse",
    ]
    clean = plan[2]
    assert clean.kind == "spark"
    assert Path(clean.cmd[0]).name == "spark-submit"
    assert clean.cmd[-5:] == [
        str(REPO_ROOT / "spark_jobs" / "clean.py"),
        "--date",
        "2026-03-11",
        "--run-id",
        "bench-x",
    ]
    assert "spark.ui.enabled=false" in clean.cmd  # the DAG's conf
    assert "spark.driver.memory=2g" in clean.cmd  # --spark-conf, added to it
    assert clean.env["PYSPARK_PYTHON"] == sys.executable
    gen = plan[0]
    assert gen.cmd[1:4] == ["-m", "bench.harness.task", "generate_landing"]
    params = json.loads(gen.cmd[gen.cmd.index("--params") + 1])
    assert params["orders_per_day"] == 10  # ours
    assert params["defect_scale"] == 1.0  # the DAG's default


def test_micro_reads_when_each_task_ended_from_the_dags_test_log() -> None:
    log = (
        "2026-12-05T01:50:06.677250Z [info     ] [DAG TEST] end task task_id=plan_batch "
        "map_index=-1 [airflow.sdk.definitions.dag] loc=dag.py:1563\n"
        "2026-12-05T01:50:07.000000Z [info     ] something else\n"
        "2026-12-05T01:51:10.500000Z [info     ] [DAG TEST] end task task_id=load_warehouse "
        "map_index=-1\n"
    )
    ends = kafka_micro.task_ends(log)
    assert list(ends) == ["plan_batch", "load_warehouse"]
    assert (ends["load_warehouse"] - ends["plan_batch"]).total_seconds() == 63.82275  # 70.5-6.67725


def test_stage_rows(tmp_path: Path) -> None:
    recon = tmp_path / "_audit" / "clean" / "dt=2026-03-11" / "reconciliation.json"
    recon.parent.mkdir(parents=True)
    entities = {
        "orders": {"rows_in": 10, "rows_clean": 8},
        "customers": {"rows_in": 5, "rows_clean": 5},
    }
    recon.write_text(json.dumps({"entities": entities}))
    touched = tmp_path / "kpi" / "_touched" / "dt=2026-03-11.json"
    touched.parent.mkdir(parents=True)
    touched.write_text(json.dumps({"rows": {"kpi_a": 3, "kpi_b": 4}}))
    results = {
        "generate_landing": {"counts": {"orders": 11, "customers": 5}},
        "load_warehouse": {"fct_order_line": 7, "dim_customer": 5},
    }
    rows = {
        t: runner.stage_rows(t, results, tmp_path, DAY)
        for t in (
            "generate_landing",
            "clean_silver",
            "validate_silver",
            "validate_kpis",
            "load_warehouse",
        )
    }
    assert rows == {
        "generate_landing": 16,
        "clean_silver": 15,
        "validate_silver": 13,
        "validate_kpis": 7,
        "load_warehouse": 12,
    }


def test_one_spark_app_folds_the_spark_tasks_into_the_first() -> None:
    from bench.harness.stages import COMBINED_APP, one_spark_app

    submit = ["spark-submit", "--conf", "a=b"]
    plan = [
        Stage("validate_landing", "python", ["py"]),
        Stage("clean_silver", "spark", [*submit, "/x/clean.py", "--date", "D"], {"E": "1"}),
        Stage("validate_silver", "python", ["py"]),
        Stage("compute_kpis", "spark", [*submit, "/x/kpis.py", "--date", "D"]),
        Stage("validate_kpis", "python", ["py"]),
    ]
    out = one_spark_app(plan)
    assert [s.task_id for s in out] == [
        "validate_landing",
        "clean_silver+compute_kpis",
        "validate_silver",
        "validate_kpis",
    ]
    assert out[1].cmd == [*submit, str(COMBINED_APP), "--date", "D"]
    assert out[1].env == {"E": "1"}


def test_spark_stages_get_the_jvm_options_of_the_landed_volume(tmp_path: Path, monkeypatch) -> None:
    """As the task does when it runs: decided from the files generate_landing wrote."""
    from bench.harness.stages import sized

    monkeypatch.setenv("RETAIL_SPARK_SMALL_BATCH_MB", "1")
    monkeypatch.setenv("RETAIL_SPARK_DRIVER_JAVA_OPTIONS", "-Xss4m")
    submit = ["/v/bin/spark-submit", "--conf", "spark.ui.enabled=false"]
    stage = Stage("clean_silver", "spark", [*submit, "/x/clean.py", "--date", "2026-03-11"])
    small = sized(stage, tmp_path)  # nothing landed yet
    assert small.cmd[:3] == [
        "/v/bin/spark-submit",
        "--conf",
        "spark.driver.extraJavaOptions=-XX:TieredStopAtLevel=1 -Xss4m",
    ]
    assert small.cmd[3:] == stage.cmd[1:]
    folder = tmp_path / "orders" / "dt=2026-03-11"
    folder.mkdir(parents=True)
    (folder / "orders.csv").write_bytes(b"x" * 1024 * 1024)
    assert sized(stage, tmp_path).cmd[2] == "spark.driver.extraJavaOptions=-Xss4m"
    python = Stage("validate_landing", "python", ["py"])
    assert sized(python, tmp_path) is python
