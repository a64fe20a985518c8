"""Stream Arrow tables into PostgreSQL with COPY, encoded as CSV by Arrow's C++ writer.

CSV from pyarrow is the fastest text PostgreSQL ingests without per-row Python work:
strings are always quoted (so "" is an empty string) and nulls are bare empty fields
(NULL), which is exactly COPY's CSV convention. Timestamps are written in UTC.

Three things run at once: the caller produces the next part (e.g. the loader's
transform), a worker thread encodes chunks to CSV (Arrow releases the GIL), and
psycopg's writer thread sends encoded chunks while the server parses them.
"""

from __future__ import annotations

import io
import itertools
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

CHUNK_ROWS = 65_536
#: Encoded chunks waiting to be sent: bounds memory while keeping every thread busy.
IN_FLIGHT = 4
_OPTIONS = pacsv.WriteOptions(include_header=False, batch_size=CHUNK_ROWS)


def _encode(batch: pa.RecordBatch) -> bytes:
    buf = io.BytesIO()
    pacsv.write_csv(batch, buf, _OPTIONS)
    return buf.getvalue()


def _batches(parts: Iterable[pa.Table], columns: list[str]) -> Iterator[pa.RecordBatch]:
    for part in parts:
        yield from part.select(columns).to_batches(max_chunksize=CHUNK_ROWS)


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
    ``data`` may be an iterable of tables produced lazily: the next part is produced
    while earlier ones are encoded and sent. ``freeze`` writes rows already frozen
    (allowed only into a table created in the same transaction), sparing the first
    reader from setting hint bits on every page.
    """
    parts = iter([data] if isinstance(data, pa.Table) else data)
    first = next(parts, None)
    if first is None:
        return 0
    columns = columns or [c for c in first.column_names if not c.startswith("_")]
    stmt = sql.SQL("copy {} ({}) from stdin (format csv{})").format(
        target,
        sql.SQL(", ").join(sql.Identifier(c) for c in columns),
        sql.SQL(", freeze" if freeze else ""),
    )
    rows = 0
    pending: deque[Future[bytes]] = deque()
    with (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="csv") as pool,
        conn.cursor() as cur,
        cur.copy(stmt, writer=QueuedLibpqWriter(cur)) as copy,
    ):
        for batch in _batches(itertools.chain([first], parts), columns):
            pending.append(pool.submit(_encode, batch))
            rows += batch.num_rows
            while len(pending) > IN_FLIGHT:
                copy.write(pending.popleft().result())
        while pending:
            copy.write(pending.popleft().result())
    return rows
