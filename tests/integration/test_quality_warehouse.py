"""Warehouse gate on a real load: the warehouse area's loader fills Postgres from the
tiny day-1 silver scenario, then GX (SQL datasource) checks it; violations are injected
with plain SQL afterwards. Day 1 holds 4 order lines (O1 x2, O2, O3) for 2 countries.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import psycopg
import pytest

from retail_kpi import config
from retail_kpi.load import load_date
from retail_kpi.quality import QualityGateFailed, run_gate
from retail_kpi.warehouse.migrate import migrate
from tests.integration.warehouse_helpers import DAY1, WRITERS, write_day1_daily_sales

pytestmark = pytest.mark.integration


@pytest.fixture
def loaded(make_database, tmp_path: Path) -> config.Settings:
    url = make_database("rk_gx_test_wh")
    migrate(url)
    s = dataclasses.replace(
        config.settings(), warehouse_url=url, data_dir=tmp_path, lake_dir=tmp_path / "lake"
    )
    WRITERS[DAY1](s.lake_dir)
    write_day1_daily_sales(s.lake_dir)  # what the KPI job writes: the load loads it
    load_date(DAY1, settings=s, run_id="load-1")
    return s


def _sql(s: config.Settings, statement: str) -> None:
    with psycopg.connect(s.warehouse_url, autocommit=True) as conn:
        conn.execute(statement)


def _failed(s: config.Settings, run_id: str) -> list[tuple]:
    with psycopg.connect(s.warehouse_url) as conn:
        return conn.execute(
            "select suite, expectation, is_blocking, unexpected_count, details->'sample_rows'"
            " from audit.validation_result where run_id = %s and not success"
            " order by suite, expectation",
            (run_id,),
        ).fetchall()


def test_loaded_day_passes(loaded: config.Settings) -> None:
    result = run_gate("warehouse", DAY1, run_id="wh-ok", settings=loaded)
    assert result.success and not result.warnings
    assert _failed(loaded, "wh-ok") == []


def test_lost_fact_row_blocks_with_counts_in_message(loaded: config.Settings) -> None:
    _sql(loaded, "delete from dw.fct_order_line where order_id = 'O3'")

    with pytest.raises(QualityGateFailed) as caught:
        run_gate("warehouse", DAY1, run_id="wh-lost", settings=loaded)

    message = str(caught.value)
    assert message.startswith(
        "Quality gate 'warehouse' failed for 2024-03-01: suite warehouse_fact_counts, "
        "expectation expect_column_pair_values_to_be_equal on column fact_rows, silver_rows"
    )
    assert "fact=fct_order_line, business_date=2024-03-01, fact_rows=3, silver_rows=4" in message
    failed = _failed(loaded, "wh-lost")
    assert ("warehouse_fact_counts", "expect_column_pair_values_to_be_equal", True, 1) in [
        r[:4] for r in failed
    ]


def test_orphan_surrogate_key_blocks_and_samples_the_row(loaded: config.Settings) -> None:
    _sql(loaded, "update dw.fct_order_line set customer_key = 424242 where order_id = 'O2'")

    with pytest.raises(QualityGateFailed) as caught:
        run_gate("warehouse", DAY1, run_id="wh-orphan", settings=loaded)

    assert "warehouse_fct_order_line" in str(caught.value)
    assert "every customer_key exists in dw.dim_customer" in str(caught.value)
    assert _failed(loaded, "wh-orphan") == [
        (
            "warehouse_fct_order_line",
            "unexpected_rows_expectation",
            True,
            1,
            [{"order_id": "O2", "line_number": 1, "customer_key": 424242}],
        )
    ]


def test_broken_scd2_blocks(loaded: config.Settings) -> None:
    # The current version of P1 closed without a successor: is_current and valid_to disagree.
    _sql(
        loaded,
        "update dw.dim_product set valid_to = '2030-01-01' where product_id = 'P1' and is_current",
    )
    with pytest.raises(QualityGateFailed) as caught:
        run_gate("warehouse", DAY1, run_id="wh-scd2", settings=loaded)
    assert "suite warehouse_dim_product" in str(caught.value)
    assert "the current version is the open one" in str(caught.value)


def test_unknown_customer_share_is_only_a_warning(loaded: config.Settings) -> None:
    _sql(loaded, "update dw.fct_order_line set customer_key = -1 where order_id = 'O3'")

    result = run_gate("warehouse", DAY1, run_id="wh-warn", settings=loaded)

    assert result.success
    assert [(w.suite, w.expectation, w.column) for w in result.warnings] == [
        ("warehouse_fct_order_line", "expect_column_values_to_not_be_in_set", "customer_key")
    ]
    assert [r[:4] for r in _failed(loaded, "wh-warn")] == [
        ("warehouse_fct_order_line", "expect_column_values_to_not_be_in_set", False, 1)
    ]


def test_kpi_that_disagrees_with_the_facts_blocks(loaded: config.Settings) -> None:
    # Five more units on one line: its day and country's KPI row now disagrees on units
    # (and on nothing else, since only the quantity changed).
    _sql(
        loaded,
        "update dw.fct_order_line set quantity = quantity + 5"
        " where order_id = 'O1' and line_number = 1",
    )
    with pytest.raises(QualityGateFailed) as caught:
        run_gate("warehouse", DAY1, run_id="wh-kpi", settings=loaded)

    assert "suite warehouse_kpi_daily_sales" in str(caught.value)
    failed = [r[:4] for r in _failed(loaded, "wh-kpi")]
    assert failed == [
        ("warehouse_kpi_daily_sales", "expect_column_pair_values_to_be_equal", True, 1)
    ]
