"""
### retail_bi_refresh — refresh BI caches when a warehouse date is published

Scheduled on the asset `retail_warehouse_date`, which `validate_warehouse` updates in
`retail_daily` and `retail_microbatch` once a date is loaded and passed its gate. BI is
refreshed because data arrived, not because a clock ticked: a backfill of seven dates
triggers refreshes for exactly those dates.

The task calls `retail_kpi.pipeline.refresh_bi(dates)`, which uses the Superset cache-refresh
hook (`superset/refresh.py`) when it exists and otherwise logs the published dates.
Runbook: `docs/RUNBOOK.md`.
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import DAG, task

from retail_kpi import pipeline
from retail_kpi.ops import dag_tasks

with DAG(
    dag_id="retail_bi_refresh",
    description="Refresh BI caches for the dates just published to the warehouse.",
    schedule=[dag_tasks.WAREHOUSE_DATE],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    # Active as soon as `make airflow` has parsed it (Airflow's default pauses new DAGs).
    is_paused_upon_creation=False,
    max_active_runs=1,
    default_args=dag_tasks.default_args(),
    tags=["retail", "bi"],
    doc_md=__doc__,
) as dag:

    @task(task_id="refresh_bi")
    def refresh_bi(triggering_asset_events: Any = None) -> dict:
        """Refresh the BI caches of the dates carried by the triggering asset events."""
        events = (triggering_asset_events or {}).get(dag_tasks.WAREHOUSE_DATE, [])
        dates = sorted({e.extra["date"] for e in events if e.extra and "date" in e.extra})
        return pipeline.refresh_bi(dates)

    refresh_bi()
