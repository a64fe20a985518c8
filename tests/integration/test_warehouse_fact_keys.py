"""The database refuses a doubled fact row (V027), and the load still works with it.

Every fact has a unique constraint on its business key plus its partition column. The
hand-written scenario of ``warehouse_helpers`` (days 1 and 2, with a return, a
shipment, two inventory rows and two sessions) is loaded once for the module.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import psycopg
import pyarrow as pa
import pytest
from psycopg import sql

from retail_kpi import config
from retail_kpi.load import facts, load_date, loader
from retail_kpi.load.partitions import DuplicateFactKey
from retail_kpi.warehouse.db import connection
from retail_kpi.warehouse.migrate import migrate
from tests.integration.checksums import table_checksums
from tests.integration.warehouse_helpers import (
    DAY1,
    DAY2,
    fetch,
    write_day1,
    write_day2,
    write_day2_other_facts,
)

pytestmark = pytest.mark.integration

#: fact -> its unique key as V027 declares it (business key, then the partition column).
FACT_KEYS = {
    "fct_order_line": ("order_id", "line_number", "order_date"),
    "fct_return": ("return_id", "return_date"),
    "fct_shipment": ("shipment_id", "order_date"),
    "fct_web_session": ("session_id", "session_date"),
    "fct_inventory_daily": ("snapshot_date", "warehouse_id", "product_key"),
}
#: Rows of each fact after days 1 and 2 (hand count: order lines 4 of day 1, the late
#: O6 of day 1 landed on day 2, 2 of day 2; then 1, 1, 2, 2).
FACT_ROWS = {
    "fct_order_line": 7,
    "fct_return": 1,
    "fct_shipment": 1,
    "fct_web_session": 2,
    "fct_inventory_daily": 2,
}


@pytest.fixture(scope="module")
def warehouse(make_database, tmp_path_factory) -> config.Settings:
    url = make_database("rk_wh_test_keys")
    migrate(url)
    root: Path = tmp_path_factory.mktemp("fact_keys")
    s = dataclasses.replace(
        config.settings(), warehouse_url=url, data_dir=root, lake_dir=root / "lake"
    )
    write_day1(s.lake_dir)
    write_day2(s.lake_dir)
    write_day2_other_facts(s.lake_dir)
    load_date(DAY1, settings=s, run_id="keys-1")
    load_date(DAY2, settings=s, run_id="keys-2")
    return s


def test_every_fact_declares_its_business_key_unique(warehouse) -> None:
    with psycopg.connect(warehouse.warehouse_url) as conn:
        rows = fetch(
            conn,
            """
            select c.conrelid::regclass::text,
                array(select a.attname::text from unnest(c.conkey) with ordinality k(n, i)
                      join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n
                      order by k.i)
            from pg_constraint c
            where c.contype = 'u' and c.conrelid = any(%s::regclass[])
            """,
            [f"dw.{t}" for t in FACT_KEYS],
        )
    assert {table: tuple(cols) for table, cols in rows} == {
        f"dw.{t}": k for t, k in FACT_KEYS.items()
    }


def test_a_reload_of_the_same_date_still_works_and_changes_nothing(warehouse) -> None:
    with psycopg.connect(warehouse.warehouse_url) as conn:
        before = table_checksums(conn)
        counts = {
            t: fetch(conn, sql.SQL("select count(*) from {}").format(sql.Identifier("dw", t)))[0][0]
            for t in FACT_ROWS
        }
    assert counts == FACT_ROWS
    load_date(DAY2, settings=warehouse, run_id="keys-2-again")
    load_date(DAY1, settings=warehouse, run_id="keys-1-again")
    with psycopg.connect(warehouse.warehouse_url) as conn:
        assert table_checksums(conn) == before


@pytest.mark.parametrize("table", sorted(FACT_KEYS))
def test_inserting_an_existing_business_key_is_refused(warehouse, table: str) -> None:
    key = FACT_KEYS[table]
    with connection(warehouse.warehouse_url) as conn:
        with pytest.raises(psycopg.errors.UniqueViolation) as err:
            conn.execute(
                sql.SQL("insert into {t} select * from {t} limit 1").format(
                    t=sql.Identifier("dw", table)
                )
            )
        conn.rollback()
    detail = err.value.diag.message_detail or ""
    assert detail.startswith(f"Key ({', '.join(key)})=(") and "already exists" in detail
    assert (err.value.diag.table_name or "").startswith(f"{table}_y")  # the day partition


def test_a_load_that_doubles_a_row_fails_naming_table_and_key(
    warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A loader bug that writes one order line twice is stopped by the database."""

    def doubled(ctx, day, items, read) -> pa.Table:
        rows = facts.order_lines(ctx, day, items, read)
        return pa.concat_tables([rows, rows.slice(0, 1)])

    specs = tuple(
        dataclasses.replace(f, transform=doubled) if f.table == "fct_order_line" else f
        for f in facts.FACTS
    )
    monkeypatch.setattr(loader, "FACTS", specs)
    with psycopg.connect(warehouse.warehouse_url) as conn:
        before = table_checksums(conn)
    with pytest.raises(DuplicateFactKey) as err:
        load_date(DAY1, settings=warehouse, run_id="keys-doubled")
    message = str(err.value)
    assert message.startswith(f"dw.fct_order_line for {DAY1} would hold a business key twice")
    duplicated = r"Key \(order_id, line_number, order_date\)=\(O\d, \d, 2024-03-01\) is duplicated"
    assert re.search(duplicated, message)
    with psycopg.connect(warehouse.warehouse_url) as conn:
        assert table_checksums(conn) == before  # rolled back: the previous state stands
        status = fetch(
            conn, "select distinct status from audit.run_audit where run_id = 'keys-doubled'"
        )
    assert status == [("failed",)]
