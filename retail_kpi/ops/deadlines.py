"""Deadline alert "warehouse not fresh by HH:MM" (Airflow 3.1+ ``DeadlineAlert``).

A daily run's logical date is the start of the business day it loads, so "date D must be
in the warehouse by 06:00 UTC on D+1" is the deadline ``logical_date + 1 day + 6 h``.
Airflow evaluates it when the run is created and calls :func:`warehouse_not_fresh` in the
triggerer if the run has not finished by then. Backfills and manual reruns of old dates
would miss such a deadline by construction, so the callback alerts only for scheduled runs.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

from retail_kpi.config import env
from retail_kpi.ops.alerts import Alert, runbook_url, send

log = logging.getLogger(__name__)

ALERTED_RUN_TYPES = ("scheduled",)


def fresh_by(value: str | None = None) -> dt.time:
    """Parse ``RETAIL_FRESH_BY`` (``HH:MM``, UTC)."""
    raw = (value if value is not None else env("RETAIL_FRESH_BY")).strip()
    try:
        return dt.time.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"RETAIL_FRESH_BY={raw!r} is not a time; use HH:MM (UTC).") from None


def deadline_interval(by: dt.time) -> dt.timedelta:
    """Time from a daily run's logical date (00:00 of D) to ``by`` on D+1."""
    return dt.timedelta(days=1, hours=by.hour, minutes=by.minute)


#: Values of RETAIL_FRESH_BY that switch the deadline alert off.
DISABLED = ("", "off", "none")


def freshness_deadline(by: dt.time | None = None) -> Any:
    """The ``DeadlineAlert`` to pass as ``DAG(deadline=...)``; None when switched off.

    ``RETAIL_FRESH_BY=off`` disables it. The demo and the tests do so because
    ``airflow dags test`` in Airflow 3.3.2 exits non-zero after a *successful* run of any
    DAG with a deadline (apache/airflow#73428, fix pending in #73430).
    """
    from airflow.sdk.definitions.callback import AsyncCallback
    from airflow.sdk.definitions.deadline import DeadlineAlert, DeadlineReference

    if by is None and env("RETAIL_FRESH_BY").strip().lower() in DISABLED:
        return None
    by = by or fresh_by()
    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_LOGICAL_DATE,
        interval=deadline_interval(by),
        callback=AsyncCallback(warehouse_not_fresh, kwargs={"fresh_by": by.strftime("%H:%M")}),
        name="warehouse_fresh",
    )


def deadline_alert(context: dict[str, Any], fresh_by: str) -> Alert | None:
    """The alert for a missed deadline, or None when the run type is not alerted on."""
    run = context.get("dag_run") or {}
    if run.get("run_type") not in ALERTED_RUN_TYPES:
        return None
    logical = run.get("logical_date")
    day = str(logical)[:10] if logical else "?"
    return Alert(
        kind="deadline_missed",
        dag_id=str(run.get("dag_id")),
        run_id=str(run.get("dag_run_id") or run.get("run_id")),
        task_id=None,
        logical_date=str(logical) if logical else None,
        try_number=None,
        error=f"warehouse not fresh by {fresh_by} UTC: date {day} is not loaded yet",
        log_url=None,
        runbook_url=runbook_url("warehouse-not-fresh"),
    )


async def warehouse_not_fresh(context: dict[str, Any] | None = None, fresh_by: str = "") -> str:
    """Deadline callback (runs in the triggerer). Returns what it did, for the callback log."""
    alert = deadline_alert(context or {}, fresh_by)
    if alert is None:
        run_type = (context or {}).get("dag_run", {}).get("run_type")
        log.info("deadline missed by a %s run; alerts are only sent for scheduled runs", run_type)
        return f"skipped ({run_type} run)"
    used = await asyncio.to_thread(send, alert)
    return f"alert sent via {used}"
