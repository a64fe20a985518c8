"""KPI gate on hand-written KPI Parquet next to the tiny silver day of quality_data.

The expected KPI values are worked out by hand in ``quality_data.kpi_rows``; a
violation is injected by changing one value.
"""

from __future__ import annotations

import copy
from pathlib import Path

import psycopg
import pytest

from retail_kpi.quality import QualityGateFailed, run_gate
from tests.integration import quality_data as qd

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def warehouse(make_database) -> str:
    from retail_kpi.warehouse.migrate import migrate

    url = make_database("rk_gx_test_kpi")
    migrate(url)
    return url


def _setup(tmp_path: Path, url: str, **changes: tuple[str, str, object]):
    s = qd.settings_for(tmp_path, url)
    qd.write_clean_silver(s)
    rows = copy.deepcopy(qd.kpi_rows())
    for table, column, value in changes.values():
        rows[table][0][column] = value
    qd.write_kpis(s, rows)
    return s


def test_consistent_kpis_pass(tmp_path: Path, warehouse: str) -> None:
    result = run_gate("kpi", qd.DAY, run_id="kpi-ok", settings=_setup(tmp_path, warehouse))
    assert result.success and not result.warnings


def test_net_sales_not_matching_silver_blocks(tmp_path: Path, warehouse: str) -> None:
    s = _setup(tmp_path, warehouse, a=("kpi_daily_sales", "net_sales_usd", 61.0))

    with pytest.raises(QualityGateFailed) as caught:
        run_gate("kpi", qd.DAY, run_id="kpi-sales", settings=s)

    message = str(caught.value)
    assert "suite kpi_daily_sales, expectation expect_column_values_to_be_between" in message
    assert "on column net_sales_gap observed 1 unexpected row of 1, e.g. [1.0]" in message
    assert "sales_date=2026-01-05, country_code=USA" in message


def test_rate_above_one_blocks_and_is_audited(tmp_path: Path, warehouse: str) -> None:
    s = _setup(tmp_path, warehouse, a=("kpi_engagement_daily", "conversion_rate", 1.25))

    with pytest.raises(QualityGateFailed, match="suite kpi_engagement_daily"):
        run_gate("kpi", qd.DAY, run_id="kpi-rate", settings=s)

    with psycopg.connect(warehouse) as conn:
        rows = conn.execute(
            'select suite, "column", is_blocking, observed_value from audit.validation_result'
            " where run_id = 'kpi-rate' and not success"
        ).fetchall()
    assert rows == [
        ("kpi_engagement_daily", "conversion_rate", True, "1 unexpected row of 1, e.g. [1.25]")
    ]


def test_returns_above_sales_only_warn(tmp_path: Path, warehouse: str) -> None:
    s = _setup(tmp_path, warehouse, a=("kpi_daily_country", "return_rate_units", 1.5))

    result = run_gate("kpi", qd.DAY, run_id="kpi-warn", settings=s)

    assert result.success
    assert [(w.suite, w.column) for w in result.warnings] == [
        ("kpi_daily_country", "return_rate_units")
    ]


def test_missing_kpi_table_blocks(tmp_path: Path, warehouse: str) -> None:
    # No KPI output at all for a date is not validated (test_quality_no_data.py).
    s = qd.settings_for(tmp_path, warehouse)
    qd.write_clean_silver(s)
    rows = qd.kpi_rows()
    del rows["kpi_daily_sales"]
    qd.write_kpis(s, rows)

    with pytest.raises(QualityGateFailed, match="suite kpi_daily_sales"):
        run_gate("kpi", qd.DAY, run_id="kpi-none", settings=s)
