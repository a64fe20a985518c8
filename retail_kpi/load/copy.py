"""Stream an Arrow table into PostgreSQL with COPY, encoded as CSV by Arrow's C++ writer.

CSV from pyarrow is the fastest text PostgreSQL ingests without per-row Python work:
strings are always quoted (so "" is an empty string) and nulls are bare empty fields
(NULL), which is exactly COPY's CSV convention. Timestamps are written in UTC.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterable

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

CHUNK_ROWS = 65_536
_OPTIONS = pacsv.WriteOptions(include_header=False, batch_size=CHUNK_ROWS)


def copy_table(
    conn: psycopg.Connection,
    target: sql.Composable,
    data: pa.Table | Iterable[pa.Table],
    columns: list[str] | None = None,
    *,
    freeze: bool = False,
) -> int:
    """COPY ``data`` into ``target`` (``columns`` order); rows copied.

    Columns default to the data's own, except ``_``-prefixed helper columns.

    ``data`` may be an iterable of tables produced lazily (columns default to the
    first one's): each part is encoded and queued while PostgreSQL parses the
    previous one, so client work overlaps server work. ``freeze`` writes rows already frozen
    (allowed only into a table created in the same transaction), sparing the first
    reader from setting hint bits on every page.
    """
    parts = iter([data] if isinstance(data, pa.Table) else data)
    first = next(parts, None)
    if first is None:
        return 0
    columns = columns or [c for c in first.column_names if not c.startswith("_")]
    parts = itertools.chain([first], parts)
    stmt = sql.SQL("copy {} ({}) from stdin (format csv{})").format(
        target,
        sql.SQL(", ").join(sql.Identifier(c) for c in columns),
        sql.SQL(", freeze" if freeze else ""),
    )
    rows = 0
    with conn.cursor() as cur, cur.copy(stmt, writer=QueuedLibpqWriter(cur)) as copy:
        for part in parts:
            for batch in part.select(columns).to_batches(max_chunksize=CHUNK_ROWS):
                buf = io.BytesIO()
                pacsv.write_csv(batch, buf, _OPTIONS)
                copy.write(buf.getbuffer())
            rows += part.num_rows
    return rows
