"""The tasks of ``retail_daily`` and the settings every retail DAG shares.

``retail_daily`` runs eight tasks on the business date of its data interval
(``{{ ds }}``). The pipeline never writes its own input: the first task waits for the
date's landing done-marker, which whoever drops the files writes last (docs/DATA.md,
"Landing contract"). Call :func:`add_pipeline_tasks` inside a ``with DAG(...)`` block.
Task bodies are calls into :mod:`retail_kpi.pipeline`; this module only decides wiring,
pools, groups and docs. ``retail_microbatch`` (Kafka) has its own tasks
(:mod:`retail_kpi.ops.microbatch_tasks`) and uses the defaults, params and Spark settings
defined here; the assets both DAGs read and write are in :mod:`retail_kpi.ops.assets`.
"""

from __future__ import annotations

import datetime as dt
import sys
from datetime import timedelta
from typing import Any

from airflow.sdk import Param, PokeReturnValue, TaskGroup, get_current_context, task
from airflow.sdk.exceptions import AirflowSkipException

from retail_kpi import lineage, pipeline
from retail_kpi.airflow_env import SPARK_CONN_ID
from retail_kpi.config import env
from retail_kpi.ops import alerts, assets, audit
from retail_kpi.ops.assets import WAREHOUSE_DATE
from retail_kpi.ops.spark import DateLockedSparkSubmitOperator
from retail_kpi.services import jvm

DAY = "{{ ds }}"
SPARK_ARGS = ["--date", DAY, "--run-id", "{{ run_id }}"]


def spark_conf(job: str) -> dict[str, str]:
    """spark-submit ``--conf`` of the Spark task running ``job`` (read at parse time, from
    the env).

    The driver's JVM options depend on the date's volume and are added when the task
    runs (:class:`~retail_kpi.ops.spark.DateLockedSparkSubmitOperator`). ``spark.jars`` is
    the locked ``spark`` group (Kafka source, OpenLineage), always passed: the bootstrap
    has fetched it, and nothing is resolved when a task runs. The OpenLineage listener
    reports the job as ``retail_<job>`` where Airflow's events go (:mod:`retail_kpi.lineage`);
    the task adds its own run as the parent when it runs.
    """
    return {
        "spark.ui.enabled": "false",
        "spark.driver.memory": env("RETAIL_SPARK_DRIVER_MEMORY"),
        "spark.jars": ",".join(jvm.spark_jars()),
        **lineage.spark_conf(f"retail_{job}"),
    }


#: One Spark application at a time per Airflow installation (2-core machines).
SPARK_POOL = "spark"
SPARK_POOL_SLOTS = 1
MAX_RETRY_DELAY = timedelta(minutes=15)
#: How often, and how long, ``wait_for_landing`` looks for the date's done-marker; between
#: looks it frees its worker slot (reschedule mode).
LANDING_POKE = timedelta(minutes=1)
LANDING_WAIT = timedelta(hours=6)
BACKOFF_MULTIPLIER = 2.0


def default_args() -> dict[str, Any]:
    """Retries with exponential backoff; audit on every try; alert on the final failure."""
    return {
        "owner": "data-platform",
        "retries": int(env("RETAIL_TASK_RETRIES")),
        "retry_delay": timedelta(seconds=int(env("RETAIL_RETRY_DELAY_SECONDS"))),
        "retry_exponential_backoff": BACKOFF_MULTIPLIER,
        "max_retry_delay": MAX_RETRY_DELAY,
        "on_execute_callback": audit.task_started,
        "on_success_callback": audit.task_succeeded,
        "on_retry_callback": audit.task_retried,
        "on_failure_callback": [audit.task_failed, alerts.notify_task_failure],
        "on_skipped_callback": audit.task_skipped,
    }


def params() -> dict[str, Param]:
    """Run parameters shown in the trigger form (and accepted by backfills' --dag-run-conf).

    No generator settings: volumes and defects are the source's business (locally the
    upstream simulator, ``python -m simulator generate``), not the pipeline's.
    """
    return {
        "dry_run": Param(
            False,
            type="boolean",
            title="Dry run",
            description="Wait for, validate, clean and compute, but skip the warehouse load "
            "(the warehouse is not touched and no asset event is emitted).",
        ),
    }


def _run() -> tuple[dt.date, str, dict[str, Any]]:
    """(business date, run id, params) of the running task."""
    ctx = get_current_context()
    return dt.date.fromisoformat(ctx["ds"]), ctx["run_id"], dict(ctx["params"])


def _spark(
    task_id: str, job: str, doc: str, inlets: list[Any], outlets: list[Any]
) -> DateLockedSparkSubmitOperator:
    return DateLockedSparkSubmitOperator(
        task_id=task_id,
        doc_md=doc,
        conn_id=SPARK_CONN_ID,
        application=pipeline.spark_job(job),
        application_args=SPARK_ARGS,
        conf=spark_conf(job),
        name=f"retail-{job}-{DAY}",
        env_vars={"PYSPARK_PYTHON": sys.executable},
        pool=SPARK_POOL,
        inlets=inlets,
        outlets=outlets,
    )


def clean_lineage() -> tuple[list[Any], list[Any]]:
    """(inlets, outlets) of a clean task: landing files and Kafka messages into the lake."""
    return (
        [assets.lake("landing"), assets.lake("raw/kafka")],
        [assets.lake("bronze"), assets.lake("silver"), assets.lake("quarantine")],
    )


def add_pipeline_tasks() -> None:
    """Add the eight tasks, in four task groups, to the DAG being defined.

    Each task lists the lake layers and warehouse tables it reads and writes as inlets
    and outlets (:mod:`retail_kpi.ops.assets`): Airflow's asset graph and the OpenLineage
    events show them."""
    landing_dir, silver_dir, kpi_dir = (assets.lake(x) for x in ("landing", "silver", "kpi"))
    tables = assets.warehouse_tables()

    @task.sensor(
        task_id="wait_for_landing",
        poke_interval=LANDING_POKE.total_seconds(),
        timeout=LANDING_WAIT.total_seconds(),
        mode="reschedule",
        inlets=[landing_dir],
    )
    def wait_for_landing() -> PokeReturnValue:
        """Done when the date's done-marker ``_ready/dt=D.json`` exists (returns the files
        counted per entity; fails naming the files when they break the landing contract),
        or, for a Kafka-fed date without files, once the micro-batches read past its end."""
        day, _, _ = _run()
        found = pipeline.landing_ready(day)
        return PokeReturnValue(is_done=found is not None, xcom_value=found)

    @task(task_id="validate_landing", inlets=[landing_dir])
    def validate_landing() -> dict:
        """Landing gate: schema, non-empty, row counts within the manifest's band (nothing
        to check on a Kafka-fed date: the clean job checks each message)."""
        day, run_id, _ = _run()
        ready = get_current_context()["ti"].xcom_pull(task_ids="wait_for_landing") or {}
        source = ready.get("source", "files")
        return pipeline.validate_landing(day, run_id=run_id, source=source)

    @task(task_id="validate_silver", inlets=[silver_dir])
    def validate_silver() -> dict:
        """Silver gate: keys, value sets, ranges, referential integrity, reconciliation."""
        day, run_id, _ = _run()
        return pipeline.validate_layer("silver", day, run_id=run_id)

    @task(task_id="validate_kpis", inlets=[kpi_dir])
    def validate_kpis() -> dict:
        """KPI gate: rates in [0, 1], sums reconcile with silver, no unexpected NULLs."""
        day, run_id, _ = _run()
        return pipeline.validate_layer("kpi", day, run_id=run_id)

    @task(task_id="load_warehouse", inlets=[silver_dir, kpi_dir], outlets=tables)
    def load_warehouse() -> dict:
        """COPY into staging, then replace the date's rows in one transaction per date."""
        day, run_id, params = _run()
        if params.get("dry_run"):
            raise AirflowSkipException("dry run: the warehouse is not touched")
        return pipeline.load_warehouse(day, run_id=run_id)

    @task(task_id="validate_warehouse", inlets=tables, outlets=[WAREHOUSE_DATE])
    def validate_warehouse() -> dict:
        """Warehouse gate; on success publishes the date (asset event) for BI refreshes."""
        day, run_id, params = _run()
        if params.get("dry_run"):
            raise AirflowSkipException("dry run: nothing was loaded")
        result = pipeline.validate_layer("warehouse", day, run_id=run_id)
        events = get_current_context()["outlet_events"]
        events[WAREHOUSE_DATE].extra = {"date": day.isoformat(), "run_id": run_id}
        return result

    with TaskGroup("landing", prefix_group_id=False, tooltip="done-marker + landing gate"):
        landing = wait_for_landing() >> validate_landing()
    with TaskGroup("silver", prefix_group_id=False, tooltip="Spark clean + silver gate"):
        clean = _spark(
            "clean_silver",
            "clean",
            "Spark: ingest landing → bronze, clean/conform → silver, quarantine with reasons.",
            *clean_lineage(),
        )
        silver = clean >> validate_silver()
    with TaskGroup("kpis", prefix_group_id=False, tooltip="Spark KPIs + KPI gate"):
        compute = _spark(
            "compute_kpis",
            "kpis",
            "Spark: KPI tables for the dates this run touched.",
            [silver_dir],
            [kpi_dir],
        )
        kpis = compute >> validate_kpis()
    with TaskGroup("warehouse", prefix_group_id=False, tooltip="load + warehouse gate"):
        load = load_warehouse()
        load >> validate_warehouse()
    landing >> clean
    silver >> compute
    kpis >> load
