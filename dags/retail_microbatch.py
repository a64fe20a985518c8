"""
### retail_microbatch — refresh today's KPIs every 10 minutes

The same eight tasks as `retail_daily` (shared code: `retail_kpi/ops/dag_tasks.py`), run every
10 minutes on the business date of the interval (`{{ ds }}`), so the warehouse shows "today
so far" within 10 minutes instead of the next morning — the cadence of seed 001's cron job.

* Each run replaces the date's partitions and rows (never appends), so every micro-batch is
  a full, idempotent refresh of the date; `retail_daily` at midnight makes the final pass.
* Runs of this DAG and of `retail_daily` for the same date never overlap inside a task: each
  task holds the date's lock, and Spark tasks share the 1-slot pool `spark`.
* Paused on creation and `catchup=False`: unpause it when you want intraday refreshes; a
  run that is still busy when the next is due makes that one wait (`max_active_runs=1`).
* Small volume by default (`orders_per_day` 200) to fit a 10-minute slot on 2 cores.
* Runbook: `docs/RUNBOOK.md`.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, CronDataIntervalTimetable

from retail_kpi.ops import dag_tasks

MICROBATCH_ORDERS = 200

with DAG(
    dag_id="retail_microbatch",
    description="Every 10 minutes: refresh the current business date through every layer.",
    schedule=CronDataIntervalTimetable("*/10 * * * *", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    is_paused_upon_creation=True,
    max_active_runs=1,
    max_active_tasks=2,
    dagrun_timeout=pendulum.duration(minutes=30),
    default_args=dag_tasks.default_args(),
    tags=["retail", "microbatch", "warehouse"],
    doc_md=__doc__,
    params=dag_tasks.params(orders_default=MICROBATCH_ORDERS),
) as dag:
    dag_tasks.add_pipeline_tasks()
