"""retail_daily end to end through real Airflow (`airflow dags test`), Spark, GX and Postgres.

The DAG never writes its input: each test first drops the date's files with the upstream
simulator (`python -m simulator generate`), which writes the done-marker last.

Expected values are computed here, independently of the pipeline: record counts from the
raw landing files with Python's csv module, KPI values with plain SQL over the fact table.
(KPIs of a defect-free day against Python over its raw files: test_kpi_generated.py, which
runs the same job functions in a warm Spark session instead of a third DAG run.)
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pyarrow.dataset as ds
import pytest

from retail_kpi import landing as contract
from retail_kpi.airflow_env import airflow_env
from retail_kpi.services import spark_connect as service
from tests.integration.checksums import table_checksums

pytestmark = pytest.mark.integration

DIRTY_DAY = dt.date(2026, 3, 2)


def run_dag(env: dict[str, str], day: dt.date, conf: str | None = None) -> None:
    cmd = [sys.executable, "-m", "airflow", "dags", "test", "retail_daily", day.isoformat()]
    if conf:
        cmd += ["--conf", conf]
    log = Path(env["RETAIL_DATA_DIR"]) / f"dags-test-{day}.log"
    with log.open("a") as fh:  # streamed, so a slow or hung run can be inspected live
        proc = subprocess.run(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT, check=False)
    output = log.read_text(errors="replace")
    assert proc.returncode == 0, f"airflow dags test failed, see {log}:\n{output[-4000:]}"
    assert not _task_states(output), f"a task failed on its way, see {log}"


def drop_landing(env: dict[str, str], day: dt.date) -> Path:
    """The upstream simulator drops ``day``'s files and done-marker; returns the landing root."""
    landing = Path(env["RETAIL_DATA_DIR"]) / "landing"
    proc = subprocess.run(
        [sys.executable, "-m", "simulator", "generate", "--date", day.isoformat(),
         "--out", str(landing), "-q"],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return landing


def _task_states(output: str) -> str:
    return " ".join(line for line in output.splitlines() if "Marking task as FAILED" in line)


@pytest.fixture(scope="module")
def pipeline_env(tmp_path_factory, make_database) -> dict[str, str]:
    root = tmp_path_factory.mktemp("pipeline")
    url = make_database("rk_it_dag")
    env = airflow_env(
        {
            **os.environ,
            "WAREHOUSE_URL": url,
            "RETAIL_DATA_DIR": str(root / "data"),
            "AIRFLOW_HOME": str(root / "airflow"),
            "RETAIL_ORDERS_PER_DAY": "400",
            "RETAIL_CUSTOMERS": "600",
            "RETAIL_PRODUCTS": "60",
            # A failing task should fail the test quickly, not wait out production backoff.
            "RETAIL_TASK_RETRIES": "1",
            "RETAIL_RETRY_DELAY_SECONDS": "1",
        },
        dags_test=True,  # the deadline alert has its own tests
    )
    Path(env["RETAIL_DATA_DIR"]).mkdir(parents=True)
    for cmd in (
        [sys.executable, "-m", "retail_kpi.bootstrap"],
        [sys.executable, "-m", "airflow", "db", "migrate"],
    ):
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
    return env


@pytest.fixture(scope="module")
def first_run(pipeline_env) -> dict[str, str]:
    drop_landing(pipeline_env, DIRTY_DAY)
    run_dag(pipeline_env, DIRTY_DAY)
    with psycopg.connect(pipeline_env["WAREHOUSE_URL"]) as conn:
        return table_checksums(conn)


def _raw_records(path: Path) -> int:
    """Data records in a landing CSV, counted by Python's csv module (header excluded)."""
    with path.open(newline="", encoding="utf-8", errors="replace") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


def test_counts_reconcile_generated_equals_loaded_plus_quarantined(pipeline_env, first_run):
    data = Path(pipeline_env["RETAIL_DATA_DIR"])
    landing = data / "landing" / "order_items" / f"dt={DIRTY_DAY}" / "order_items.csv"
    generated = _raw_records(landing)
    q_dir = data / "lake" / "quarantine" / "order_items" / f"dt={DIRTY_DAY}"
    quarantined = ds.dataset(q_dir, format="parquet").count_rows() if q_dir.exists() else 0
    recon = data / "lake" / "_audit" / "clean" / f"dt={DIRTY_DAY}" / "reconciliation.json"
    deduplicated = json.loads(recon.read_text())["entities"]["order_items"]["rows_deduplicated"]
    with psycopg.connect(pipeline_env["WAREHOUSE_URL"]) as conn:
        (loaded,) = conn.execute(
            "select count(*) from dw.fct_order_line where ingest_date = %s", (DIRTY_DAY,)
        ).fetchone()
    assert generated > 0 and quarantined > 0
    assert generated == loaded + quarantined + deduplicated


def test_the_warehouse_audit_has_the_clean_counts_per_entity(pipeline_env, first_run):
    """audit.run_audit: one 'clean' row per entity with the counts, checked against the
    landing file and the quarantine counted here; task_run/v_dag_run add up."""
    data = Path(pipeline_env["RETAIL_DATA_DIR"])
    landing = data / "landing" / "order_items" / f"dt={DIRTY_DAY}" / "order_items.csv"
    q_dir = data / "lake" / "quarantine" / "order_items" / f"dt={DIRTY_DAY}"
    with psycopg.connect(pipeline_env["WAREHOUSE_URL"]) as conn:
        entities = conn.execute(
            "select entity, rows_in, rows_clean, rows_quarantined, rows_deduplicated"
            " from audit.run_audit where task = 'clean' and run_date = %s order by entity",
            (DIRTY_DAY,),
        ).fetchall()
        (loaded,) = conn.execute(
            "select count(*) from dw.fct_order_line where ingest_date = %s", (DIRTY_DAY,)
        ).fetchone()
        task = conn.execute(
            "select rows_in, rows_out, rows_quarantined, rows_deduplicated from audit.task_run"
            " where dag_id = 'retail_daily' and task_id = 'clean_silver' and state = 'success'"
            " and business_date = %s",
            (DIRTY_DAY,),
        ).fetchall()
        runs = conn.execute(
            "select rows_ingested, rows_clean, rows_quarantined, rows_deduplicated"
            " from audit.v_dag_run where dag_id = 'retail_daily' and business_date = %s",
            (DIRTY_DAY,),
        ).fetchall()
    by_entity = {e: counts for e, *counts in entities}
    assert set(by_entity) >= {"orders", "order_items", "customers", "products", "inventory"}
    rows_in, clean, quarantined, deduplicated = by_entity["order_items"]
    assert rows_in == _raw_records(landing)
    assert quarantined == ds.dataset(q_dir, format="parquet").count_rows()
    assert clean == loaded
    assert rows_in == clean + quarantined + deduplicated and deduplicated > 0
    assert task and all(r[0] == r[1] + r[2] + r[3] for r in task)
    assert task[-1][0] == sum(c[0] for c in by_entity.values())
    assert runs and all(r[0] == r[1] + r[2] + r[3] for r in runs)


#: Warehouse tables the load writes (dimensions and facts, then every KPI table).
DW_TABLES = (
    "dw.dim_customer", "dw.dim_product", "dw.fct_order_line", "dw.fct_return",
    "dw.fct_shipment", "dw.fct_inventory_daily", "dw.fct_web_session",
)  # fmt: skip
MART_TABLES = tuple(
    f"mart.kpi_{t}"
    for t in (
        "daily_sales", "daily_country", "orders_per_minute", "hourly_sales",
        "daily_category_sales", "monthly_sales", "top_products_daily",
        "customer_demographics_daily", "engagement_daily", "inventory_daily",
        "low_stock_daily", "shipping_daily",
    )
)  # fmt: skip


def _events(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _names(datasets: list[dict]) -> set[tuple[str, str]]:
    return {(d["namespace"], d["name"]) for d in datasets}


def test_lineage_events_name_each_tasks_datasets_and_link_spark_to_its_task(
    pipeline_env, first_run
):
    """The first run's OpenLineage events, from the default file transport: each Airflow
    task's inputs and outputs are the lake folders and warehouse tables it reads and
    writes; each Spark application names its task's run as parent and the DAG run as
    root, and its actions read and write the live lake folders (never the staging)."""
    data = Path(pipeline_env["RETAIL_DATA_DIR"])
    wh = urlsplit(pipeline_env["WAREHOUSE_URL"])
    pg = f"postgres://{wh.hostname}:{wh.port}"
    db = wh.path.strip("/")
    landing, lake = ("file", str(data / "landing")), data / "lake"
    layers = ("raw/kafka", "bronze", "silver", "quarantine", "kpi")
    kafka, bronze, silver, quarantine, kpi = (("file", str(lake / x)) for x in layers)
    tables = {(pg, f"{db}.{t}") for t in DW_TABLES + MART_TABLES}
    expected = {
        "wait_for_landing": ({landing}, set()),
        "validate_landing": ({landing}, set()),
        "clean_silver": ({landing, kafka}, {bronze, silver, quarantine}),
        "validate_silver": ({silver}, set()),
        "compute_kpis": ({silver}, {kpi}),
        "validate_kpis": ({kpi}, set()),
        "load_warehouse": ({silver, kpi}, tables),
        "validate_warehouse": (tables, set()),
    }

    airflow = _events(data / "lineage" / "airflow.jsonl")
    tasks = [e for e in airflow if e["job"]["name"].startswith("retail_daily.")]
    dag_run = tasks[0]["run"]["facets"]["parent"]["root"]["run"]["runId"]  # the first run
    done = {
        e["job"]["name"].removeprefix("retail_daily."): e
        for e in tasks
        if e["eventType"] == "COMPLETE"
        and e["run"]["facets"]["parent"]["root"]["run"]["runId"] == dag_run
    }
    assert {e["job"]["namespace"] for e in tasks} == {"retail_kpi"}
    assert {t: (_names(e["inputs"]), _names(e["outputs"])) for t, e in done.items()} == expected

    spark = _events(data / "lineage" / "spark.jsonl")
    for job, task in (("retail_clean", "clean_silver"), ("retail_kpis", "compute_kpis")):
        (app,) = [
            e for e in spark if e["job"]["name"] == job and e["eventType"] == "START"
            and e["run"]["facets"]["parent"]["root"]["run"]["runId"] == dag_run
        ]  # fmt: skip
        parent = app["run"]["facets"]["parent"]
        assert parent["job"] == {"namespace": "retail_kpi", "name": f"retail_daily.{task}"}
        assert parent["run"]["runId"] == done[task]["run"]["runId"]
        assert parent["root"]["job"] == {"namespace": "retail_kpi", "name": "retail_daily"}
        actions = [
            e for e in spark
            if e["run"]["facets"].get("parent", {}).get("run", {}).get("runId")
            == app["run"]["runId"]
        ]  # fmt: skip
        ins = set().union(*(_names(e.get("inputs", [])) for e in actions))
        outs = set().union(*(_names(e.get("outputs", [])) for e in actions))
        if job == "retail_clean":
            orders_csv = data / "landing" / "orders" / f"dt={DIRTY_DAY}" / "orders.csv"
            assert ("file", str(orders_csv)) in ins
            assert {
                ("file", str(lake / "bronze" / "orders")),
                ("file", str(lake / "silver" / "orders")),
                ("file", str(lake / "quarantine" / "order_items")),
            } <= outs
        else:
            assert {("file", str(lake / "silver" / e)) for e in ("orders", "order_items")} <= ins
            assert ("file", str(lake / "kpi" / "kpi_daily_sales")) in outs
        assert not [name for _, name in outs if "_staging" in name]


def test_rerun_through_spark_connect_leaves_identical_tables(
    pipeline_env, first_run, spark_connect
):
    """The first run's Spark tasks ran through spark-submit; the rerun's run as clients of a
    shared Spark Connect server (the connection decides): the same warehouse."""
    conn = json.loads(service.airflow_conn(spark_connect))
    assert conn["conn_type"] == "spark_connect"
    run_dag({**pipeline_env, "AIRFLOW_CONN_SPARK": json.dumps(conn)}, DIRTY_DAY)
    log = (Path(pipeline_env["RETAIL_DATA_DIR"]) / f"dags-test-{DIRTY_DAY}.log").read_text()
    assert log.count("Spark Connect client: ") == 2  # clean_silver and compute_kpis
    with psycopg.connect(pipeline_env["WAREHOUSE_URL"]) as conn:
        second = table_checksums(conn)
    assert second == first_run


def test_kpi_table_equals_plain_sql_over_the_facts(pipeline_env, first_run):
    with psycopg.connect(pipeline_env["WAREHOUSE_URL"]) as conn:
        expected = conn.execute(
            """
            select c.country_code, count(distinct f.order_id), sum(f.net_amount_usd)
            from dw.fct_order_line f join dw.dim_country c using (country_key)
            where f.order_date = %s and f.order_status <> 'cancelled'
            group by 1 order by 1
            """,
            (DIRTY_DAY,),
        ).fetchall()
        actual = conn.execute(
            "select country_code, orders, net_sales_usd from mart.kpi_daily_sales "
            "where sales_date = %s order by 1",
            (DIRTY_DAY,),
        ).fetchall()
    assert expected and actual == expected


BLOCKED_DAY = dt.date(2026, 3, 5)
#: Every task after the landing gate; none may run once that gate fails.
DOWNSTREAM = (
    "clean_silver", "validate_silver", "compute_kpis", "validate_kpis",
    "load_warehouse", "validate_warehouse",
)  # fmt: skip


def _task_states_of(env: dict[str, str], day: dt.date) -> tuple[str, dict[str, str | None]]:
    """(run id, task states) of the date's newest run, from Airflow's metadata database."""
    import sqlite3

    db = Path(env["AIRFLOW_HOME"]) / "airflow.db"
    with sqlite3.connect(db) as conn:
        (run_id,) = conn.execute(
            "select run_id from dag_run where dag_id = 'retail_daily' "
            "and date(logical_date) = ? order by id desc limit 1",
            (day.isoformat(),),
        ).fetchone()
        states = conn.execute(
            "select task_id, state from task_instance where dag_id = 'retail_daily' and run_id = ?",
            (run_id,),
        ).fetchall()
    return run_id, dict(states)


def test_a_blocking_landing_failure_stops_every_downstream_task(pipeline_env, first_run):
    """A truncated transfer (half the order lines missing) that the source still marked
    done fails the landing gate: the task fails naming suite and expectation, nothing
    downstream runs, the warehouse has no row of that date and the audit table holds the
    failed expectation."""
    env = pipeline_env
    landing = drop_landing(env, BLOCKED_DAY)
    items = landing / "order_items" / f"dt={BLOCKED_DAY}" / "order_items.csv"
    lines = items.read_bytes().splitlines(keepends=True)
    items.write_bytes(b"".join(lines[: len(lines) // 2]))  # header + first half
    # the source's marker agrees with the truncated file: only the row count can tell
    contract.write_marker(landing, BLOCKED_DAY, contract.written_files(landing, BLOCKED_DAY))

    cmd = [sys.executable, "-m", "airflow", "dags", "test", "retail_daily",
           BLOCKED_DAY.isoformat()]  # fmt: skip
    log = Path(env["RETAIL_DATA_DIR"]) / f"dags-test-{BLOCKED_DAY}.log"
    with log.open("w") as fh:
        subprocess.run(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT, check=False)
    output = log.read_text(errors="replace")

    run_id, states = _task_states_of(env, BLOCKED_DAY)
    assert states["validate_landing"] == "failed", f"{states}, see {log}"
    assert {states[t] for t in DOWNSTREAM} == {"upstream_failed"}, states
    assert "landing_order_items" in output and "expect_table_row_count_to_be_between" in output
    with psycopg.connect(env["WAREHOUSE_URL"]) as conn:
        (facts,) = conn.execute(
            "select count(*) from dw.fct_order_line where ingest_date = %s", (BLOCKED_DAY,)
        ).fetchone()
        (kpis,) = conn.execute(
            "select count(*) from mart.kpi_daily_sales where sales_date = %s", (BLOCKED_DAY,)
        ).fetchone()
        failed = conn.execute(
            "select expectation, is_blocking from audit.validation_result "
            "where suite = 'landing_order_items' and not success and run_id = %s",
            (run_id,),
        ).fetchall()
    assert facts == 0 and kpis == 0
    assert ("expect_table_row_count_to_be_between", True) in failed


TRUNCATED_DAY = dt.date(2026, 3, 6)


def test_a_file_truncated_after_the_done_marker_stops_the_run_at_the_wait(pipeline_env):
    """The marker says how big each file is: a truncated copy fails wait_for_landing
    naming the file, before anything is read."""
    env = pipeline_env
    landing = drop_landing(env, TRUNCATED_DAY)
    items = landing / "order_items" / f"dt={TRUNCATED_DAY}" / "order_items.csv"
    items.write_bytes(items.read_bytes()[:1000])

    cmd = [sys.executable, "-m", "airflow", "dags", "test", "retail_daily",
           TRUNCATED_DAY.isoformat()]  # fmt: skip
    log = Path(env["RETAIL_DATA_DIR"]) / f"dags-test-{TRUNCATED_DAY}.log"
    with log.open("w") as fh:
        subprocess.run(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT, check=False)
    output = log.read_text(errors="replace")

    _, states = _task_states_of(env, TRUNCATED_DAY)
    assert states["wait_for_landing"] == "failed", f"{states}, see {log}"
    assert states["validate_landing"] == "upstream_failed", states
    assert f"order_items/dt={TRUNCATED_DAY}/order_items.csv (1000 of" in output
