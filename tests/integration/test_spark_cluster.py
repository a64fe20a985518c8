"""Spark cluster mode, proven: the DAG's clean and KPI jobs on a standalone cluster
write exactly what they write on ``local[*]``.

A master and a worker are started from the installed pyspark (``spark-class``) on
127.0.0.1 by :mod:`retail_kpi.spark_cluster`, without PYTHONPATH, so executors get the
project's code only from the application's ``--py-files`` zip (:mod:`retail_kpi.pyfiles`).
The jobs are the DAG's own Spark tasks (application, arguments, conf), submitted by the
SparkSubmitHook they build, which resolves the master from the Airflow connection
``spark`` defined by ``AIRFLOW_CONN_SPARK``; that variable and the lake folder are the
only differences between the two runs. A probe job whose executors must import
``retail_kpi`` shows the zip reaches them. The cluster is stopped by PID.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from retail_kpi import pyfiles, spark_cluster
from retail_kpi.airflow_env import airflow_env
from simulator import generate_day

#: Generous: a loaded shared machine can be ten times slower than a quiet one.
SUBMIT_TIMEOUT_S = 1800
pytestmark = [pytest.mark.integration, pytest.mark.timeout(SUBMIT_TIMEOUT_S + 300)]

ROOT = Path(__file__).resolve().parents[2]
PROBE_JOB = Path(__file__).with_name("spark_probe_job.py")
DAY = "2026-03-02"
RUN_ID = "manual__cluster_test"
JOBS = ("clean", "kpis")
#: Small enough for a shared 2-core machine, and the same parallelism (2) on both sides.
SMALL_SPARK = {
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.driver.memory": "768m",
    "spark.executor.memory": "768m",
    "spark.cores.max": "2",
    "spark.driver.host": "127.0.0.1",
}
LOCAL_CONN = json.dumps({"conn_type": "spark", "host": "local[2]"})

#: Runs in a fresh interpreter: takes the DAG's Spark tasks, renders them for DAY/RUN_ID
#: and submits them through the hook they build (what SparkSubmitOperator.execute does).
SUBMIT = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from retail_kpi.airflow_env import SPARK_CONN_ID

spec = json.loads(sys.argv[1])
dag = DagBag(dag_folder="dags/retail_daily.py").dags["retail_daily"]
tasks = {t.application.rsplit("/", 1)[-1][:-3]: t for t in dag.tasks
         if isinstance(t, SparkSubmitOperator)}
for job in spec["jobs"]:
    if job == "probe":
        op = SparkSubmitOperator(task_id="probe", conn_id=SPARK_CONN_ID,
                                 name="retail-cluster-probe", application=spec["probe"],
                                 application_args=spec["probe_args"],
                                 env_vars={"PYSPARK_PYTHON": sys.executable})
    else:
        op = tasks[job]
        op.render_template_fields({"ds": spec["day"], "run_id": spec["run_id"]})
    op.conf = {**(op.conf or {}), **spec["conf"]}
    op.py_files = op.py_files or spec["py_files"]
    hook = op._get_hook()
    hook.submit(op.application)
    print(f"SUBMITTED {job} app={op.application} master={hook._connection['master']}", flush=True)
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """One standalone master + worker for the module, stopped by PID at the end."""
    running = spark_cluster.start(tmp_path_factory.mktemp("spark-cluster"), cores=2, memory="1g")
    yield running
    spark_cluster.stop(running)
    for pid in (running.master_pid, running.worker_pid):
        assert not spark_cluster._alive(pid), f"Spark daemon {pid} survived stop()"


@pytest.fixture(scope="module")
def runs(cluster, tmp_path_factory) -> dict[str, dict]:
    """Both runs at once (they share nothing but the landing folder): stdout and lake."""
    root = tmp_path_factory.mktemp("cluster-test")
    landing = root / "landing"
    generate_day(
        __import__("datetime").date.fromisoformat(DAY), landing,
        seed=11, orders=120, customers=80, products=20,
    )  # fmt: skip
    zip_path = pyfiles.build(root / "retail_kpi.zip")
    procs = {}
    for label, conn, jobs in (
        ("local", LOCAL_CONN, list(JOBS)),
        ("cluster", cluster.airflow_conn, [*JOBS, "probe"]),
    ):
        lake = root / f"lake-{label}"
        spec = {
            "jobs": jobs, "day": DAY, "run_id": RUN_ID, "conf": SMALL_SPARK,
            "py_files": str(zip_path), "probe": str(PROBE_JOB),
            "probe_args": ["--date", DAY, "--run-id", RUN_ID, "--lake", str(lake / "_probe")],
        }  # fmt: skip
        env = airflow_env({**os.environ, "AIRFLOW_HOME": str(root / f"airflow-{label}")})
        env.update(
            AIRFLOW_CONN_SPARK=conn, RETAIL_LANDING_DIR=str(landing), RETAIL_LAKE_DIR=str(lake)
        )
        with (root / f"{label}.log").open("w") as log:
            procs[label] = (
                subprocess.Popen([sys.executable, "-c", SUBMIT, json.dumps(spec)], env=env,
                                 stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                                 start_new_session=True),
                lake, Path(log.name),
            )  # fmt: skip
    out = {}
    try:
        for label, (proc, lake, log) in procs.items():
            code = proc.wait(timeout=SUBMIT_TIMEOUT_S)
            text = log.read_text()
            assert code == 0, f"{label} run failed, see {log}:\n{text[-4000:]}"
            out[label] = {"lake": lake, "log": text}
    finally:  # a failed or timed-out run must not leave spark-submit behind
        for proc, _, _ in procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    return out


def submitted(log: str) -> dict[str, str]:
    """job -> master, from the SUBMITTED lines the runner prints."""
    found = {}
    for line in log.splitlines():
        if line.startswith("SUBMITTED "):
            words = dict(w.split("=", 1) for w in line.split()[2:])
            found[line.split()[1]] = words["master"]
    return found


def parquet_datasets(lake: Path) -> dict[str, list[Path]]:
    """Parquet files of a lake grouped by dataset: their folder minus ``key=value`` parts."""
    found: dict[str, list[Path]] = {}
    for f in sorted(lake.rglob("*.parquet")):
        key = "/".join(p for p in f.relative_to(lake).parent.parts if "=" not in p)
        found.setdefault(key, []).append(f)
    return found


def rows(files: list[Path], lake: Path) -> list[dict]:
    """All rows of the files plus their partition values, in a stable order."""
    out = []
    for f in files:
        part = dict(p.split("=", 1) for p in f.relative_to(lake).parent.parts if "=" in p)
        out += [{**r, **{f"partition.{k}": v for k, v in part.items()}}
                for r in pq.ParquetFile(f).read().to_pylist()]  # fmt: skip
    return sorted(out, key=lambda r: json.dumps(r, sort_keys=True, default=str))


def completed_apps(cluster) -> list[str]:
    with urllib.request.urlopen(f"{cluster.master_ui}/json/", timeout=10) as resp:
        return [app["name"] for app in json.loads(resp.read())["completedapps"]]


def test_the_hook_took_the_master_from_the_airflow_connection(cluster, runs) -> None:
    assert submitted(runs["local"]["log"]) == {job: "local[2]" for job in JOBS}
    assert submitted(runs["cluster"]["log"]) == {
        job: cluster.master_url for job in (*JOBS, "probe")
    }


def test_the_applications_ran_on_the_standalone_cluster(cluster, runs) -> None:
    """The KPI job and the probe registered with the master; the local runs never did."""
    apps = completed_apps(cluster)
    assert "retail-kpis" in apps and "retail-cluster-probe" in apps
    assert len(apps) <= len(JOBS) + 1


def test_the_clean_job_ran_on_the_standalone_cluster(cluster, runs) -> None:
    """spark-submit's --master wins over SPARK_MASTER (which says local[*] here)."""
    assert f"retail-clean-{DAY}" in completed_apps(cluster)


def test_clean_and_kpi_outputs_equal_the_local_run(runs) -> None:
    local, cluster = runs["local"]["lake"], runs["cluster"]["lake"]
    local_sets = parquet_datasets(local)
    cluster_sets = {
        k: v for k, v in parquet_datasets(cluster).items() if not k.startswith("_probe")
    }
    assert set(cluster_sets) == set(local_sets)
    assert {"silver/orders", "silver/order_items", "quarantine/orders"} <= set(local_sets)
    assert any(k.startswith("kpi/") for k in local_sets)
    differing = [
        k for k in sorted(local_sets)
        if rows(local_sets[k], local) != rows(cluster_sets[k], cluster)
    ]  # fmt: skip
    assert differing == []
    assert rows(local_sets["silver/order_items"], local), "the comparison is not vacuous"
    json_files = sorted(p.relative_to(local) for p in local.rglob("*.json"))
    assert json_files, "the jobs write JSON (reconciliation, KPI files)"
    for rel in json_files:
        assert json.loads((cluster / rel).read_text()) == json.loads((local / rel).read_text()), rel


def test_executors_imported_the_package_from_the_shipped_zip(runs) -> None:
    probe = runs["cluster"]["lake"] / "_probe"
    sets = parquet_datasets(probe)
    origins = {r["origin"] for r in rows(sets["_executors"], probe)}
    assert origins and all(".zip" in o and not o.startswith(str(ROOT)) for o in origins), origins
    out = rows(sets["probe"], probe)
    assert len(out) == 500
    # Independent expectation: the UDF's lookup, written out by hand.
    assert {(r["country_code"], r["country_name"]) for r in out} == {
        ("CAN", "Canada"), ("DEU", "Germany"), ("FRA", "France"), ("MEX", "Mexico"),
        ("USA", "United States"),
    }  # fmt: skip
    assert {r["run_id"] for r in out} == {RUN_ID}
