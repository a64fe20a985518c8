"""Failure alerts: one notification per *final* failure, never while a task only retries.

Airflow calls ``on_failure_callback`` only when a task has no retries left and
``on_retry_callback`` otherwise, so wiring :func:`notify_task_failure` to the former is
what keeps on-call quiet during transient errors. Every alert is also written as one
structured log line (``RETAIL_ALERT {...}``) so the default channel needs no setup.

Channels (``RETAIL_ALERT_CHANNEL``): ``slack`` posts to an incoming webhook
(``RETAIL_ALERT_WEBHOOK_URL``), ``smtp`` sends through Airflow's SMTP provider and the
``smtp_default`` connection, ``log`` only logs; ``auto`` picks the first configured.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from dataclasses import asdict, dataclass
from typing import Any

from retail_kpi.config import env

log = logging.getLogger(__name__)

CHANNELS = ("log", "slack", "smtp")
HTTP_TIMEOUT_S = 10
LOG_PREFIX = "RETAIL_ALERT"


@dataclass(frozen=True)
class Alert:
    """What an on-call engineer needs to act, independent of the channel."""

    kind: str  # task_failed | deadline_missed
    dag_id: str
    run_id: str
    task_id: str | None
    logical_date: str | None
    try_number: int | None
    error: str | None
    log_url: str | None
    runbook_url: str

    def title(self) -> str:
        where = f"{self.dag_id}.{self.task_id}" if self.task_id else self.dag_id
        what = "failed" if self.kind == "task_failed" else "missed its deadline"
        return f"[retail-kpi] {where} {what} (run {self.run_id})"

    def text(self) -> str:
        lines = [self.title()]
        if self.error:
            lines.append(f"Error: {self.error}")
        if self.log_url:
            lines.append(f"Log: {self.log_url}")
        lines.append(f"Runbook: {self.runbook_url}")
        return "\n".join(lines)


def channel() -> str:
    """The configured channel; ``auto`` resolves to the first one that is set up."""
    chosen = env("RETAIL_ALERT_CHANNEL").strip().lower()
    if chosen == "auto":
        if env("RETAIL_ALERT_WEBHOOK_URL"):
            return "slack"
        return "smtp" if env("RETAIL_ALERT_EMAIL") else "log"
    if chosen not in CHANNELS:
        raise ValueError(
            f"RETAIL_ALERT_CHANNEL={chosen!r} is unknown; use auto, {', '.join(CHANNELS)}."
        )
    return chosen


def runbook_url(anchor: str | None = None) -> str:
    base = env("RETAIL_RUNBOOK_URL")
    return f"{base}#{anchor}" if anchor else base


def _one_line(error: BaseException | str | None, limit: int = 300) -> str | None:
    if error is None:
        return None
    text = f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else error
    first = text.strip().splitlines()[0] if text.strip() else text
    return first[:limit]


def alert_from_context(context: Any) -> Alert:
    """Build the alert of a failed task from its Airflow context."""
    ti = context["ti"]
    dag_run = context.get("dag_run")
    logical = getattr(dag_run, "logical_date", None)
    try:
        log_url = ti.log_url
    except Exception:  # the API base URL may be unset in odd setups
        log_url = None
    return Alert(
        kind="task_failed",
        dag_id=ti.dag_id,
        run_id=ti.run_id,
        task_id=ti.task_id,
        logical_date=logical.isoformat() if logical else None,
        try_number=getattr(ti, "try_number", None),
        error=_one_line(context.get("exception")),
        log_url=log_url,
        runbook_url=runbook_url(f"{ti.task_id.replace('_', '-')}-failed"),
    )


def send(alert: Alert) -> str:
    """Log the alert as one structured line, then deliver it; returns the channel used."""
    used = channel()
    log.error("%s %s", LOG_PREFIX, json.dumps({"channel": used, **asdict(alert)}, sort_keys=True))
    if used == "slack":
        _post_slack(alert)
    elif used == "smtp":
        _send_smtp(alert)
    return used


def _post_slack(alert: Alert) -> None:
    url = env("RETAIL_ALERT_WEBHOOK_URL")
    if not url:
        raise ValueError("RETAIL_ALERT_CHANNEL=slack needs RETAIL_ALERT_WEBHOOK_URL.")
    body = json.dumps({"text": alert.text()}).encode()
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:
        response.read()


def _send_smtp(alert: Alert) -> None:
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    recipients = [r.strip() for r in env("RETAIL_ALERT_EMAIL").split(",") if r.strip()]
    if not recipients:
        raise ValueError("RETAIL_ALERT_CHANNEL=smtp needs RETAIL_ALERT_EMAIL.")
    html = "<br>".join(alert.text().splitlines())
    SmtpNotifier(to=recipients, subject=alert.title(), html_content=html).notify({})


def notify_task_failure(context: Any) -> None:
    """``on_failure_callback``: Airflow calls it once, after the last retry failed."""
    from retail_kpi.ops.secrets import mask_known_secrets

    mask_known_secrets()
    try:
        send(alert_from_context(context))
    except Exception:  # an alert that cannot be sent must not hide the task's own error
        log.exception("Could not deliver the failure alert; see the RETAIL_ALERT line above.")


def main() -> int:
    """``python -m retail_kpi.ops.alerts``: send a test alert through the configured channel."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    alert = Alert(
        kind="task_failed",
        dag_id="retail_daily",
        run_id="manual__alert_test",
        task_id="alert_test",
        logical_date=None,
        try_number=None,
        error="Test alert: if you read this, alerting works.",
        log_url=None,
        runbook_url=runbook_url("alerting"),
    )
    print(f"test alert sent via {send(alert)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
