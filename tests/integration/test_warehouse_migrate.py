"""Migrations: ordered, recorded, re-runnable, drift refused; the schema they build."""

from __future__ import annotations

import datetime as dt
import shutil

import psycopg
import pytest
from psycopg import sql

from retail_kpi.schemas import CHANNELS, COUNTRIES, COUNTRY_NAMES, SILVER
from retail_kpi.warehouse.db import WarehouseError, admin_url
from retail_kpi.warehouse.migrate import MIGRATIONS_DIR, discover, migrate, status
from tests.integration.warehouse_helpers import fetch

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def url(make_database) -> str:
    url = make_database("rk_wh_test_mig")
    applied = migrate(url)
    assert applied == [m.path.name for m in discover()]
    return url


def test_rerun_is_a_no_op_and_every_version_is_recorded(url):
    assert migrate(url) == []
    assert {state for _, state in status(url)} == {"applied"}
    with psycopg.connect(admin_url(url)) as conn:
        versions = [
            v for (v,) in fetch(conn, "select version from meta.schema_migrations order by 1")
        ]
    assert versions == [m.version for m in discover()]


def test_a_changed_migration_is_refused(make_database, tmp_path):
    folder = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, folder)
    url = make_database("rk_wh_test_drift")
    migrate(url, folder)
    edited = folder / "V007__create_dim_country.sql"
    edited.write_text(edited.read_text() + "\n-- edited after apply\n")
    with pytest.raises(
        WarehouseError, match=r"V007__create_dim_country\.sql changed after it was applied"
    ):
        migrate(url, folder)
    assert ("V007__create_dim_country.sql", "CHANGED after apply") in status(url, folder)


def test_a_failing_migration_rolls_back_and_names_itself(make_database, tmp_path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    session = "-- run-as: session\n"
    (folder / "V001__good.sql").write_text(session + "create table public.t_good (x int);\n")
    (folder / "V002__bad.sql").write_text(
        session + "create table public.t_bad (x int);\nselect 1/0;\n"
    )
    url = make_database("rk_wh_test_fail")
    with pytest.raises(WarehouseError, match=r"V002__bad\.sql failed"):
        migrate(url, folder)
    with psycopg.connect(admin_url(url)) as conn:
        assert fetch(conn, "select version from meta.schema_migrations") == [(1,)]
        assert fetch(conn, "select to_regclass('public.t_bad') is null") == [(True,)]


def test_badly_named_files_are_rejected(tmp_path):
    (tmp_path / "create_things.sql").write_text("select 1;")
    with pytest.raises(WarehouseError, match="must be named"):
        discover(tmp_path)


def test_staging_tables_mirror_the_silver_contract(url):
    with psycopg.connect(url) as conn:
        for entity, columns in SILVER.items():
            got = fetch(
                conn,
                "select column_name from information_schema.columns"
                " where table_schema = 'staging' and table_name = %s order by ordinal_position",
                entity,
            )
            assert [c for (c,) in got] == [c.name for c in columns], entity


def test_fixed_dimensions_match_the_contract(url):
    with psycopg.connect(url) as conn:
        countries = fetch(
            conn, "select country_code, country_name, currency_code from dw.dim_country"
            " where country_key <> -1"
        )  # fmt: skip
        channels = fetch(conn, "select channel_code from dw.dim_channel where channel_key <> -1")
    assert sorted(countries) == sorted((c, COUNTRY_NAMES[c], cur) for c, cur in COUNTRIES.items())
    assert sorted(c for (c,) in channels) == sorted(CHANNELS)


@pytest.mark.parametrize(
    ("day", "column", "expected"),
    [
        # Worked out with a calendar: Easter 2024 = 31 March, Easter 2025 = 20 April.
        ("2024-11-28", "is_holiday_usa", True),  # Thanksgiving: 4th Thursday of November
        ("2024-11-28", "is_holiday_can", False),
        ("2024-03-29", "is_holiday_deu", True),  # Good Friday
        ("2024-03-29", "is_holiday_fra", False),
        ("2024-04-01", "is_holiday_fra", True),  # Easter Monday
        ("2024-05-20", "is_holiday_can", True),  # Victoria Day: Monday before 25 May
        ("2025-05-29", "is_holiday_deu", True),  # Ascension = Easter + 39
        ("2025-06-09", "is_holiday_fra", True),  # Whit Monday = Easter + 50
        ("2026-02-02", "is_holiday_mex", True),  # Constitution Day: 1st Monday of February
        ("2026-03-16", "is_holiday_mex", True),  # Benito Juárez: 3rd Monday of March
        ("2024-07-04", "is_holiday_any", True),
        ("2024-07-05", "is_holiday_any", False),
        ("2024-01-31", "fiscal_year", 2023),  # fiscal years start on 1 February
        ("2024-02-01", "fiscal_year", 2024),
        ("2024-02-01", "fiscal_month", 1),
        ("2024-01-31", "fiscal_quarter", 4),
        ("2024-05-01", "fiscal_quarter", 2),
        ("2024-03-02", "is_weekend", True),
        ("2024-12-30", "iso_week", 1),
    ],
)
def test_dim_date_calendar_fiscal_and_holidays(url, day, column, expected):
    with psycopg.connect(url) as conn:
        query = sql.SQL("select {} from dw.dim_date where calendar_date = %s").format(
            sql.Identifier(column)
        )
        assert fetch(conn, query, dt.date.fromisoformat(day)) == [(expected,)]


def test_every_bi_table_view_and_column_has_a_comment(url):
    with psycopg.connect(url) as conn:
        missing = fetch(
            conn,
            """
            select n.nspname || '.' || c.relname || coalesce('.' || a.attname, '')
            from pg_class c
            join pg_namespace n on n.oid = c.relnamespace
            left join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
            where (n.nspname in ('dw', 'mart')
                    or (n.nspname = 'audit' and c.relname in ('run_audit', 'validation_result')))
                and c.relkind in ('r', 'p', 'v')
                and not c.relispartition
                and col_description(c.oid, coalesce(a.attnum, 0)) is null
                and (a.attnum is not null or obj_description(c.oid, 'pg_class') is null)
            order by 1
            """,
        )
    assert missing == []
