"""KPI Parquet -> mart.kpi_* on a real PostgreSQL: schema matches the catalogue, loads are
idempotent and per-date, late dates are replaced, bi_reader can read every KPI table."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal as Dec

import psycopg
import pytest
from psycopg import sql

from retail_kpi.config import settings
from retail_kpi.kpi.catalogue import PG_TYPES, load
from retail_kpi.warehouse.db import admin_url
from tests.unit import kpi_lake as L

pytestmark = pytest.mark.integration

PG_NAMES = {  # information_schema spelling of PG_TYPES
    "numeric(18, 2)": "numeric",
    "timestamp": "timestamp without time zone",
}


@pytest.fixture(scope="module")
def env(spark, make_database, tmp_path_factory):
    from retail_kpi.load.kpi_tables import load_kpis
    from retail_kpi.warehouse.migrate import migrate
    from spark_jobs import kpis

    url = make_database("rk_kpi_test_load")
    migrate(url)
    lake = tmp_path_factory.mktemp("kpi_load_lake")
    s = dataclasses.replace(settings(), warehouse_url=url, lake_dir=lake)
    L.write_day1(lake / "silver")
    kpis.run(spark, lake, L.D1, "run-d1")
    first = load_kpis(L.D1, "run-d1", s)
    with psycopg.connect(url) as conn:
        fra_d1 = conn.execute(
            "select orders from mart.kpi_daily_sales"
            " where sales_date = %s and country_code = 'FRA'",
            (L.D1,),
        ).fetchone()
    L.write_day2(lake / "silver")
    kpis.run(spark, lake, L.D2, "run-d2")
    second = load_kpis(L.D2, "run-d2", s)
    return {"url": url, "s": s, "first": first, "second": second, "fra_d1": fra_d1}


def checksum(url: str) -> dict[str, str]:
    out = {}
    with psycopg.connect(url) as conn:
        for t in load().tables:
            query = sql.SQL(
                "select md5(coalesce(string_agg(x::text, '|' order by x::text), '')) from {} x"
            ).format(sql.Identifier("mart", t.name))
            out[t.name] = conn.execute(query).fetchone()[0]
    return out


def test_tables_match_catalogue(env):
    with psycopg.connect(env["url"]) as conn:
        for t in load().tables:
            cols = conn.execute(
                "select column_name, data_type from information_schema.columns"
                " where table_schema = 'mart' and table_name = %s order by ordinal_position",
                (t.name,),
            ).fetchall()
            expected = [
                (c.name, PG_NAMES.get(PG_TYPES[c.type], PG_TYPES[c.type])) for c in t.columns
            ]
            assert cols == expected, t.name
            missing = conn.execute(
                "select a.attname from pg_attribute a where a.attrelid = %s::regclass"
                " and a.attnum > 0 and not a.attisdropped"
                " and col_description(a.attrelid, a.attnum) is null",
                (f"mart.{t.name}",),
            ).fetchall()
            assert missing == [], f"{t.name} columns without comment: {missing}"


def test_late_row_replaces_earlier_load(env):
    assert env["fra_d1"] == (1,)
    with psycopg.connect(env["url"]) as conn:
        row = conn.execute(
            "select orders, net_sales_usd, avg_order_value_usd from mart.kpi_daily_sales"
            " where sales_date = %s and country_code = 'FRA'",
            (L.D1,),
        ).fetchone()
    assert row == (2, Dec("23.50"), Dec("11.75"))


def test_loaded_values(env):
    with psycopg.connect(env["url"]) as conn:
        d2 = conn.execute(
            "select net_sales_prev_day_usd, net_sales_growth_dod, return_rate_value,"
            " returning_customers from mart.kpi_daily_country"
            " where sales_date = %s and country_code = 'USA'",
            (L.D2,),
        ).fetchone()
        minutes = conn.execute(
            "select count(*), sum(orders) from mart.kpi_orders_per_minute where sales_date = %s",
            (L.D1,),
        ).fetchone()
        month = conn.execute(
            "select orders, net_sales_usd from mart.kpi_monthly_sales"
            " where month_start = '2024-03-01' and country_code = 'USA'"
        ).fetchone()
    assert d2[0] == Dec("42.99")
    assert d2[1] == pytest.approx(9.50 / 42.99 - 1, rel=1e-9)
    assert d2[2] == pytest.approx(9.00 / 9.50, rel=1e-9)
    assert d2[3] == 1
    assert minutes == (4, 5)  # USA 10:00 (2), 23:59 (1); FRA 10:00 (1), 12:00 (1)
    assert month == (4, Dec("52.49"))  # D1 42.99 (3 orders) + D2 9.50 (1 order)


def test_reload_is_idempotent(env):
    from retail_kpi.load.kpi_tables import load_kpis

    before = checksum(env["url"])
    again = load_kpis(L.D2, "rerun", env["s"])
    assert again == env["second"]
    assert checksum(env["url"]) == before


def test_date_without_rows_is_emptied(env):
    """A table with no rows for a recomputed date ends with none (stale rows removed)."""
    from retail_kpi.load.kpi_tables import load_kpis

    with psycopg.connect(env["url"]) as conn:
        conn.execute(
            "insert into mart.kpi_shipping_daily (order_date, country_code, shipments)"
            " values (%s, 'DEU', 99)",
            (L.D2,),
        )
    load_kpis(L.D2, "rerun", env["s"])
    with psycopg.connect(env["url"]) as conn:
        n = conn.execute(
            "select count(*) from mart.kpi_shipping_daily where order_date = %s", (L.D2,)
        ).fetchone()
    assert n == (0,)


def test_bi_reader_reads_every_kpi_table(env):
    with psycopg.connect(admin_url(env["url"])) as conn:
        conn.execute("set role bi_reader")
        for t in load().tables:
            conn.execute(
                sql.SQL("select count(*) from {}").format(sql.Identifier("mart", t.name))
            ).fetchone()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("delete from mart.kpi_daily_country")


def test_missing_run_output_is_one_clear_sentence(env):
    from retail_kpi.load.kpi_tables import load_kpis
    from retail_kpi.warehouse.db import WarehouseError

    with pytest.raises(WarehouseError, match="run the KPI job"):
        load_kpis(dt.date(2030, 1, 1), "x", env["s"])
