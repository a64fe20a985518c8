"""Silver gate on tiny hand-written Parquet, real GX, real Postgres audit table.

Expected counts come from the suite files and the rows written here, by hand: every
check passes on clean data; one line with quantity 0 breaks exactly one blocking check;
a line of 60 units breaks exactly one warning check.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import psycopg
import pytest

from retail_kpi.quality import QualityGateFailed, run_gate
from retail_kpi.quality.suites import load_suite
from tests import silver_rows
from tests.integration import quality_data as qd

pytestmark = pytest.mark.integration

from retail_kpi.quality.suites import all_suites  # noqa: E402

SUITES = tuple(n for n in all_suites() if n.startswith("silver_"))


@pytest.fixture(scope="module")
def warehouse(make_database) -> str:
    from retail_kpi.warehouse.migrate import migrate

    url = make_database("rk_gx_test_silver")
    migrate(url)
    return url


def _audit(url: str, run_id: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            'select suite, expectation, "column", is_blocking, success, observed_value,'
            " unexpected_count, details from audit.validation_result where run_id = %s"
            ' order by suite, expectation, "column"',
            (run_id,),
        ).fetchall()


def _expected_checks() -> int:
    return sum(len(load_suite(name).expectations) for name in SUITES)


def test_clean_silver_passes_and_every_check_is_audited(tmp_path: Path, warehouse: str) -> None:
    s = qd.settings_for(tmp_path, warehouse)
    qd.write_clean_silver(s)

    result = run_gate("silver", qd.DAY, run_id="clean-run", settings=s)

    assert result.success and not result.warnings
    rows = _audit(warehouse, "clean-run")
    assert len(rows) == _expected_checks()
    assert all(r[4] for r in rows)
    assert Path(result.data_docs).is_file()
    assert set(result.pages) == set(SUITES)


def test_blocking_violation_raises_one_readable_sentence(tmp_path: Path, warehouse: str) -> None:
    s = qd.settings_for(tmp_path, warehouse)
    qd.write_clean_silver(s)
    qd.write_silver(
        s,
        "order_items",
        [qd.item("O1", 1, "P1"), qd.item("O1", 2, "P2", quantity=0), qd.item("O2", 1, "P1")],
    )

    with pytest.raises(QualityGateFailed) as caught:
        run_gate("silver", qd.DAY, run_id="bad-run", settings=s)

    message = str(caught.value)
    assert "silver_order_items" in message
    assert "expect_column_values_to_be_between" in message
    assert "column quantity" in message
    assert "1 unexpected row of 3" in message
    assert "order_id=O1, line_number=2" in message
    assert "audit.validation_result where run_id = 'bad-run'" in message
    assert message.count("\n") == 0
    page = caught.value.result.pages["silver_order_items"]
    assert page in message and Path(page).is_file()
    failed = [r for r in _audit(warehouse, "bad-run") if not r[4]]
    assert [(r[0], r[1], r[2], r[3], r[6]) for r in failed] == [
        ("silver_order_items", "expect_column_values_to_be_between", "quantity", True, 1)
    ]
    sample = failed[0][7]["sample_rows"]
    assert sample == [{"quantity": 0, "order_id": "O1", "line_number": 2}]


def test_warning_is_recorded_and_does_not_raise(tmp_path: Path, warehouse: str) -> None:
    s = qd.settings_for(tmp_path, warehouse)
    qd.write_clean_silver(s)
    big = qd.item(
        "O2",
        1,
        "P1",
        quantity=60,
        gross_amount_local=600.0,
        net_amount_local=600.0,
        gross_amount_usd=600.0,
        net_amount_usd=600.0,
    )
    qd.write_silver(s, "order_items", [qd.item("O1", 1, "P1"), qd.item("O1", 2, "P2"), big])

    result = run_gate("silver", qd.DAY, run_id="warn-run", settings=s)

    assert result.success
    assert [(w.suite, w.column, w.observed_value) for w in result.warnings] == [
        ("silver_order_items", "quantity", "1 unexpected row of 3, e.g. [60]")
    ]
    failed = [r for r in _audit(warehouse, "warn-run") if not r[4]]
    assert [(r[0], r[2], r[3]) for r in failed] == [("silver_order_items", "quantity", False)]


def test_rerun_replaces_its_audit_rows(tmp_path: Path, warehouse: str) -> None:
    s = qd.settings_for(tmp_path, warehouse)
    qd.write_clean_silver(s)
    run_gate("silver", qd.DAY, run_id="twice", settings=s)
    run_gate("silver", qd.DAY, run_id="twice", settings=s)
    assert len(_audit(warehouse, "twice")) == _expected_checks()


def test_an_empty_entity_on_a_day_with_data_is_a_blocking_failure(
    tmp_path: Path, warehouse: str
) -> None:
    # A date with no silver data at all is not validated (test_quality_no_data.py).
    s = qd.settings_for(tmp_path, warehouse)
    qd.write_clean_silver(s)
    shutil.rmtree(s.silver_dir / "inventory")

    with pytest.raises(
        QualityGateFailed,
        match="suite silver_inventory, expectation expect_table_row_count_to_be_between",
    ):
        run_gate("silver", qd.DAY, run_id="empty-run", settings=s)


def test_a_bulk_history_date_has_a_rate_and_a_snapshot_per_day_of_its_window(
    tmp_path: Path, warehouse: str
) -> None:
    """Two more days before DAY in the same drop: 12 fx rates (3 days x 4 currencies) and
    stock snapshots of the earlier days. Judged as one day, two checks block (the rate count,
    the snapshot dates); with the drop's window in the clean job's report, every check
    passes."""
    s = qd.settings_for(tmp_path, warehouse)
    qd.write_clean_silver(s)
    first = qd.DAY - dt.timedelta(days=2)
    days = [first, first + dt.timedelta(days=1), qd.DAY]
    rates = (("USD", 1.0), ("CAD", 0.73), ("EUR", 1.09), ("MXN", 0.058))
    qd.write_silver(
        s, "fx_rates", [{"rate_date": d, "currency": c, "usd_per_unit": r}
                        for d in days for c, r in rates],
    )  # fmt: skip
    for day in days[:2]:
        stock = {"snapshot_date": day, "country_code": "USA", "warehouse_id": "W1", "on_hand": 5,
                 "on_order": 0, "reorder_point": 2, "is_low_stock": False,
                 "is_stock_out": False, "product_id": "P1"}  # fmt: skip
        silver_rows.write_partition(s.silver_dir, "inventory", day, qd.DAY, [stock])
    counts = {"orders": (2, 2, 0, 0), "order_items": (4, 3, 0, 1)}

    with pytest.raises(QualityGateFailed) as err:
        run_gate("silver", qd.DAY, run_id="bulk-as-one-day", settings=s)
    failed = {(r[0], r[1]) for r in _audit(warehouse, "bulk-as-one-day") if r[3] and not r[4]}
    assert failed == {
        ("silver_fx_rates", "expect_table_row_count_to_equal"),
        ("silver_inventory", "expect_column_values_to_be_between"),
    }, str(err.value)

    qd.write_reconciliation(s, counts, history=(first, qd.DAY))
    result = run_gate("silver", qd.DAY, run_id="bulk-as-history", settings=s)
    assert result.success and not result.warnings
