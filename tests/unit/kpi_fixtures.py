"""Write small silver Parquet partitions from plain Python rows (the KPI tests).

The KPI tests build their inputs by hand so the expected values can be worked out on
paper; this module only turns rows into files with the silver contract's Arrow types and
the ``<entity>/dt=<business date>/ingest_dt=<landing date>/part-*.parquet`` layout.
Missing optional columns are filled with NULL; derived columns the KPI job does not read
are not required.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from retail_kpi import schemas
from retail_kpi.cleaning import rules

#: The business-date column of each entity (snapshots use the landing date).
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

_ARROW: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int": pa.int32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "date": pa.date32(),
    "boolean": pa.bool_(),
}


def arrow_schema(entity: str) -> pa.Schema:
    fields = []
    for c in schemas.SILVER[entity]:
        if c.type == "decimal":
            typ: pa.DataType = pa.decimal128(*rules.decimal_type(c.name))
        else:
            typ = _ARROW[c.type]
        fields.append(pa.field(c.name, typ, nullable=True))
    return pa.schema(fields)


def write_entity(
    silver: Path,
    entity: str,
    rows: Iterable[Mapping[str, Any]],
    ingest: dt.date | None = None,
    part: str = "part-00000.parquet",
) -> list[Path]:
    """Write ``rows`` under their business-date partitions; returns the files written.

    ``ingest`` is the landing date (default: the row's own business date, i.e. on time);
    rows may also carry ``ingest_date`` themselves.
    """
    schema = arrow_schema(entity)
    date_col = BUSINESS_DATE[entity]
    groups: dict[tuple[dt.date, dt.date], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        row = dict(r)
        landed = row.get("ingest_date") or ingest
        if date_col is None:
            business = landed
        else:
            business = row[date_col]
            landed = landed or business
        if business is None or landed is None:
            raise ValueError(f"{entity}: snapshot rows need an ingest date")
        if "ingest_date" in schema.names:
            row["ingest_date"] = landed
        groups[(business, landed)].append(row)
    written = []
    for (business, landed), items in sorted(groups.items()):
        table = pa.Table.from_pylist(
            [{n: r.get(n) for n in schema.names} for r in items], schema=schema
        )
        folder = silver / entity / f"dt={business.isoformat()}" / f"ingest_dt={landed.isoformat()}"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, folder / part)
        written.append(folder / part)
    return written
