"""
### retail_daily — one business day through every layer

`generate_landing` → `validate_landing` → `clean_silver` (Spark) → `validate_silver`
→ `compute_kpis` (Spark) → `validate_kpis` → `load_warehouse` → `validate_warehouse`

* **One run = one business date**: the run's data interval (`{{ ds }}`); every task reads and
  replaces only that date's partitions, so clearing any task and rerunning it is safe.
* **Gates block**: a blocking Great Expectations failure fails its task and nothing
  downstream runs for that date (see `docs/QUALITY.md`).
* **Spark** runs through the Airflow connection `spark` (`local[*]` by default); point
  that connection at `spark://host:7077` to use a cluster — the DAG does not change.
* Runbook: `docs/RUNBOOK.md`.
"""

from __future__ import annotations

import sys
from datetime import timedelta

import pendulum
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.sdk import DAG, CronDataIntervalTimetable, Param, task

from retail_kpi import pipeline
from retail_kpi.airflow_env import SPARK_CONN_ID

DAY = "{{ ds }}"
SPARK_ARGS = ["--date", DAY, "--run-id", "{{ run_id }}"]
SPARK_CONF = {"spark.ui.enabled": "false"}

default_args = {
    "owner": "data-platform",
    "retries": 2,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
}

with DAG(
    dag_id="retail_daily",
    description="Generate, clean, validate and load one retail business day; compute its KPIs.",
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    tags=["retail", "daily", "warehouse"],
    doc_md=__doc__,
    params={
        "orders_per_day": Param(None, type=["null", "integer"], minimum=1,
                                description="Generator volume (orders); default RETAIL_ORDERS_PER_DAY."),
        "seed": Param(None, type=["null", "integer"],
                      description="Generator seed; default RETAIL_SEED."),
        "defect_scale": Param(1.0, type="number", minimum=0,
                              description="Multiplier of the generator's defect rates; 0 = clean data."),
    },
) as dag:

    @task(task_id="generate_landing")
    def generate_landing(ds: str, run_id: str, params: dict) -> dict:
        """Write the day's raw files and defect manifest under the landing folder."""
        return pipeline.generate_landing(pendulum.parse(ds).date(), run_id=run_id, params=params)

    @task(task_id="validate_landing")
    def validate_landing(ds: str, run_id: str) -> dict:
        """Landing gate: schema, non-empty, row counts within the manifest's band."""
        return pipeline.validate_layer("landing", pendulum.parse(ds).date(), run_id=run_id)

    clean_silver = SparkSubmitOperator(
        task_id="clean_silver",
        doc_md="Spark: ingest landing → bronze, clean/conform → silver, quarantine with reasons.",
        conn_id=SPARK_CONN_ID,
        application=pipeline.spark_job("clean"),
        application_args=SPARK_ARGS,
        conf=SPARK_CONF,
        name="retail-clean-{{ ds }}",
        env_vars={"PYSPARK_PYTHON": sys.executable},
    )

    @task(task_id="validate_silver")
    def validate_silver(ds: str, run_id: str) -> dict:
        """Silver gate: keys, value sets, ranges, referential integrity, reconciliation."""
        return pipeline.validate_layer("silver", pendulum.parse(ds).date(), run_id=run_id)

    compute_kpis = SparkSubmitOperator(
        task_id="compute_kpis",
        doc_md="Spark: KPI tables for the dates this run touched (Parquet + JSON).",
        conn_id=SPARK_CONN_ID,
        application=pipeline.spark_job("kpis"),
        application_args=SPARK_ARGS,
        conf=SPARK_CONF,
        name="retail-kpis-{{ ds }}",
        env_vars={"PYSPARK_PYTHON": sys.executable},
    )

    @task(task_id="validate_kpis")
    def validate_kpis(ds: str, run_id: str) -> dict:
        """KPI gate: rates in [0, 1], sums reconcile with silver, no unexpected NULLs."""
        return pipeline.validate_layer("kpi", pendulum.parse(ds).date(), run_id=run_id)

    @task(task_id="load_warehouse")
    def load_warehouse(ds: str, run_id: str) -> dict:
        """COPY into staging, then replace the date's rows in one transaction per date."""
        return pipeline.load_warehouse(pendulum.parse(ds).date(), run_id=run_id)

    @task(task_id="validate_warehouse")
    def validate_warehouse(ds: str, run_id: str) -> dict:
        """Warehouse gate: fact counts equal silver, SCD2 invariants, no orphan keys."""
        return pipeline.validate_layer("warehouse", pendulum.parse(ds).date(), run_id=run_id)

    (
        generate_landing()
        >> validate_landing()
        >> clean_silver
        >> validate_silver()
        >> compute_kpis
        >> validate_kpis()
        >> load_warehouse()
        >> validate_warehouse()
    )
