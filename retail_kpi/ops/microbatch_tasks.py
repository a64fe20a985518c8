"""The tasks of ``retail_microbatch``: one Kafka micro-batch through every layer.

``plan_batch`` → ``ingest_kafka`` (Spark) → ``record_batch`` → ``clean_silver`` (Spark) →
``validate_silver`` → ``compute_kpis`` (Spark) → ``validate_kpis`` → ``load_warehouse`` →
``validate_warehouse``.

The batch's offset ranges are fixed in the ledger by ``plan_batch`` (see
:mod:`retail_kpi.events.ledger`), so clearing any task and rerunning it reads the same
messages. From ``record_batch`` on, the run processes the *ingest dates* the batch touched
(``record_batch``'s XCom, usually today; two around midnight): each date is cleaned again
from all of its messages and landing files, so every task replaces what it wrote. A plan
with no new messages skips the rest of the run.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

from airflow.sdk import TaskGroup, get_current_context, task
from airflow.sdk.exceptions import AirflowSkipException

from retail_kpi import pipeline
from retail_kpi.airflow_env import SPARK_CONN_ID
from retail_kpi.ops import assets, dag_tasks
from retail_kpi.ops.spark import DateLockedSparkSubmitOperator, RetailSparkSubmitOperator

#: The dates the run processes (comma-separated), from record_batch's XCom.
DATES = "{{ ti.xcom_pull(task_ids='record_batch') }}"
BATCH = "{{ ti.xcom_pull(task_ids='plan_batch') | tojson }}"


def _skip_if_dry_run() -> None:
    if get_current_context()["params"].get("dry_run"):
        raise AirflowSkipException("dry run: the warehouse is not touched")


def _dates() -> tuple[list[dt.date], str]:
    ctx = get_current_context()
    text = ctx["ti"].xcom_pull(task_ids="record_batch") or ""
    return [dt.date.fromisoformat(d) for d in text.split(",") if d], ctx["run_id"]


def _spark_dates(
    task_id: str, job: str, doc: str, inlets: list[Any], outlets: list[Any]
) -> DateLockedSparkSubmitOperator:
    return DateLockedSparkSubmitOperator(
        task_id=task_id,
        doc_md=doc,
        conn_id=SPARK_CONN_ID,
        application=pipeline.spark_job(job),
        application_args=["--date", DATES, "--run-id", "{{ run_id }}"],
        dates=DATES,
        conf=dag_tasks.spark_conf(job),
        name=f"retail-{job}-microbatch",
        env_vars={"PYSPARK_PYTHON": sys.executable},
        pool=dag_tasks.SPARK_POOL,
        inlets=inlets,
        outlets=outlets,
    )


def _gate(layer: str) -> dict:
    days, run_id = _dates()
    results = [pipeline.validate_layer(layer, day, run_id=run_id) for day in days]
    warned = any(r["outcome"] == "warned" for r in results)
    return {
        "layer": layer,
        "dates": [d.isoformat() for d in days],
        "expectations": sum(r["expectations"] for r in results),
        "warnings": sum(r["warnings"] for r in results),
        "outcome": "warned" if warned else "passed",
    }


def add_microbatch_tasks() -> None:
    """Add the micro-batch's tasks, in four task groups, to the DAG being defined (inlets
    and outlets as in ``retail_daily``, :func:`retail_kpi.ops.dag_tasks.add_pipeline_tasks`)."""
    raw_kafka, silver_dir, kpi_dir = (assets.lake(x) for x in ("raw/kafka", "silver", "kpi"))
    tables = assets.warehouse_tables()

    @task(task_id="plan_batch")
    def plan_batch() -> dict:
        """Fix the batch's offset ranges in the ledger (a rerun finds the same batch)."""
        from retail_kpi.events import tasks

        batch = tasks.plan_batch(get_current_context()["run_id"])
        if not batch["ranges"]:
            raise AirflowSkipException(f"batch {batch['batch_id']}: no new messages")
        return batch

    @task(task_id="record_batch")
    def record_batch() -> str:
        """Mark the batch ingested (counts per partition and date); its dates, comma-separated."""
        from retail_kpi.events import tasks

        ctx = get_current_context()
        batch = ctx["ti"].xcom_pull(task_ids="plan_batch")
        return ",".join(tasks.record_batch(batch, ctx["run_id"]))

    @task(task_id="validate_silver", inlets=[silver_dir])
    def validate_silver() -> dict:
        """Silver gate of every date of the batch."""
        return _gate("silver")

    @task(task_id="validate_kpis", inlets=[kpi_dir])
    def validate_kpis() -> dict:
        """KPI gate of every date of the batch."""
        return _gate("kpi")

    @task(task_id="load_warehouse", inlets=[silver_dir, kpi_dir], outlets=tables)
    def load_warehouse() -> dict:
        """Load each date in its own transaction (as retail_daily does); summed counts."""
        _skip_if_dry_run()
        days, run_id = _dates()
        totals: dict = {}
        for day in days:
            for key, value in pipeline.load_warehouse(day, run_id=run_id).items():
                totals[key] = totals.get(key, 0) + value if isinstance(value, int) else value
        return totals

    @task(task_id="validate_warehouse", inlets=tables, outlets=[assets.WAREHOUSE_DATE])
    def validate_warehouse() -> dict:
        """Warehouse gate; publishes the dates (asset event) for BI refreshes."""
        _skip_if_dry_run()
        result = _gate("warehouse")
        events = get_current_context()["outlet_events"]
        events[assets.WAREHOUSE_DATE].extra = {
            "date": max(result["dates"]),
            "dates": result["dates"],
            "run_id": get_current_context()["run_id"],
        }
        return result

    with TaskGroup("kafka", prefix_group_id=False, tooltip="plan, read and record a batch"):
        ingest = RetailSparkSubmitOperator(
            task_id="ingest_kafka",
            doc_md="Spark: read the batch's offset ranges into raw/kafka/batch=<id>/.",
            conn_id=SPARK_CONN_ID,
            application=pipeline.spark_job("kafka_ingest"),
            application_args=["--batch", BATCH],
            conf=dag_tasks.spark_conf("kafka_ingest"),
            name="retail-kafka-ingest",
            env_vars={"PYSPARK_PYTHON": sys.executable},
            pool=dag_tasks.SPARK_POOL,
            outlets=[raw_kafka],
        )
        kafka = plan_batch() >> ingest >> record_batch()
    with TaskGroup("silver", prefix_group_id=False, tooltip="Spark clean + silver gate"):
        clean = _spark_dates(
            "clean_silver",
            "clean",
            "Spark: the batch's dates, landing + Kafka → bronze → silver, quarantine.",
            *dag_tasks.clean_lineage(),
        )
        silver = clean >> validate_silver()
    with TaskGroup("kpis", prefix_group_id=False, tooltip="Spark KPIs + KPI gate"):
        compute = _spark_dates(
            "compute_kpis",
            "kpis",
            "Spark: KPI tables of the dates the batch touched.",
            [silver_dir],
            [kpi_dir],
        )
        kpis = compute >> validate_kpis()
    with TaskGroup("warehouse", prefix_group_id=False, tooltip="load + warehouse gate"):
        load = load_warehouse()
        load >> validate_warehouse()
    kafka >> clean
    silver >> compute
    kpis >> load
