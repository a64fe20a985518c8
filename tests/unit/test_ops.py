"""Pure logic of retail_kpi.ops: alert channel and content, deadlines, secrets, audit.

The date lock needs PostgreSQL: tests/integration/test_warehouse_locks.py.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from retail_kpi import config, landing, pipeline, schemas
from retail_kpi.airflow_env import airflow_env
from retail_kpi.ops import alerts, audit, deadlines, secrets


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in (
        "RETAIL_ALERT_CHANNEL",
        "RETAIL_ALERT_WEBHOOK_URL",
        "RETAIL_ALERT_EMAIL",
        "BI_READER_PASSWORD",
        "RETAIL_FRESH_BY",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RETAIL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WAREHOUSE_URL", "postgresql://etl:pw-123456@db.example:5432/retail")
    monkeypatch.setattr(config, "SECRETS_FILE", tmp_path / "secrets.env")
    return monkeypatch


@pytest.mark.parametrize(
    ("webhook", "email", "chosen", "expected"),
    [
        ("", "", "auto", "log"),
        ("https://hooks.example/T/B/x", "", "auto", "slack"),
        ("", "oncall@example.com", "auto", "smtp"),
        ("https://hooks.example/T/B/x", "oncall@example.com", "auto", "slack"),
        ("https://hooks.example/T/B/x", "", "log", "log"),
    ],
)
def test_auto_channel_picks_the_first_configured(clean_env, webhook, email, chosen, expected):
    clean_env.setenv("RETAIL_ALERT_WEBHOOK_URL", webhook)
    clean_env.setenv("RETAIL_ALERT_EMAIL", email)
    clean_env.setenv("RETAIL_ALERT_CHANNEL", chosen)
    assert alerts.channel() == expected


def test_unknown_channel_is_one_clear_sentence(clean_env):
    clean_env.setenv("RETAIL_ALERT_CHANNEL", "pager")
    with pytest.raises(ValueError, match=r"RETAIL_ALERT_CHANNEL='pager' is unknown; use auto"):
        alerts.channel()


def test_alert_text_has_run_task_error_log_and_runbook():
    alert = alerts.Alert(
        kind="task_failed",
        dag_id="retail_daily",
        run_id="scheduled__2026-03-02",
        task_id="load_warehouse",
        logical_date="2026-03-02T00:00:00+00:00",
        try_number=3,
        error="WarehouseError: Cannot connect",
        log_url="http://127.0.0.1:8080/dags/retail_daily/runs/x/tasks/load_warehouse?try_number=3",
        runbook_url="docs/RUNBOOK.md#load-warehouse-failed",
    )
    assert alert.text().splitlines() == [
        "[retail-kpi] retail_daily.load_warehouse failed (run scheduled__2026-03-02)",
        "Error: WarehouseError: Cannot connect",
        "Log: http://127.0.0.1:8080/dags/retail_daily/runs/x/tasks/load_warehouse?try_number=3",
        "Runbook: docs/RUNBOOK.md#load-warehouse-failed",
    ]


def test_log_channel_writes_one_structured_line(clean_env, caplog):
    alert = alerts.Alert("task_failed", "d", "r", "t", None, 1, "boom", None, "rb")
    with caplog.at_level("ERROR", logger="retail_kpi.ops.alerts"):
        assert alerts.send(alert) == "log"
    (record,) = caplog.records
    prefix, payload = record.getMessage().split(" ", 1)
    assert prefix == "RETAIL_ALERT"
    assert json.loads(payload)["task_id"] == "t"


@pytest.mark.parametrize(
    ("raw", "interval"),
    [
        ("06:00", dt.timedelta(hours=30)),
        ("00:00", dt.timedelta(hours=24)),
        ("23:45", dt.timedelta(hours=47, minutes=45)),
    ],
)
def test_fresh_by_is_measured_from_the_start_of_the_business_day(raw, interval):
    assert deadlines.deadline_interval(deadlines.fresh_by(raw)) == interval


def test_a_bad_fresh_by_says_how_to_write_it():
    with pytest.raises(ValueError, match=r"RETAIL_FRESH_BY='6am' is not a time; use HH:MM"):
        deadlines.fresh_by("6am")


@pytest.mark.parametrize(
    ("run_type", "alerted"),
    [("scheduled", True), ("backfill", False), ("manual", False), ("asset_triggered", False)],
)
def test_deadline_alerts_only_for_scheduled_runs(run_type, alerted):
    context = {
        "dag_run": {
            "dag_id": "retail_daily",
            "dag_run_id": "r1",
            "run_type": run_type,
            "logical_date": "2026-03-02T00:00:00Z",
        }
    }
    alert = deadlines.deadline_alert(context, "06:00")
    assert (alert is not None) == alerted
    if alert:
        assert alert.error == "warehouse not fresh by 06:00 UTC: date 2026-03-02 is not loaded yet"
        assert alert.runbook_url.endswith("#warehouse-not-fresh")


def test_known_secrets_are_the_password_and_the_webhook(clean_env):
    clean_env.setenv("RETAIL_ALERT_WEBHOOK_URL", "https://hooks.example/services/T1/B2/tok")
    assert secrets.known_secrets() == [
        "pw-123456",
        "https://hooks.example/services/T1/B2/tok",
        "/services/T1/B2/tok",
    ]


def test_known_secrets_include_the_generated_passwords(clean_env, tmp_path):
    (tmp_path / "secrets.env").write_text("# c\nPOSTGRES_PASSWORD=su-secret-1\n")
    assert "su-secret-1" in secrets.known_secrets()


def _report(lake: Path, day: str, entities: dict[str, tuple[int, int, int, int]]) -> None:
    recon = lake / "_audit" / "clean" / f"dt={day}" / "reconciliation.json"
    recon.parent.mkdir(parents=True)
    names = ("rows_in", "rows_clean", "rows_quarantined", "rows_deduplicated")
    doc = {
        "balanced": True,
        "entities": {e: dict(zip(names, c, strict=True)) for e, c in entities.items()},
    }
    recon.write_text(json.dumps(doc))


def test_task_summary_reads_the_clean_reconciliation(clean_env, tmp_path):
    _report(
        tmp_path / "lake", "2026-03-02", {"orders": (10, 8, 1, 1), "order_items": (20, 19, 1, 0)}
    )
    day = dt.date(2026, 3, 2)
    summary = audit.task_summary("clean_silver", day, None)
    assert {k: summary[k] for k in ("rows_in", "rows_out", "rows_quarantined")} == {
        "rows_in": 30,
        "rows_out": 27,
        "rows_quarantined": 2,
    }
    assert summary["rows_deduplicated"] == 1
    assert [(r["entity"], r["rows_in"], r["rows_deduplicated"]) for r in summary["entities"]] == [
        ("order_items", 20, 0),
        ("orders", 10, 1),
    ]
    wait = audit.task_summary("wait_for_landing", day, {"files": {"orders": 2}})
    assert wait == {"rows_in": None, "rows_out": None, "rows_quarantined": None}
    loaded = {"fct_order_line": 19, "fct_web_session": 4, "dim_customer": 7, "kpi_daily_sales": 5}
    assert audit.task_summary("load_warehouse", day, loaded)["rows_out"] == 19 + 4  # facts only
    gate = audit.task_summary("validate_silver", day, {"outcome": "warned"})
    assert gate["validation_outcome"] == "warned"


def test_a_clean_of_two_dates_is_summed_and_listed_per_date(clean_env, tmp_path):
    """A micro-batch's clean_silver returns the dates it cleaned; each report counts."""
    _report(tmp_path / "lake", "2026-03-02", {"orders": (5, 4, 1, 0)})
    _report(tmp_path / "lake", "2026-03-03", {"orders": (7, 5, 0, 2)})
    result = {"dates": ["2026-03-02", "2026-03-03"]}
    summary = audit.task_summary("clean_silver", dt.date(2026, 3, 3), result)
    assert (summary["rows_in"], summary["rows_out"]) == (12, 9)
    assert (summary["rows_quarantined"], summary["rows_deduplicated"]) == (1, 2)
    assert [(r["run_date"], r["rows_clean"]) for r in summary["entities"]] == [
        (dt.date(2026, 3, 2), 4),
        (dt.date(2026, 3, 3), 5),
    ]


def test_landing_is_not_ready_until_the_done_marker_exists(clean_env, tmp_path):
    day = dt.date(2026, 3, 2)
    s = config.settings()
    orders = s.landing_dir / "orders" / "dt=2026-03-02"
    orders.mkdir(parents=True)
    (orders / "orders.csv").write_text("order_id\n")
    assert pipeline.landing_ready(day, s) is None  # files alone: still being written
    landing.write_marker(s.landing_dir, day, {"orders/dt=2026-03-02/orders.csv": 9})
    assert pipeline.landing_ready(day, s) == {
        "source": "files",
        "files": {e: int(e == "orders") for e in schemas.ENTITIES},
        "bytes": 9,
    }


def test_landing_ready_fails_naming_the_file_the_marker_lists_but_is_missing(clean_env):
    day = dt.date(2026, 3, 2)
    s = config.settings()
    files = {"orders/dt=2026-03-02/orders.csv": 9}
    landing.write_marker(s.landing_dir, day, files)
    with pytest.raises(landing.LandingError, match=r"missing: orders/dt=2026-03-02/orders\.csv"):
        pipeline.landing_ready(day, s)


def test_airflow_env_is_sized_for_two_cores_and_binds_localhost():
    env = airflow_env({"PATH": "/usr/bin"})
    assert env["AIRFLOW__CORE__PARALLELISM"] == "4"
    assert env["AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG"] == "2"
    assert env["AIRFLOW__API__HOST"] == "127.0.0.1"
    assert env["AIRFLOW__API__BASE_URL"] == "http://127.0.0.1:8080"
    custom = airflow_env({"PATH": "/usr/bin", "AIRFLOW__API__PORT": "8181"})
    assert custom["AIRFLOW__API__BASE_URL"] == "http://127.0.0.1:8181"


def _ti(try_number: int, max_tries: int, retries: int) -> SimpleNamespace:
    return SimpleNamespace(
        try_number=try_number, max_tries=max_tries, task=SimpleNamespace(retries=retries)
    )


@pytest.mark.parametrize(
    ("try_number", "max_tries", "retries", "expected"),
    [
        (1, 2, 2, 0),  # first try: max_tries = retries
        (2, 2, 2, 1),  # first retry
        (3, 2, 2, 2),  # second retry
        (2, 3, 2, 0),  # cleared after try 1: max_tries = 1 + 2, try 2 is a rerun
        (3, 3, 2, 1),  # the rerun failed and was retried
        (4, 5, 2, 0),  # cleared again after try 3
        (2, 1, 0, 0),  # no retries configured, cleared once
    ],
)
def test_a_retry_is_counted_from_the_last_clear(try_number, max_tries, retries, expected):
    assert audit.retry_number(_ti(try_number, max_tries, retries)) == expected


def _events(*dates_by_asset: list[str | None]) -> dict:
    """``triggering_asset_events``: one list of events per asset; None = no date in extra."""
    return {
        f"asset{i}": [SimpleNamespace(extra={} if d is None else {"date": d}) for d in dates]
        for i, dates in enumerate(dates_by_asset)
    }


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({"ds": "2026-03-02"}, "2026-03-02"),
        # asset-triggered: no ds; the date the triggering event carries
        ({"triggering_asset_events": _events(["2026-03-02"])}, "2026-03-02"),
        # the same date through an asset and an alias is still one date
        ({"triggering_asset_events": _events(["2026-03-02"], ["2026-03-02"])}, "2026-03-02"),
        # several dates: none of them is the run's
        ({"triggering_asset_events": _events(["2026-03-02", "2026-03-03"])}, None),
        ({"triggering_asset_events": _events([None, "not a date"])}, None),
        ({}, None),
    ],
)
def test_business_date_of_a_run_with_and_without_a_logical_date(context, expected):
    assert audit.business_date(context) == expected
