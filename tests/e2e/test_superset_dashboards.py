"""Every dashboard of superset/bundle opens in headless Chromium with every chart drawn.

Superset runs for real (gunicorn, fresh metadata DB, the bundle imported by
superset/manage.py exactly as `make superset` does); the browser report comes from
superset/browse.py. The KPI check compares what the page shows with a query on
PostgreSQL written here, independently of Superset's SQL.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml

from retail_kpi.config import REPO_ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

BUNDLE = REPO_ROOT / "superset" / "bundle"


def _bundle_dashboards() -> dict[str, dict[str, Any]]:
    return {
        doc["slug"]: doc
        for doc in (yaml.safe_load(p.read_text()) for p in (BUNDLE / "dashboards").glob("*.yaml"))
    }


def _chart(report: dict[str, Any], slug: str, name: str) -> dict[str, Any]:
    dash = next(d for d in report["dashboards"] if d["slug"] == slug)
    return next(c for c in dash["charts"] if c["name"] == name)


def test_every_bundled_dashboard_was_imported(browser_report: dict[str, Any]) -> None:
    shown = {d["slug"]: d for d in browser_report["dashboards"]}
    for slug, doc in _bundle_dashboards().items():
        assert slug in shown, f"dashboard {slug!r} was not imported"
        charts_in_layout = [
            v for v in doc["position"].values() if isinstance(v, dict) and v.get("type") == "CHART"
        ]
        assert len(shown[slug]["charts"]) == len(charts_in_layout), slug


def test_every_chart_rendered_without_error(browser_report: dict[str, Any]) -> None:
    problems = []
    for dash in browser_report["dashboards"]:
        assert dash["charts"], f"{dash['slug']} has no charts"
        assert Path(dash["screenshot"]).stat().st_size > 0
        for chart in dash["charts"]:
            where = f"{dash['slug']} / {chart['name']}"
            if chart.get("status") != 200 or chart.get("query_error"):
                problems.append(f"{where}: data {chart.get('status')} {chart.get('query_error')}")
            elif chart.get("error") or chart.get("loading") or not chart.get("drawn"):
                problems.append(
                    f"{where}: page shows error={chart.get('error')!r}, "
                    f"loading={chart.get('loading')}, drawn={chart.get('drawn')}"
                )
    assert not problems, "\n".join(problems)


def test_executive_net_sales_equals_postgres(browser_report: dict[str, Any], bi_warehouse) -> None:
    with psycopg.connect(bi_warehouse.url) as conn:
        row = conn.execute("select sum(net_sales_usd) from mart.v_sales_daily").fetchone()
    assert row is not None
    expected = row[0]
    shown = _chart(browser_report, "executive-overview", "Net sales")["big_number"]
    assert shown == f"${Decimal(expected):,.2f}"
