"""Silver Parquet from test data: the one place tests and benchmarks turn rows into files.

Hand-written rows (the KPI, loader and quality-gate tests) and vectorised tables
(tests/synthetic.py) all go through here, so every test reads files with the types and
layout the clean job writes (retail_kpi.schemas, SILVER):

    <silver>/<entity>/dt=<business date>/ingest_dt=<landing date>/part-00000.parquet

Rows are plain dicts. A missing column is NULL, so a test names only what it is about
(nothing is checked for being required: tests feed the readers incomplete rows on
purpose). Text values are accepted for readability: ``"2024-03-01"`` for a date,
``"2024-03-01T10:00:00"`` for a timestamp (UTC), ``"9.99"`` for a decimal.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from retail_kpi import schemas
from retail_kpi.cleaning import rules

#: The column whose value is an entity's business date (the ``dt=`` folder); snapshots
#: (None) are filed under their landing date.
BUSINESS_DATE: dict[str, str | None] = {
    "orders": "order_date",
    "order_items": "order_date",
    "returns": "return_date",
    "shipments": "order_date",
    "inventory": "snapshot_date",
    "web_sessions": "session_date",
    "customers": None,
    "products": None,
    "fx_rates": None,
}
#: A date as a date or as ``YYYY-MM-DD`` text.
Day = dt.date | str
#: The one file of a partition (Spark's first part name).
PART = "part-00000.parquet"

_ARROW: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int": pa.int32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "date": pa.date32(),
    "boolean": pa.bool_(),
}


def arrow_type(column: schemas.Column) -> pa.DataType:
    """The Arrow type Spark writes for a silver column (decimals per rules.decimal_type)."""
    if column.type == "decimal":
        return pa.decimal128(*rules.decimal_type(column.name))
    return _ARROW[column.type]


def arrow_schema(entity: str) -> pa.Schema:
    """The silver contract of ``entity`` as Arrow; every field nullable (see module doc)."""
    return pa.schema([pa.field(c.name, arrow_type(c)) for c in schemas.SILVER[entity]])


def _as_date(value: Day) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _value(value: Any, kind: str) -> Any:
    """A Python value Arrow takes for ``kind``; text is parsed, timestamps default to UTC."""
    if value is None:
        return None
    if kind == "decimal":
        return value if isinstance(value, Decimal) else Decimal(str(value))
    if kind == "date":
        return _as_date(value)
    if kind == "timestamp":
        ts = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
        return ts if ts.tzinfo else ts.replace(tzinfo=dt.UTC)
    return value


def to_table(entity: str, rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """``rows`` as a table of the silver contract (missing columns NULL)."""
    items = list(rows)
    columns = schemas.SILVER[entity]
    arrays = [
        pa.array([_value(r.get(c.name), c.type) for r in items], arrow_type(c)) for c in columns
    ]
    return pa.Table.from_arrays(arrays, schema=arrow_schema(entity))


def partition_dir(silver: Path, entity: str, business: Day, landed: Day) -> Path:
    """``<silver>/<entity>/dt=<business>/ingest_dt=<landed>``, as the clean job names it."""
    b, ld = _as_date(business).isoformat(), _as_date(landed).isoformat()
    return silver / entity / f"dt={b}" / f"ingest_dt={ld}"


def write_table(silver: Path, entity: str, business: Day, landed: Day, table: pa.Table) -> Path:
    """Replace one partition with ``table`` (exactly the contract's columns, cast to its
    types), as a run of the clean job replaces the partitions it owns."""
    schema = arrow_schema(entity)
    if set(table.column_names) != set(schema.names):
        diff = sorted(set(table.column_names) ^ set(schema.names))
        raise ValueError(f"{entity}: columns {diff} differ from the silver contract")
    folder = partition_dir(silver, entity, business, landed)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.parquet"):
        old.unlink()
    pq.write_table(table.select(schema.names).cast(schema), folder / PART)
    return folder / PART


def write_partition(
    silver: Path,
    entity: str,
    business: Day,
    landed: Day,
    rows: Iterable[Mapping[str, Any]],
) -> Path:
    """Write ``rows`` as the partition (business, landed); a row without ``ingest_date``
    gets ``landed``. Returns the file."""
    filled = [dict(r) for r in rows]
    if "ingest_date" in arrow_schema(entity).names:
        for row in filled:
            row["ingest_date"] = row.get("ingest_date") or _as_date(landed)
    return write_table(silver, entity, business, landed, to_table(entity, filled))


def write_rows(
    silver: Path,
    entity: str,
    rows: Iterable[Mapping[str, Any]],
    ingest: dt.date | None = None,
) -> list[Path]:
    """Write ``rows`` under their business-date partitions; returns the files written.

    The landing date of a row is its own ``ingest_date``, else ``ingest``, else its
    business date (on time). Snapshot entities have no business-date column and need one
    of the first two.
    """
    date_col = BUSINESS_DATE[entity]
    groups: dict[tuple[dt.date, dt.date], list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        landed = row.get("ingest_date") or ingest
        business = landed if date_col is None else row[date_col]
        landed = landed or business
        if business is None or landed is None:
            raise ValueError(f"{entity}: snapshot rows need an ingest date; pass ingest=")
        groups[(_as_date(business), _as_date(landed))].append(row)
    return [
        write_partition(silver, entity, business, landed, items)
        for (business, landed), items in sorted(groups.items())
    ]
