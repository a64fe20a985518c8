"""Content checksums of warehouse tables, for "rerun leaves identical tables" tests."""

from __future__ import annotations

import psycopg
from psycopg import sql

#: Schemas whose content must be identical after a rerun. `audit` is excluded on
#: purpose: it records each run (run ids, timestamps) and so grows with every rerun.
CHECKED_SCHEMAS = ("dw", "mart")


def table_checksums(conn: psycopg.Connection, schemas: tuple[str, ...] = CHECKED_SCHEMAS) -> dict:
    """{schema.table: (row count, md5 of all rows sorted by their text form)}."""
    tables = conn.execute(
        """
        select table_schema, table_name from information_schema.tables
        where table_schema = any(%s) and table_type = 'BASE TABLE'
          and (table_schema, table_name) not in (
              select n.nspname, c.relname from pg_inherits i
              join pg_class c on c.oid = i.inhrelid join pg_namespace n on n.oid = c.relnamespace)
        order by 1, 2
        """,
        (list(schemas),),
    ).fetchall()
    out = {}
    for schema, table in tables:
        query = sql.SQL(
            "select count(*), md5(coalesce(string_agg(t::text, '|' order by t::text), '')) "
            "from {}.{} t"
        ).format(sql.Identifier(schema), sql.Identifier(table))
        out[f"{schema}.{table}"] = tuple(conn.execute(query).fetchone())
    return out
