"""SCD type 2 merge of the customer and product snapshots.

A version is identified by (natural id, updated_at) and keyed by a hash of both
(``dw.version_key``), so the result depends only on the set of snapshots loaded,
not on their order or on reruns. After inserting new versions, valid_to/is_current
are recomputed for the ids touched: valid_to = next version's valid_from.

A version is immutable once stored: snapshot rows whose (id, updated_at) is already
known are dropped client-side before anything is sent, so a daily snapshot of mostly
unchanged customers costs almost nothing. A source correction must bump updated_at.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from psycopg import sql

from retail_kpi.load.copy import copy_table
from retail_kpi.load.keys import timestamps_us
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


def _fmt(spec: Scd2Spec, staged: sql.Identifier) -> dict[str, sql.Composable]:
    attrs = spec.attributes
    return {
        "dim": sql.Identifier("dw", spec.table),
        "key": sql.Identifier(spec.key_column),
        "id": sql.Identifier(spec.id_column),
        "staged": staged,
        "eot": sql.Literal(END_OF_TIME),
        "cols": _ids(attrs),
        "s_cols": sql.SQL(", ").join(sql.Identifier("s", a) for a in attrs),
    }


def _known_versions(conn: psycopg.Connection, f: dict[str, sql.Composable]) -> pa.Array:
    """``id|valid_from epoch microseconds`` of every stored version."""
    rows = conn.execute(
        sql.SQL(
            "select {id} || '|' || ((extract(epoch from valid_from) * 1000000)::bigint)::text"
            " from {dim} where {key} <> -1"
        ).format(**f)
    ).fetchall()
    return pa.array([r[0] for r in rows], pa.string())


def new_versions(snapshot: pa.Table, id_column: str, known: pa.Array) -> pa.Table:
    """Snapshot rows whose (id, updated_at) is not stored yet (one row per version)."""
    micros = pc.cast(timestamps_us(snapshot["updated_at"]), pa.string())
    key = pc.binary_join_element_wise(pc.cast(snapshot[id_column], pa.string()), micros, "|")
    return snapshot.filter(pc.invert(pc.is_in(key, value_set=known)))


def _insert_versions(conn: psycopg.Connection, f: dict[str, sql.Composable]) -> int:
    """Insert new versions with their final validity, after closing the versions they follow.

    The new timeline of every id touched is computed once (stored + new versions,
    valid_to = next valid_from). Stored rows whose validity changes are updated first
    (losing is_current), then the new rows go in, so the one-current-row index and the
    no-overlap constraint hold after every statement (nothing waits for commit).
    """
    conn.execute(
        sql.SQL(
            """
            create temp table scd_timeline on commit drop as
            select v.*, coalesce(lead(v.valid_from) over w, {eot}::timestamptz) as new_valid_to
            from (
                select {id} as natural_id, valid_from, {key} as version_key, true as is_stored
                from {dim} where {id} in (select {id} from {staged})
                union all
                select distinct {id}, updated_at, null::bigint, false from {staged}
            ) as v
            window w as (partition by v.natural_id order by v.valid_from)
            """
        ).format(**f)
    )
    conn.execute("analyze scd_timeline")  # temp tables have no statistics otherwise
    conn.execute(
        sql.SQL(
            """
            update {dim} as d
            set valid_to = t.new_valid_to, is_current = (t.new_valid_to = {eot}::timestamptz)
            from scd_timeline as t
            where t.is_stored and d.{key} = t.version_key and d.valid_to <> t.new_valid_to
            """
        ).format(**f)
    )
    n = conn.execute(
        sql.SQL(
            """
            insert into {dim} ({key}, {cols}, valid_from, valid_to, is_current)
            select dw.version_key(s.{id}, s.updated_at), {s_cols}, s.updated_at,
                t.new_valid_to, t.new_valid_to = {eot}::timestamptz
            from (
                select distinct on ({id}, updated_at) * from {staged}
                order by {id}, updated_at, {cols}
            ) as s
            inner join scd_timeline as t
                on t.natural_id = s.{id} and t.valid_from = s.updated_at and not t.is_stored
            """
        ).format(**f)
    ).rowcount
    conn.execute("drop table scd_timeline")
    return n


class TimelineError(RuntimeError):
    """An SCD2 timeline broke its invariants; the load is rolled back."""


def _verify_timeline(
    conn: psycopg.Connection, spec: Scd2Spec, f: dict[str, sql.Composable]
) -> None:
    """For every id just merged: versions chain without gap or overlap, last one current."""
    bad = conn.execute(
        sql.SQL(
            """
            select count(*) from (
                select valid_to, is_current, lead(valid_from) over w as next_from
                from {dim} where {id} in (select {id} from {staged})
                window w as (partition by {id} order by valid_from)
            ) as t
            where (t.next_from is null) <> (t.valid_to = {eot}::timestamptz and t.is_current)
                or (t.next_from is not null and (t.valid_to <> t.next_from or t.is_current))
            """
        ).format(**f)
    ).fetchone()
    if bad and bad[0]:
        raise TimelineError(f"{bad[0]} versions of dw.{spec.table} break the SCD2 timeline.")


def merge_scd2(conn: psycopg.Connection, spec: Scd2Spec, snapshot: pa.Table) -> int:
    """Merge one snapshot into its dimension; returns the number of new versions."""
    if snapshot.num_rows == 0:
        return 0
    staged = sql.Identifier(f"stg_{spec.entity}")
    f = _fmt(spec, staged)
    fresh = new_versions(snapshot, spec.id_column, _known_versions(conn, f))
    if fresh.num_rows == 0:
        return 0
    conn.execute(
        sql.SQL("create temp table {} (like {}) on commit drop").format(
            staged, sql.Identifier("staging", spec.entity)
        )
    )
    copy_table(conn, staged, fresh, spec.attributes)
    conn.execute(sql.SQL("analyze {}").format(staged))
    changed = _insert_versions(conn, f)
    _verify_timeline(conn, spec, f)
    conn.execute(sql.SQL("drop table {}").format(staged))
    return changed
