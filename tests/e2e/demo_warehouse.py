"""The small warehouse the browser tests read: database ``rk_bi_test``, recreated per run.

Phase 1 stand-in until the warehouse migrations and loads land: the BI view the
dashboards read, filled with a few hand-written rows.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
from psycopg import sql

from tests.conftest import server_url

DB_NAME = "rk_bi_test"
#: Superset logs in as this member of bi_reader: the same privileges, but its own login,
#: because roles are cluster-wide and other test runs on the server toggle bi_reader's.
READER_ROLE = "rk_bi_test_reader"

STUB_SQL = """
do $$ begin
  if not exists (select from pg_catalog.pg_roles where rolname = 'bi_reader') then
    create role bi_reader nologin;
  end if;
end $$;
create schema mart;
create table mart.v_sales_daily (
  order_date date, country_code text, category text, channel text,
  orders bigint, units bigint, net_sales_usd numeric(18, 2), profit_usd numeric(18, 2));
insert into mart.v_sales_daily values
  ('2026-01-01', 'USA', 'Bikes', 'web', 10, 12, 1200.50, 300.10),
  ('2026-01-01', 'FRA', 'Shoes', 'store', 4, 9, 310.25, 80.00),
  ('2026-01-02', 'USA', 'Shoes', 'mobile', 7, 7, 455.00, 101.75),
  ('2026-01-02', 'MEX', 'Bikes', 'web', 2, 2, 99.99, 10.01);
grant usage on schema mart to bi_reader;
grant select on all tables in schema mart to bi_reader;
"""


@dataclass(frozen=True)
class Warehouse:
    url: str
    reader_user: str
    reader_password: str


def _recreate_database() -> str:
    with psycopg.connect(server_url(), autocommit=True) as conn:
        name = sql.Identifier(DB_NAME)
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(name))
        conn.execute(sql.SQL("create database {}").format(name))
    return server_url(DB_NAME)


def _ensure_reader(conn: psycopg.Connection, password: str) -> None:
    role = sql.Identifier(READER_ROLE)
    exists = conn.execute("select 1 from pg_roles where rolname = %s", [READER_ROLE]).fetchone()
    verb = sql.SQL("alter" if exists else "create")
    conn.execute(
        sql.SQL("{} role {} login inherit password {}").format(verb, role, sql.Literal(password))
    )
    conn.execute(sql.SQL("grant bi_reader to {}").format(role))


def build() -> Iterator[Warehouse]:
    """Create the database, give bi_reader a login, fill it; drop it afterwards."""
    url = _recreate_database()
    password = secrets.token_urlsafe(16)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(STUB_SQL)
        _ensure_reader(conn, password)
    yield Warehouse(url=url, reader_user=READER_ROLE, reader_password=password)
    with psycopg.connect(server_url(), autocommit=True) as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(DB_NAME))
        )
