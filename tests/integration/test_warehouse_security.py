"""bi_reader is read-only on the BI schemas; nothing is granted to PUBLIC."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from psycopg import errors

from retail_kpi.load import load_date
from retail_kpi.warehouse.db import admin_url
from retail_kpi.warehouse.migrate import migrate
from tests.integration.test_warehouse_load import make_settings
from tests.integration.warehouse_helpers import DAY1, WRITERS, fetch

pytestmark = pytest.mark.integration

FORBIDDEN = [
    "insert into dw.fct_order_line (order_date) values ('2024-03-01')",
    "update dw.dim_customer set segment = 'x'",
    "delete from mart.kpi_daily_sales",
    "truncate dw.dim_date",
    "insert into audit.run_audit (run_id, task, entity, status, started_at)"
    " values ('x', 'x', 'x', 'success', now())",
    "create table mart.bi_scratch (x int)",
    "create table dw.bi_scratch (x int)",
    "create table public.bi_scratch (x int)",
    "create view mart.v_bi_scratch as select 1 as x",
    "drop table dw.dim_date",
    "alter table dw.dim_customer add column x int",
    "create schema bi_scratch",
    "select * from staging.customers",
    "select * from meta.schema_migrations",
    "select dw.populate_dim_date('2040-01-01', '2040-01-02')",
]
ALLOWED = [
    "select count(*) from dw.fct_order_line",
    "select count(*) from dw.dim_customer",
    "select count(*) from mart.kpi_daily_sales",
    "select count(*) from mart.v_sales_daily",
    "select count(*) from audit.run_audit",
    "select count(*) from audit.validation_result",
]


@pytest.fixture(scope="module")
def url(make_database, tmp_path_factory) -> str:
    url = make_database("rk_wh_test_sec")
    migrate(url)
    s = make_settings(url, tmp_path_factory.mktemp("sec"))
    WRITERS[DAY1](s.lake_dir)
    load_date(DAY1, settings=s, run_id="sec")
    return url


@contextmanager
def bi_session(url: str) -> Iterator[psycopg.Connection]:
    """A session with exactly bi_reader's privileges (the admin login, ``set role``)."""
    with psycopg.connect(admin_url(url)) as conn:
        conn.execute("set role bi_reader")
        yield conn


@pytest.mark.parametrize("statement", FORBIDDEN)
def test_bi_reader_cannot_write_or_change_anything(url, statement):
    with bi_session(url) as conn, pytest.raises(errors.InsufficientPrivilege):
        conn.execute(statement)  # type: ignore[arg-type]


@pytest.mark.parametrize("statement", ALLOWED)
def test_bi_reader_reads_the_bi_schemas(url, statement):
    with bi_session(url) as conn:
        conn.execute(statement)  # type: ignore[arg-type]


def test_tables_created_later_are_readable_by_bi_reader(url):
    with psycopg.connect(url) as conn:
        conn.execute("set role retail_etl")
        conn.execute("create table mart.kpi_added_later (x int)")
        conn.execute("insert into mart.kpi_added_later values (1)")
        conn.commit()
    with bi_session(url) as conn:
        assert fetch(conn, "select x from mart.kpi_added_later") == [(1,)]


def test_nothing_is_granted_to_public(url):
    with psycopg.connect(url) as conn:
        relations = fetch(
            conn,
            "select n.nspname, c.relname from pg_class c"
            " join pg_namespace n on n.oid = c.relnamespace, aclexplode(c.relacl) a"
            " where n.nspname in ('dw', 'mart', 'audit', 'staging', 'meta') and a.grantee = 0",
        )
        schemas = fetch(
            conn,
            "select n.nspname from pg_namespace n, aclexplode(n.nspacl) a"
            " where n.nspname in ('dw', 'mart', 'audit', 'staging', 'meta', 'public')"
            " and a.grantee = 0",
        )
        database = fetch(
            conn,
            "select a.privilege_type from pg_database d, aclexplode(d.datacl) a"
            " where d.datname = current_database() and a.grantee = 0",
        )
        functions = fetch(
            conn,
            "select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace,"
            " aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a"
            " where n.nspname = 'dw' and a.grantee = 0",
        )
    assert (relations, schemas, database, functions) == ([], [], [], [])


def test_etl_role_owns_every_warehouse_object(url):
    with psycopg.connect(url) as conn:
        owners = fetch(
            conn,
            "select distinct pg_get_userbyid(c.relowner) from pg_class c"
            " join pg_namespace n on n.oid = c.relnamespace"
            " where n.nspname in ('dw', 'mart', 'staging') and c.relkind in ('r', 'p', 'v')",
        )
    assert owners == [("retail_etl",)]
