"""
### retail_daily — one business day through every layer

`wait_for_landing` → `validate_landing` → `clean_silver` (Spark) → `validate_silver`
→ `compute_kpis` (Spark) → `validate_kpis` → `load_warehouse` → `validate_warehouse`

* **Waits, never writes its input**: `wait_for_landing` is a sensor (reschedule mode, a look
  a minute, up to 6 h) that succeeds once the source has written the date's done-marker
  `<landing>/_ready/dt=YYYY-MM-DD.json`, last, after its files; it fails naming the files when
  they break the landing contract (an unexpected file; files missing, extra or truncated
  against the marker). Contract: `docs/DATA.md` ("Landing contract"). Locally the upstream
  simulator drops a date: `python -m simulator generate --date YYYY-MM-DD`.
* **One run = one business date**: the run's data interval (`{{ ds }}`); every task reads and
  replaces only that date's partitions (holding the date's lock), so clearing any task and
  rerunning it, or running the date twice, leaves the same warehouse.
* **Schedule**: daily at 00:00 UTC for the day that just ended; `catchup=False`. Backfill a range
  with Airflow's native backfill (UI: *Trigger → Backfill*, or
  `airflow backfill create --dag-id retail_daily --from-date … --to-date …`); runs of a
  backfill are ordinary runs of this DAG, one date each, `max_active_runs=1`.
* **Gates block**: a blocking Great Expectations failure fails its task and nothing
  downstream runs for that date (see `docs/QUALITY.md`).
* **Spark** runs through the Airflow connection `spark` in the pool `spark` (1 slot: one
  Spark application at a time on a small machine).
* **Alerts**: retries with exponential backoff; one alert per *final* failure (Slack, SMTP or
  a log line); deadline alert when the date is not loaded by `RETAIL_FRESH_BY` (UTC, next day).
* **Publishes** the asset `retail_warehouse_date` when a date passed the warehouse gate;
  `retail_bi_refresh` runs on it.
* Run audit: `audit.task_run`, `audit.v_dag_run`. Runbook: `docs/RUNBOOK.md`.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, CronDataIntervalTimetable

from retail_kpi.ops import dag_tasks
from retail_kpi.ops.deadlines import freshness_deadline

with DAG(
    dag_id="retail_daily",
    description="Wait for, validate, clean and load one retail business day; compute its KPIs.",
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    # Active as soon as `make airflow` has parsed it (Airflow's default pauses new DAGs).
    is_paused_upon_creation=False,
    # One date at a time: each run starts two Spark applications on a 2-core machine.
    max_active_runs=1,
    max_active_tasks=2,
    # The landing wait (up to 6 h) plus the work: the deadline alert still fires at
    # RETAIL_FRESH_BY when a late source makes the date late.
    dagrun_timeout=pendulum.duration(hours=9),
    default_args=dag_tasks.default_args(),
    deadline=freshness_deadline(),
    tags=["retail", "daily", "warehouse"],
    doc_md=__doc__,
    params=dag_tasks.params(),
) as dag:
    dag_tasks.add_pipeline_tasks()
