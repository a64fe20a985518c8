"""load_date on the real PostgreSQL: hand-computed results, idempotency, late rows.

The silver input is the tiny three-day scenario of ``warehouse_helpers`` (two
customers changing over time, a price change, a late order); every expected value
below was worked out by hand from those rows.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from retail_kpi import config
from retail_kpi.load import load_date
from retail_kpi.warehouse.migrate import migrate
from tests.integration.checksums import table_checksums
from tests.integration.warehouse_helpers import DAY1, DAY2, DAY3, WRITERS, fetch

pytestmark = pytest.mark.integration


def expected_key(natural_id: str, valid_from: str) -> int:
    """dw.version_key computed independently: 60 bits of md5(id|epoch microseconds)."""
    ts = dt.datetime.fromisoformat(valid_from).replace(tzinfo=dt.UTC)
    micros = int(ts.timestamp()) * 1_000_000
    return int(hashlib.md5(f"{natural_id}|{micros}".encode()).hexdigest()[:15], 16)


def make_settings(url: str, root: Path) -> config.Settings:
    return dataclasses.replace(
        config.settings(), warehouse_url=url, data_dir=root, lake_dir=root / "lake"
    )


@pytest.fixture
def warehouse(make_database, tmp_path) -> config.Settings:
    url = make_database("rk_wh_test_load")
    migrate(url)
    return make_settings(url, tmp_path)


@pytest.fixture(params=["index_in", "kept-table"])
def lookup(request, monkeypatch) -> None:
    """Both ways ids find their row (``keys.IdIndex``): hashed per call, or a kept table."""
    if request.param == "kept-table":
        monkeypatch.setattr("retail_kpi.load.keys.KEEP_TABLE_FROM", 1)


def land_and_load(s: config.Settings, day: dt.date, run_id: str) -> dict[str, int]:
    """Write the silver of ``day`` (as the clean job would), then load it."""
    WRITERS[day](s.lake_dir)
    return load_date(day, settings=s, run_id=run_id)


def kpis(conn: psycopg.Connection) -> dict[tuple[str, str], tuple]:
    """Daily sales per country summed from the loaded facts (cancelled orders excluded):
    orders, units, gross, discount, net, cogs, profit, average order value. The loader
    writes no KPI of its own (the KPI job's output is loaded as it is), so the hand
    figures below check the facts."""
    rows = fetch(
        conn,
        """
        select l.order_date, c.country_code, count(distinct l.order_id), sum(l.quantity),
            sum(l.gross_amount_usd), sum(l.discount_amount_usd), sum(l.net_amount_usd),
            sum(l.cogs_amount_usd), sum(l.profit_amount_usd),
            round(sum(l.net_amount_usd) / count(distinct l.order_id), 2)
        from dw.fct_order_line as l
        inner join dw.dim_country as c on c.country_key = l.country_key
        where l.order_status <> 'cancelled'
        group by 1, 2 order by 1, 2
        """,
    )
    assert fetch(conn, "select count(*) from mart.kpi_daily_sales") == [(0,)]
    return {(r[0].isoformat(), r[1]): tuple(r[2:]) for r in rows}


def D(x: str) -> Decimal:
    return Decimal(x)


def test_first_day_loads_hand_computed_facts(warehouse, lookup):
    counts = land_and_load(warehouse, DAY1, "t1")
    assert counts["fct_order_line"] == 4
    assert counts["dim_customer"] == 2 and counts["dim_product"] == 2
    with psycopg.connect(warehouse.warehouse_url) as conn:
        assert kpis(conn) == {
            ("2024-03-01", "FRA"):
                (1, 3, D("29.70"), D("0.00"), D("29.70"), D("12.00"), D("17.70"), D("29.70")),
            ("2024-03-01", "USA"):
                (1, 3, D("40.00"), D("2.00"), D("38.00"), D("20.00"), D("18.00"), D("38.00")),
        }  # fmt: skip
        lines = fetch(
            conn,
            "select order_id, line_number, customer_key, product_key, country_key, channel_key,"
            " date_key, net_amount_usd, is_late from dw.fct_order_line order by 1, 2",
        )
    c1, c2 = expected_key("C1", "2024-02-01T00:00:00"), expected_key("C2", "2024-02-15T00:00:00")
    p1, p2 = expected_key("P1", "2024-01-01T00:00:00"), expected_key("P2", "2024-01-01T00:00:00")
    assert lines == [
        ("O1", 1, c1, p1, 1, 1, 20240301, D("20.00"), False),
        ("O1", 2, c1, p2, 1, 1, 20240301, D("18.00"), False),
        ("O2", 1, c2, p1, 3, 3, 20240301, D("29.70"), False),
        ("O3", 1, c1, p2, 1, 2, 20240301, D("100.00"), False),
    ]


def test_late_rows_rebuild_their_business_day_and_versions_resolve_by_time(warehouse, lookup):
    land_and_load(warehouse, DAY1, "t1")
    counts = land_and_load(warehouse, DAY2, "t2")
    # Day 2 rebuilt day 1 (4 old lines + the late O6) and loaded its own 2 lines.
    assert counts["fct_order_line"] == 7
    with psycopg.connect(warehouse.warehouse_url) as conn:
        k = kpis(conn)
        assert k[("2024-03-01", "FRA")] == (
            2, 4, D("49.50"), D("0.00"), D("49.50"), D("24.00"), D("25.50"), D("24.75")
        )  # fmt: skip
        assert k[("2024-03-01", "USA")][2] == D("40.00")
        assert k[("2024-03-02", "USA")] == (
            1, 1, D("11.00"), D("0.00"), D("11.00"), D("4.00"), D("7.00"), D("11.00")
        )  # fmt: skip
        assert k[("2024-03-02", "CAN")] == (
            1, 2, D("39.00"), D("1.95"), D("37.05"), D("24.00"), D("13.05"), D("37.05")
        )  # fmt: skip
        keys = dict(
            (r[0], (r[1], r[2]))
            for r in fetch(
                conn,
                "select order_id, customer_key, product_key from dw.fct_order_line"
                " where order_date = '2024-03-02' or order_id = 'O6'",
            )
        )
        late = fetch(
            conn, "select is_late, ingest_date from dw.fct_order_line where order_id = 'O6'"
        )
    # O4 (07:00) precedes C1's 08:00 change, O5 (10:00) follows it; P1 changed at 00:00.
    assert keys["O4"] == (
        expected_key("C1", "2024-02-01T00:00:00"),
        expected_key("P1", "2024-03-02T00:00:00"),
    )
    assert keys["O5"] == (
        expected_key("C1", "2024-03-02T08:00:00"),
        expected_key("P2", "2024-01-01T00:00:00"),
    )
    assert late == [(True, DAY2)]


def test_rerun_of_a_date_leaves_tables_byte_identical(warehouse):
    land_and_load(warehouse, DAY1, "t1")
    land_and_load(warehouse, DAY2, "t2")
    with psycopg.connect(warehouse.warehouse_url) as conn:
        before = table_checksums(conn)
    load_date(DAY2, settings=warehouse, run_id="t2-rerun")
    load_date(DAY1, settings=warehouse, run_id="t1-rerun")
    with psycopg.connect(warehouse.warehouse_url) as conn:
        after = table_checksums(conn)
        audit = fetch(conn, "select count(*) from audit.run_audit where status = 'success'")
    assert before["dw.fct_order_line"][0] == 7
    assert after == before
    assert audit[0][0] > 0


def test_load_order_does_not_change_the_result(warehouse, make_database, tmp_path):
    for day in (DAY1, DAY2, DAY3):
        land_and_load(warehouse, day, f"in-order-{day}")
    other = dataclasses.replace(warehouse, warehouse_url=make_database("rk_wh_test_order"))
    migrate(other.warehouse_url)
    for day in (DAY3, DAY1, DAY2):
        load_date(day, settings=other, run_id=f"shuffled-{day}")
    with psycopg.connect(warehouse.warehouse_url) as a, psycopg.connect(other.warehouse_url) as b:
        assert table_checksums(a) == table_checksums(b)
