"""
### retail_microbatch — Kafka events into the warehouse every 10 minutes

`plan_batch` → `ingest_kafka` (Spark) → `record_batch` → `clean_silver` (Spark) →
`validate_silver` → `compute_kpis` (Spark) → `validate_kpis` → `load_warehouse` →
`validate_warehouse`

* **One run = one Kafka micro-batch**: `plan_batch` fixes the offset ranges to read (from
  where the last batch ended to the topics' ends now) in the ledger `audit.kafka_batch` /
  `audit.kafka_offsets` before anything is read. Retries, a killed task or a task cleared
  in this UI read exactly the same messages again; nothing is lost or doubled. A run that
  failed for good has its batch adopted by the next run.
* **Topics**: `retail.<entity>` (customers, products, orders, order_items, shipments,
  returns, inventory, web_sessions, fx_rates); contract and event schema: `docs/SOURCES.md`.
  Poison messages are quarantined with topic, partition and offset; they never stop a batch.
* **Dates**: the batch's messages are grouped by ingest date (UTC date of the message
  timestamp); every later task processes those dates (usually today), each date again
  from all its messages, so a late event reopens its business date's KPIs.
* **Nothing new**: `plan_batch` is skipped and so is the rest of the run.
* Paused on creation: unpause it once a source (or `python -m simulator produce`) writes
  to the topics. `max_active_runs=1`; `retail_daily` closes each day.
* Runbook: `docs/RUNBOOK.md`.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, CronDataIntervalTimetable

from retail_kpi.ops import dag_tasks, microbatch_tasks

with DAG(
    dag_id="retail_microbatch",
    description="Every 10 minutes: read new Kafka events once, clean, check and load them.",
    schedule=CronDataIntervalTimetable("*/10 * * * *", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    is_paused_upon_creation=True,
    max_active_runs=1,
    max_active_tasks=2,
    dagrun_timeout=pendulum.duration(minutes=30),
    default_args=dag_tasks.default_args(),
    tags=["retail", "microbatch", "kafka", "warehouse"],
    doc_md=__doc__,
    params=dag_tasks.params(),
) as dag:
    microbatch_tasks.add_microbatch_tasks()
