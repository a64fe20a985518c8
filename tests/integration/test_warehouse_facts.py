"""The other facts (returns, shipments, inventory, sessions) and the SCD2 invariants.

Expected rows are written out by hand from ``warehouse_helpers``: keys are the
independent md5 computation of ``expected_key``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import psycopg
import pytest
from psycopg import sql

from retail_kpi.load import load_date
from retail_kpi.warehouse.migrate import migrate
from tests.integration.test_warehouse_load import expected_key, make_settings
from tests.integration.warehouse_helpers import (
    DAY1,
    DAY2,
    DAY3,
    WRITERS,
    fetch,
    write_day2_other_facts,
)

pytestmark = pytest.mark.integration
EOT = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)


def ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def loaded(make_database, tmp_path_factory):
    """Days 1..3 landed and loaded in order (module-scoped: read-only tests below)."""
    url = make_database("rk_wh_test_facts")
    migrate(url)
    s = make_settings(url, tmp_path_factory.mktemp("facts"))
    counts = {}
    for day in (DAY1, DAY2, DAY3):
        WRITERS[day](s.lake_dir)
        if day == DAY2:
            write_day2_other_facts(s.lake_dir)
        counts[day] = load_date(day, settings=s, run_id=f"facts-{day}")
    with psycopg.connect(url) as conn:
        yield conn, counts


def test_counts_returned_per_table(loaded):
    _, counts = loaded
    assert counts[DAY2] == {
        "dim_customer": 2,  # C1 changed, C3 new
        "dim_product": 1,  # P1 price change
        "fct_order_line": 7,  # day 1 rebuilt with the late O6 (5) + day 2 (2)
        "fct_return": 1,
        "fct_shipment": 1,
        "fct_inventory_daily": 2,
        "fct_web_session": 2,
    }
    assert counts[DAY3]["dim_customer"] == 1 and counts[DAY3]["fct_order_line"] == 1


def test_customer_history_is_scd2(loaded):
    conn, _ = loaded
    rows = fetch(
        conn,
        "select customer_key, customer_id, country_code, segment, valid_from, valid_to,"
        " is_current from dw.dim_customer order by customer_id, valid_from",
    )
    c1a, c1b, c1c = "2024-02-01T00:00:00", "2024-03-02T08:00:00", "2024-03-03T12:00:00"
    assert rows == [
        (expected_key("C1", c1a), "C1", "USA", "Consumer", ts(c1a), ts(c1b), False),
        (expected_key("C1", c1b), "C1", "CAN", "Enterprise", ts(c1b), ts(c1c), False),
        (expected_key("C1", c1c), "C1", "CAN", "Consumer", ts(c1c), EOT, True),
        (expected_key("C2", "2024-02-15T00:00:00"), "C2", "FRA", "Consumer",
         ts("2024-02-15T00:00:00"), EOT, True),
        (expected_key("C3", "2024-03-02T09:00:00"), "C3", "MEX", "Consumer",
         ts("2024-03-02T09:00:00"), EOT, True),
        (-1, "UNKNOWN", "UNKNOWN", "Unknown", ts("1900-01-01T00:00:00"), EOT, True),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("table", "natural"), [("dim_customer", "customer_id"), ("dim_product", "product_id")]
)
def test_scd2_invariants_hold(loaded, table, natural):
    conn, _ = loaded
    # Checked with SQL written here, independent of the loader's own verification.
    f = {"t": sql.Identifier("dw", table), "id": sql.Identifier(natural)}
    one_current = fetch(
        conn,
        sql.SQL(
            "select {id} from {t} group by {id} having count(*) filter (where is_current) <> 1"
        ).format(**f),
    )
    overlaps = fetch(
        conn,
        sql.SQL(
            "select a.{id} from {t} a join {t} b on a.{id} = b.{id}"
            " and a.valid_from < b.valid_from and b.valid_from < a.valid_to"
        ).format(**f),
    )
    gaps = fetch(
        conn,
        sql.SQL(
            "select a.{id} from {t} a where a.valid_to <> %s and not exists ("
            " select 1 from {t} b where b.{id} = a.{id} and b.valid_from = a.valid_to)"
        ).format(**f),
        EOT,
    )
    assert (one_current, overlaps, gaps) == ([], [], [])


def test_product_price_change_makes_a_version(loaded):
    conn, _ = loaded
    rows = fetch(
        conn,
        "select list_price_usd, valid_from, is_current from dw.dim_product"
        " where product_id = 'P1' order by valid_from",
    )
    assert rows == [
        (Decimal("10.00"), ts("2024-01-01T00:00:00"), False),
        (Decimal("11.00"), ts("2024-03-02T00:00:00"), True),
    ]


def test_returns_shipments_inventory_sessions(loaded):
    conn, _ = loaded
    p1_new, p2 = (
        expected_key("P1", "2024-03-02T00:00:00"),
        expected_key("P2", "2024-01-01T00:00:00"),
    )
    c1_b = expected_key("C1", "2024-03-02T08:00:00")
    assert fetch(
        conn,
        "select return_id, date_key, product_key, country_key, quantity, return_reason,"
        " refund_amount_usd from dw.fct_return",
    ) == [("R1", 20240302, p1_new, 1, 1, "damaged", Decimal("10.00"))]
    assert fetch(
        conn,
        "select shipment_id, order_date, country_key, carrier, shipped_ts, delivered_ts,"
        " is_on_time, shipping_cost_usd from dw.fct_shipment",
    ) == [("S1", DAY1, 3, "DHL", ts("2024-03-02T09:00:00"), None, None, Decimal("5.50"))]
    assert fetch(
        conn,
        "select warehouse_id, product_key, country_key, on_hand, is_stock_out"
        " from dw.fct_inventory_daily order by 1",
    ) == [("W1", p1_new, 1, 0, True), ("W2", p2, 3, 50, False)]
    assert fetch(
        conn,
        "select session_id, customer_key, country_key, channel_key, is_converted"
        " from dw.fct_web_session order by 1",
    ) == [("WS1", c1_b, 2, 1, True), ("WS2", -1, 1, 2, False)]


def test_every_fact_key_points_at_a_dimension_row(loaded):
    conn, _ = loaded
    orphans = fetch(
        conn,
        """
        select 'customer', count(*) from dw.fct_order_line f
            where not exists (select 1 from dw.dim_customer d where d.customer_key = f.customer_key)
        union all select 'product', count(*) from dw.fct_order_line f
            where not exists (select 1 from dw.dim_product d where d.product_key = f.product_key)
        union all select 'date', count(*) from dw.fct_order_line f
            where not exists (select 1 from dw.dim_date d where d.date_key = f.date_key)
        union all select 'country', count(*) from dw.fct_order_line f
            where not exists (select 1 from dw.dim_country d where d.country_key = f.country_key)
        union all select 'channel', count(*) from dw.fct_order_line f
            where not exists (select 1 from dw.dim_channel d where d.channel_key = f.channel_key)
        """,
    )
    assert all(n == 0 for _, n in orphans), orphans


def test_facts_are_partitioned_by_month_then_day(loaded):
    conn, _ = loaded
    parts = fetch(
        conn,
        "select parent.relname, child.relname from pg_inherits i"
        " join pg_class parent on parent.oid = i.inhparent"
        " join pg_class child on child.oid = i.inhrelid"
        " where parent.relname like 'fct_order_line%' and child.relkind in ('r', 'p')"
        " order by 1, 2",
    )
    assert parts == [
        ("fct_order_line", "fct_order_line_y2024m03"),
        ("fct_order_line_y2024m03", "fct_order_line_y2024m03d01"),
        ("fct_order_line_y2024m03", "fct_order_line_y2024m03d02"),
        ("fct_order_line_y2024m03", "fct_order_line_y2024m03d03"),
    ]
    leftovers = fetch(
        conn,
        "select tablename from pg_tables where schemaname = 'staging' and tablename like 'fct%'",
    )
    assert leftovers == []


def test_bi_views_answer_the_common_questions(loaded):
    conn, _ = loaded
    assert fetch(
        conn,
        "select country_code, category, orders, units, net_sales_usd, holiday_name"
        " from mart.v_sales_daily where sales_date = '2024-03-01' order by 1, 2",
    ) == [
        ("FRA", "Books", 1, 1, Decimal("19.80"), None),  # the late O6
        ("FRA", "Toys", 1, 3, Decimal("29.70"), None),
        ("USA", "Books", 1, 1, Decimal("18.00"), None),  # O3 (cancelled) left out
        ("USA", "Toys", 1, 2, Decimal("20.00"), None),
    ]
    assert fetch(conn, "select * from mart.v_returns_daily") == [
        (DAY2, "USA", "United States", "Toys", "damaged", 1, 1, Decimal("10.00"))
    ]
    assert fetch(
        conn,
        "select country_code, warehouse_id, category, products, units_on_hand, stock_out_pct"
        " from mart.v_inventory_health order by 1",
    ) == [
        ("FRA", "W2", "Books", 1, 50, Decimal("0.0")),
        ("USA", "W1", "Toys", 1, 0, Decimal("100.0")),
    ]
    assert fetch(
        conn,
        "select country_code, channel_name, sessions, signed_in_sessions, conversion_pct"
        " from mart.v_engagement_daily order by 1",
    ) == [("CAN", "Web", 1, 1, Decimal("100.00")), ("USA", "Mobile app", 1, 0, Decimal("0.00"))]
    # C1 today: CAN, Consumer; bought O1 (38.00), O4 (11.00), O5 (37.05); O3 was cancelled.
    assert fetch(
        conn,
        "select customers, buying_customers, orders, net_sales_usd"
        " from mart.v_customer_demographics"
        " where country_code = 'CAN'",
    ) == [(1, 1, 3, Decimal("86.05"))]
