"""Run audit: every task try of every run, in Postgres and as one structured log line.

Wired as Airflow task callbacks (``on_execute``, ``on_success``, ``on_retry``,
``on_failure``, ``on_skipped``), so it covers Python and Spark tasks alike and the task
bodies stay free of bookkeeping. Each try is one row of ``audit.task_run``
(``warehouse/migrations/V300``, ``V302``); ``audit.v_dag_run`` rolls them up per run.
Writing the audit must never fail a task: when the warehouse is unreachable the log line
still says everything, and the row is written by the next callback that can reach it.

Two things Airflow 3 does not hand over directly: the business date of a run that has no
logical date (asset-triggered runs, :func:`business_date`), and whether a try is a retry
or a rerun a user asked for by clearing the task (:func:`retry_number`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import asdict, dataclass
from typing import Any

from retail_kpi.config import settings

log = logging.getLogger(__name__)

LOG_PREFIX = "RUN_AUDIT"

_UPSERT = """
insert into audit.task_run as t (
    dag_id, run_id, task_id, map_index, try_number, retry_number, run_type, business_date,
    state, started_at, finished_at, rows_in, rows_out, rows_quarantined, rows_deduplicated,
    validation_outcome, error, details
) values (
    %(dag_id)s, %(run_id)s, %(task_id)s, %(map_index)s, %(try_number)s, %(retry_number)s,
    %(run_type)s, %(business_date)s, %(state)s, %(started_at)s, %(finished_at)s, %(rows_in)s,
    %(rows_out)s, %(rows_quarantined)s, %(rows_deduplicated)s, %(validation_outcome)s,
    %(error)s, %(details)s
)
on conflict (dag_id, run_id, task_id, map_index, try_number) do update set
    retry_number = excluded.retry_number,
    business_date = excluded.business_date,
    state = excluded.state,
    started_at = least(t.started_at, excluded.started_at),
    finished_at = excluded.finished_at,
    rows_in = excluded.rows_in,
    rows_out = excluded.rows_out,
    rows_quarantined = excluded.rows_quarantined,
    rows_deduplicated = excluded.rows_deduplicated,
    validation_outcome = excluded.validation_outcome,
    error = excluded.error,
    details = excluded.details
"""

#: The clean task's per-entity counts (:func:`task_summary`'s ``entities``).
_UPSERT_ENTITY = """
insert into audit.run_audit (
    run_id, task, entity, run_date, rows_in, rows_clean, rows_quarantined, rows_deduplicated,
    status, started_at, finished_at
) values (
    %(run_id)s, 'clean', %(entity)s, %(run_date)s, %(rows_in)s, %(rows_clean)s,
    %(rows_quarantined)s, %(rows_deduplicated)s, 'success', %(started_at)s, %(finished_at)s
)
on conflict (run_id, task, entity, run_date) do update set
    rows_in = excluded.rows_in,
    rows_clean = excluded.rows_clean,
    rows_quarantined = excluded.rows_quarantined,
    rows_deduplicated = excluded.rows_deduplicated,
    status = excluded.status,
    started_at = excluded.started_at,
    finished_at = excluded.finished_at
"""


@dataclass
class TaskRecord:
    """One task try, as stored in ``audit.task_run``."""

    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    try_number: int
    run_type: str | None
    business_date: str | None
    state: str
    started_at: str
    finished_at: str | None = None
    rows_in: int | None = None
    rows_out: int | None = None
    rows_quarantined: int | None = None
    rows_deduplicated: int | None = None
    validation_outcome: str | None = None
    error: str | None = None
    details: dict[str, Any] | None = None
    #: Automatic retries used when this try started (see :func:`retry_number`).
    retry_number: int = 0


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _iso_date(value: Any) -> str | None:
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        return None


def business_date(context: Any) -> str | None:
    """The business date a try worked on, ``YYYY-MM-DD``, or None.

    A scheduled, manual or backfill run has a logical date: its ``ds``. An asset-triggered
    run (``retail_bi_refresh``) has none in Airflow 3 (no ``ds``, no data interval); the
    date it works on is the one its triggering asset events carry (``extra["date"]``,
    set by ``validate_warehouse``). Events of several dates give None: no single date is
    the run's, and the task's result (``details``) lists them.
    """
    if context.get("ds"):
        return _iso_date(context["ds"])
    events = context.get("triggering_asset_events") or {}
    dates = {
        _iso_date(event.extra["date"])
        for batch in events.values()
        for event in batch
        if isinstance(getattr(event, "extra", None), dict) and "date" in event.extra
    }
    dates.discard(None)
    return dates.pop() if len(dates) == 1 else None


def retry_number(ti: Any) -> int:
    """How many automatic retries the task had used when this try started.

    Airflow's ``try_number`` grows with every try, including the one a user starts by
    clearing the task, so ``try_number - 1`` counts a clear as a retry. Clearing also
    sets ``max_tries = try_number + retries``, so the first try of the current series is
    ``max_tries - retries + 1`` (Airflow's own arithmetic, ``RuntimeTaskInstance.
    get_first_reschedule_date``): 0 for a first try and for the first try after a clear,
    n for the n-th retry Airflow made because the previous try failed.
    """
    try_number = int(getattr(ti, "try_number", 1) or 1)
    max_tries = getattr(ti, "max_tries", None)
    retries = getattr(getattr(ti, "task", None), "retries", None)
    if max_tries is None or retries is None:
        return try_number - 1
    first_of_series = int(max_tries) - int(retries) + 1
    return min(max(try_number - first_of_series, 0), try_number - 1)


def record_from_context(context: Any, state: str) -> TaskRecord:
    ti = context["ti"]
    dag_run = context.get("dag_run")
    run_type = getattr(dag_run, "run_type", None)
    start = getattr(ti, "start_date", None)
    map_index = getattr(ti, "map_index", None)
    return TaskRecord(
        dag_id=ti.dag_id,
        run_id=ti.run_id,
        task_id=ti.task_id,
        map_index=-1 if map_index is None else int(map_index),
        try_number=int(getattr(ti, "try_number", 1) or 1),
        retry_number=retry_number(ti),
        run_type=str(getattr(run_type, "value", run_type)) if run_type else None,
        business_date=business_date(context),
        state=state,
        started_at=start.isoformat() if start else _now(),
    )


def write(
    record: TaskRecord, url: str | None = None, entities: list[dict[str, Any]] | None = None
) -> bool:
    """Log the record as one line, then upsert it; False when the database was unreachable.

    ``entities``: per-entity counts of a clean try, upserted into ``audit.run_audit`` in the
    same transaction.
    """
    log.info("%s %s", LOG_PREFIX, json.dumps(asdict(record), sort_keys=True, default=str))
    import psycopg
    from psycopg.types.json import Jsonb

    from retail_kpi.warehouse.db import WarehouseError, connection

    row = asdict(record)
    row["details"] = Jsonb(record.details) if record.details is not None else None
    try:
        with connection(url or settings().warehouse_url) as conn, conn.transaction():
            conn.execute(_UPSERT, row)
            for counts in entities or []:
                conn.execute(
                    _UPSERT_ENTITY,
                    {
                        "rows_in": None,
                        "rows_clean": None,
                        "rows_quarantined": None,
                        "rows_deduplicated": None,
                        **counts,
                        "run_id": record.run_id,
                        "started_at": record.started_at,
                        "finished_at": record.finished_at,
                    },
                )
    except (psycopg.Error, WarehouseError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        log.warning("run audit not stored in the warehouse (%s); the line above has it", first)
        return False
    return True


def _sum_key(rows: list[dict[str, Any]], *keys: str) -> int | None:
    values = [int(counts[k]) for counts in rows for k in keys if isinstance(counts.get(k), int)]
    return sum(values) if values else None


def task_summary(task_id: str, day: dt.date, result: Any) -> dict[str, Any]:
    """Rows in/out/quarantined/deduplicated and gate outcome of a finished task, for the
    run audit; for clean_silver also ``entities``: one row per (landing date, entity) of
    the reconciliation reports, as stored in ``audit.run_audit``."""
    from retail_kpi import pipeline  # not at import time: DAG parsing stays light

    out: dict[str, Any] = {"rows_in": None, "rows_out": None, "rows_quarantined": None}
    if task_id == "clean_silver":
        rows = [
            {"run_date": d, "entity": entity, **counts}
            for d in pipeline.clean_dates(day, result)
            for entity, counts in sorted(pipeline.clean_reconciliation(d).items())
            if isinstance(counts, dict)
        ]
        out["rows_in"] = _sum_key(rows, "rows_in")
        out["rows_out"] = _sum_key(rows, "rows_clean", "rows_silver", "rows_out")
        out["rows_quarantined"] = _sum_key(rows, "rows_quarantined")
        out["rows_deduplicated"] = _sum_key(rows, "rows_deduplicated")
        out["entities"] = rows
    elif task_id == "load_warehouse" and isinstance(result, dict):
        from retail_kpi.load.facts import FACTS

        # Fact rows only: dimension versions and KPI rows are not the day's records, and
        # counting them made "rows loaded" exceed the rows the run ingested.
        facts = {spec.table for spec in FACTS}
        out["rows_out"] = sum(int(v) for k, v in result.items() if k in facts)
    if task_id.startswith("validate_") and isinstance(result, dict):
        out["validation_outcome"] = result.get("outcome", "passed")
    return out


def _finish(context: Any, state: str) -> tuple[TaskRecord, list[dict[str, Any]]]:
    """The try's record, and (clean_silver) its per-entity counts for ``audit.run_audit``."""
    entities: list[dict[str, Any]] = []
    record = record_from_context(context, state)
    record.finished_at = _now()
    exc = context.get("exception")
    if state == "success":
        ti = context["ti"]
        result = ti.xcom_pull(task_ids=ti.task_id, key="return_value")
        day = record.business_date
        summary = task_summary(ti.task_id, dt.date.fromisoformat(day), result) if day else {}
        record.rows_in = summary.get("rows_in")
        record.rows_out = summary.get("rows_out")
        record.rows_quarantined = summary.get("rows_quarantined")
        record.rows_deduplicated = summary.get("rows_deduplicated")
        entities = summary.get("entities", [])
        record.validation_outcome = summary.get("validation_outcome")
        record.details = result if isinstance(result, dict) else None
    elif exc is not None:
        text = f"{type(exc).__name__}: {exc}".strip()
        record.error = text.splitlines()[0][:500]
        if type(exc).__name__ == "QualityGateFailed":
            record.validation_outcome = "failed"
    return record, entities


def _safe(fn: Any) -> Any:
    """Callbacks must never raise: an audit problem is logged, the task state stands."""

    def wrapper(context: Any) -> None:
        try:
            fn(context)
        except Exception:
            log.exception("run audit callback %s failed", fn.__name__)

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


@_safe
def task_started(context: Any) -> None:
    """``on_execute_callback``: a try began (also masks this process's secrets)."""
    from retail_kpi.ops.secrets import mask_known_secrets

    mask_known_secrets()
    write(record_from_context(context, "running"))


@_safe
def task_succeeded(context: Any) -> None:
    """``on_success_callback``."""
    record, entities = _finish(context, "success")
    write(record, entities=entities)


@_safe
def task_retried(context: Any) -> None:
    """``on_retry_callback``: this try failed, Airflow will try again (no alert)."""
    write(_finish(context, "up_for_retry")[0])


@_safe
def task_failed(context: Any) -> None:
    """``on_failure_callback``: the final try failed."""
    write(_finish(context, "failed")[0])


@_safe
def task_skipped(context: Any) -> None:
    """``on_skipped_callback`` (dry runs skip the warehouse tasks)."""
    write(_finish(context, "skipped")[0])
