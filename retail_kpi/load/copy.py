"""Stream an Arrow table into PostgreSQL with COPY, encoded as CSV by Arrow's C++ writer.

CSV from pyarrow is the fastest text PostgreSQL ingests without per-row Python work:
strings are always quoted (so "" is an empty string) and nulls are bare empty fields
(NULL), which is exactly COPY's CSV convention. Timestamps are written in UTC.
"""

from __future__ import annotations

import io

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
    data: pa.Table,
    columns: list[str] | None = None,
    *,
    freeze: bool = False,
) -> int:
    """COPY ``data`` (columns in ``columns`` order, default all) into ``target``; rows copied.

    ``freeze`` writes rows already frozen (allowed only into a table created in the
    same transaction), sparing the first reader from setting hint bits on every page.
    A background writer thread sends one chunk while Arrow encodes the next.
    """
    columns = columns or data.column_names
    data = data.select(columns)
    stmt = sql.SQL("copy {} ({}) from stdin (format csv{})").format(
        target,
        sql.SQL(", ").join(sql.Identifier(c) for c in columns),
        sql.SQL(", freeze" if freeze else ""),
    )
    with conn.cursor() as cur, cur.copy(stmt, writer=QueuedLibpqWriter(cur)) as copy:
        for batch in data.to_batches(max_chunksize=CHUNK_ROWS):
            buf = io.BytesIO()
            pacsv.write_csv(batch, buf, _OPTIONS)
            copy.write(buf.getbuffer())
    return data.num_rows
