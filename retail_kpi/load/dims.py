"""SCD type 2 merge of the customer and product snapshots.

A version is identified by (natural id, updated_at) and keyed by a hash of both
(``dw.version_key``), so the result depends only on the set of snapshots loaded,
not on their order or on reruns. After inserting new versions, valid_to/is_current
are recomputed for the ids touched: valid_to = next version's valid_from.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
import pyarrow as pa
from psycopg import sql

from retail_kpi.load.copy import copy_table
from retail_kpi.schemas import SILVER

END_OF_TIME = "9999-12-31 00:00:00+00"


@dataclass(frozen=True)
class Scd2Spec:
    table: str  # in schema dw
    entity: str  # silver entity / staging table
    id_column: str
    key_column: str

    @property
    def attributes(self) -> list[str]:
        """Silver columns copied as-is (the id and updated_at included)."""
        return [c.name for c in SILVER[self.entity]]


CUSTOMER = Scd2Spec("dim_customer", "customers", "customer_id", "customer_key")
PRODUCT = Scd2Spec("dim_product", "products", "product_id", "product_key")


def _ids(names: list[str]) -> sql.Composed:
    return sql.SQL(", ").join(sql.Identifier(n) for n in names)


def _insert_versions(conn: psycopg.Connection, spec: Scd2Spec, staged: sql.Identifier) -> int:
    attrs = spec.attributes
    changing = [a for a in attrs if a not in (spec.id_column, "updated_at")]
    stmt = sql.SQL(
        """
        insert into {dim} ({key}, {cols}, valid_from, valid_to, is_current)
        select dw.version_key(s.{id}, s.updated_at), {s_cols}, s.updated_at, {eot}, false
        from (
            select distinct on ({id}, updated_at) *
            from {staged}
            order by {id}, updated_at, {cols}
        ) as s
        on conflict ({id}, valid_from) do update set {assign}
        where ({d_changing}) is distinct from ({x_changing})
        """
    ).format(
        dim=sql.Identifier("dw", spec.table),
        key=sql.Identifier(spec.key_column),
        id=sql.Identifier(spec.id_column),
        cols=_ids(attrs),
        s_cols=sql.SQL(", ").join(sql.Identifier("s", a) for a in attrs),
        eot=sql.Literal(END_OF_TIME),
        staged=staged,
        assign=sql.SQL(", ").join(
            sql.SQL("{c} = excluded.{c}").format(c=sql.Identifier(a)) for a in changing
        ),
        d_changing=sql.SQL(", ").join(sql.Identifier(spec.table, a) for a in changing),
        x_changing=sql.SQL(", ").join(sql.Identifier("excluded", a) for a in changing),
    )
    return conn.execute(stmt).rowcount


def _recompute_validity(conn: psycopg.Connection, spec: Scd2Spec, staged: sql.Identifier) -> None:
    """valid_to/is_current from the version order; two passes keep one current row at a time."""
    values = {
        "dim": sql.Identifier("dw", spec.table),
        "key": sql.Identifier(spec.key_column),
        "id": sql.Identifier(spec.id_column),
        "staged": staged,
        "eot": sql.Literal(END_OF_TIME),
    }
    conn.execute(
        sql.SQL(
            """
            create temp table scd_validity on commit drop as
            select {key} as version_key,
                coalesce(lead(valid_from) over w, {eot}::timestamptz) as new_valid_to
            from {dim}
            where {id} in (select {id} from {staged})
            window w as (partition by {id} order by valid_from)
            """
        ).format(**values)
    )
    for becomes_current in (False, True):
        conn.execute(
            sql.SQL(
                """
                update {dim} as d
                set valid_to = v.new_valid_to, is_current = (v.new_valid_to = {eot}::timestamptz)
                from scd_validity as v
                where d.{key} = v.version_key
                    and (v.new_valid_to = {eot}::timestamptz) = %s
                    and (d.valid_to, d.is_current)
                        is distinct from (v.new_valid_to, v.new_valid_to = {eot}::timestamptz)
                """
            ).format(**values),
            (becomes_current,),
        )
    conn.execute("drop table scd_validity")


def merge_scd2(conn: psycopg.Connection, spec: Scd2Spec, snapshot: pa.Table) -> int:
    """Merge one snapshot into its dimension; returns versions inserted or corrected."""
    if snapshot.num_rows == 0:
        return 0
    staged = sql.Identifier(f"stg_{spec.entity}")
    conn.execute(
        sql.SQL("create temp table {} (like {}) on commit drop").format(
            staged, sql.Identifier("staging", spec.entity)
        )
    )
    copy_table(conn, staged, snapshot, spec.attributes)
    changed = _insert_versions(conn, spec, staged)
    _recompute_validity(conn, spec, staged)
    conn.execute(sql.SQL("drop table {}").format(staged))
    return changed
