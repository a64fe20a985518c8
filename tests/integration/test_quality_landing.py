"""Landing gate on hand-written CSVs: shape and volume block, bad values only warn."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from retail_kpi import schemas
from retail_kpi.quality import QualityGateFailed, run_gate
from tests.integration import quality_data as qd

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def warehouse(make_database) -> str:
    from retail_kpi.warehouse.migrate import migrate

    url = make_database("rk_gx_test_landing")
    migrate(url)
    return url


def _failed(url: str, run_id: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            'select suite, expectation, "column", is_blocking from audit.validation_result'
            " where run_id = %s and not success order by suite, expectation",
            (run_id,),
        ).fetchall()


def test_clean_landing_passes(tmp_path: Path, warehouse: str) -> None:
    s = qd.settings_for(tmp_path, warehouse)
    qd.write_clean_landing(s)

    result = run_gate("landing", qd.DAY, run_id="land-ok", settings=s)

    assert result.success and not result.warnings
    assert {o.suite for o in result.outcomes} == {f"landing_{e}" for e in schemas.ENTITIES}


def test_renamed_column_blocks(tmp_path: Path, warehouse: str) -> None:
    s = qd.settings_for(tmp_path, warehouse)
    qd.write_clean_landing(s)
    header = schemas.column_names("orders")
    header[header.index("country")] = "country_name"
    qd.write_landing(s, "orders", qd.landing_rows("orders", 4), header=header)

    with pytest.raises(QualityGateFailed) as caught:
        run_gate("landing", qd.DAY, run_id="land-header", settings=s)

    message = str(caught.value)
    assert "suite landing_orders, expectation expect_table_columns_to_match_ordered_list" in message
    assert "country_name" in message
    blocking = [r for r in _failed(warehouse, "land-header") if r[3]]
    assert blocking == [
        ("landing_orders", "expect_table_columns_to_match_ordered_list", None, True)
    ]


def test_row_count_outside_the_manifest_band_blocks(tmp_path: Path, warehouse: str) -> None:
    s = qd.settings_for(tmp_path, warehouse)
    qd.write_clean_landing(s)
    # The manifest promised 100 lines; 4 arrived (band: 99..101).
    qd.write_manifest(s, {**dict.fromkeys(schemas.ENTITIES, 4), "order_items": 100})

    with pytest.raises(QualityGateFailed) as caught:
        run_gate("landing", qd.DAY, run_id="land-count", settings=s)

    message = str(caught.value)
    assert "suite landing_order_items, expectation expect_table_row_count_to_be_between" in message
    assert "observed 4" in message


def test_missing_file_blocks(tmp_path: Path, warehouse: str) -> None:
    s = qd.settings_for(tmp_path, warehouse)
    qd.write_clean_landing(s)
    (s.landing_dir / "fx_rates" / f"dt={qd.DAY}" / "fx_rates.csv").unlink()

    with pytest.raises(QualityGateFailed, match="suite landing_fx_rates"):
        run_gate("landing", qd.DAY, run_id="land-missing", settings=s)


def test_unparseable_values_only_warn(tmp_path: Path, warehouse: str) -> None:
    s = qd.settings_for(tmp_path, warehouse)
    qd.write_clean_landing(s)
    rows = qd.landing_rows("order_items", 4)
    rows[1]["quantity"] = "two"
    qd.write_landing(s, "order_items", rows)

    result = run_gate("landing", qd.DAY, run_id="land-warn", settings=s)

    assert result.success
    assert [(w.suite, w.expectation, w.column) for w in result.warnings] == [
        ("landing_order_items", "expect_column_values_to_match_regex", "quantity")
    ]
    assert _failed(warehouse, "land-warn") == [
        ("landing_order_items", "expect_column_values_to_match_regex", "quantity", False)
    ]


def test_broken_lines_and_bad_values_are_counted_exactly(tmp_path: Path, warehouse: str) -> None:
    """Counts and samples worked out by hand: 100 good lines, one of them with a
    fractional quantity and one with an empty one, then a line with an unclosed quote
    and one with bytes that are not UTF-8 (102 data lines, as the manifest says)."""
    s = qd.settings_for(tmp_path, warehouse)
    qd.write_clean_landing(s)
    rows = qd.landing_rows("order_items", 100)
    rows[3]["quantity"] = "2.5"
    rows[8]["quantity"] = ""
    path = qd.write_landing(s, "order_items", rows)
    with path.open("ab") as fh:
        fh.write(b'O-x,1,"P1,2,3.00,0\n' + b"O-y,1,\xff\xfe,2,3.00,0\n")
    qd.write_manifest(s, {**dict.fromkeys(schemas.ENTITIES, 4), "order_items": 102})

    result = run_gate("landing", qd.DAY, run_id="land-exact", settings=s)

    got = {
        (o.expectation, o.column): o
        for o in result.outcomes
        if o.suite == "landing_order_items" and o.unexpected_count
    }
    assert sorted((e, c, o.unexpected_count) for (e, c), o in got.items()) == [
        ("expect_column_value_lengths_to_be_between", "quantity", 1),
        ("expect_column_values_to_be_null", "_parse_error", 2),
        ("expect_column_values_to_match_regex", "quantity", 1),
    ]
    broken = got[("expect_column_values_to_be_null", "_parse_error")].details
    assert sorted(broken["sample_values"]) == [
        "undecodable bytes",
        "wrong field count or broken quoting",
    ]
    # the broken lines have no values: their keys are NULL in the samples (JSON null)
    assert [(r["order_id"], r["line_number"]) for r in broken["sample_rows"]] == [(None, None)] * 2
    assert got[("expect_column_values_to_match_regex", "quantity")].details["sample_values"] == [
        "2.5"
    ]
    row_count = next(
        o for o in result.outcomes
        if o.suite == "landing_order_items" and o.details["kwargs"].get("max_value") is not None
    )  # fmt: skip
    assert row_count.observed_value == "102"
