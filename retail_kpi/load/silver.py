"""Find and read the silver Parquet of one landing date (layout: retail_kpi.schemas)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from retail_kpi.config import Settings
from retail_kpi.schemas import BUSINESS_KEYS, SILVER

#: SCD2 dimensions: every ``updated_at`` of a key is a version the loader keeps.
SCD2: tuple[str, ...] = ("customers", "products")
#: Natural key of each silver entity: duplicates across landing dates are resolved on it.
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    e: (*keys, *(("updated_at",) if e in SCD2 else ())) for e, keys in BUSINESS_KEYS.items()
}
_ROW_BITS = 32


def entity_dir(s: Settings, entity: str) -> Path:
    return s.silver_dir / entity


def touched_dates(s: Settings, entity: str, landing: dt.date) -> list[dt.date]:
    """Business dates that received rows of ``entity`` from landing date ``landing``."""
    base = entity_dir(s, entity)
    if not base.is_dir():
        return []
    marker = f"ingest_dt={landing.isoformat()}"
    out = []
    for part in base.glob("dt=*"):
        if (part / marker).is_dir():
            out.append(dt.date.fromisoformat(part.name[3:]))
    return sorted(out)


def parquet_files(directory: Path) -> list[Path]:
    """Data files under a folder, skipping Spark's ``_SUCCESS``/hidden files."""
    if not directory.is_dir():
        return []
    return sorted(
        p
        for p in directory.rglob("*.parquet")
        if not any(part.startswith(("_", ".")) for part in p.relative_to(directory).parts)
    )


def read_files(files: list[Path], columns: list[str]) -> pa.Table:
    """Concatenate Parquet files, keeping ``columns`` in that order."""
    tables = [pq.read_table(f, columns=columns) for f in files]
    if not tables:
        raise FileNotFoundError("no parquet files")
    return pa.concat_tables(tables, promote_options="permissive")


def read_business_date(
    s: Settings, entity: str, day: dt.date, columns: list[str] | None = None
) -> tuple[pa.Table, int, int]:
    """All rows of ``entity`` for business date ``day`` over every ingest date.

    Returns (table, rows read, duplicates dropped). A key seen in several ingest
    dates keeps the row of the latest one, so a re-landed record never doubles.
    ``columns`` narrows the read (the natural key and ingest_date are always read).
    """
    columns = columns or [c.name for c in SILVER[entity]]
    for needed in (*NATURAL_KEYS[entity], "ingest_date"):
        if needed not in columns and any(c.name == needed for c in SILVER[entity]):
            columns = [*columns, needed]
    part = entity_dir(s, entity) / f"dt={day.isoformat()}"
    ingest_dirs = sorted(p for p in part.glob("ingest_dt=*") if p.is_dir())
    files = [f for d in ingest_dirs for f in parquet_files(d)]
    if not files:
        return empty_table(entity).select(columns), 0, 0
    table = read_files(files, columns)
    rows_in = table.num_rows
    if len(ingest_dirs) > 1 and "ingest_date" in columns:
        table = latest_per_key(table, NATURAL_KEYS[entity])
    return table, rows_in, rows_in - table.num_rows


@dataclass
class SliceStats:
    """Counts of a streamed read, filled in as the slices are consumed."""

    rows_in: int = 0
    duplicates: int = 0


def slices(
    s: Settings, entity: str, day: dt.date, size: int, stats: SliceStats
) -> Iterator[pa.Table]:
    """The rows of one business date in slices of at most ``size`` rows.

    Streamed from the Parquet files (decoding overlaps the caller's work) when the
    day has one ingest date; read whole and deduplicated (see read_business_date)
    when late rows make several.
    """
    columns = [c.name for c in SILVER[entity]]
    part = entity_dir(s, entity) / f"dt={day.isoformat()}"
    ingest_dirs = sorted(p for p in part.glob("ingest_dt=*") if p.is_dir())
    if len(ingest_dirs) > 1:
        table, stats.rows_in, stats.duplicates = read_business_date(s, entity, day)
        for start in range(0, table.num_rows, size):
            yield table.slice(start, size)
        return
    for f in (f for d in ingest_dirs for f in parquet_files(d)):
        for batch in pq.ParquetFile(f).iter_batches(batch_size=size, columns=columns):
            stats.rows_in += batch.num_rows
            yield pa.Table.from_batches([batch])


def latest_per_key(table: pa.Table, keys: tuple[str, ...]) -> pa.Table:
    """One row per key: the one with the latest ingest_date (then the last read)."""
    n = table.num_rows
    if n == 0:
        return table
    days = pc.cast(table["ingest_date"], pa.int32()).to_numpy(zero_copy_only=False).astype(np.int64)
    rank = (days << _ROW_BITS) + np.arange(n, dtype=np.int64)
    key_parts = [pc.cast(table[k], pa.string()).fill_null("\x00") for k in keys]
    key = key_parts[0] if len(keys) == 1 else pc.binary_join_element_wise(*key_parts, "\x1f")
    grouped = (
        pa.table({"k": key, "r": pa.array(rank)})
        .group_by("k", use_threads=False)
        .aggregate([("r", "max")])
    )
    keep = np.sort(grouped["r_max"].to_numpy() & ((1 << _ROW_BITS) - 1))
    return table.take(pa.array(keep))


def empty_table(entity: str) -> pa.Table:
    types = {
        "string": pa.string(),
        "int": pa.int32(),
        "decimal": pa.decimal128(18, 2),
        "timestamp": pa.timestamp("us", tz="UTC"),
        "date": pa.date32(),
        "boolean": pa.bool_(),
    }
    return pa.schema([(c.name, types[c.type]) for c in SILVER[entity]]).empty_table()


def read_snapshot(s: Settings, entity: str, landing: dt.date) -> pa.Table:
    """A snapshot entity (customers, products) as of landing date (dt = landing date)."""
    table, _, _ = read_business_date(s, entity, landing)
    return table
