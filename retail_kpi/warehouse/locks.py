"""One writer per business date at a time, wherever the tasks run.

``retail_daily`` and ``retail_microbatch`` both process "today", a manual rerun can start
while the scheduled run of the same date is still going, and two ``airflow dags test``
invocations may race. Every task takes an exclusive lock on its date before touching the
date's partitions, so each task runs atomically with respect to the other runs; since
every task replaces (never appends to) its date's output, any interleaving of two runs
ends in the state of a single run.

The lock is a PostgreSQL session advisory lock in the warehouse (every worker reaches
it, on any host), held on a connection of its own for the whole task: the server
releases it when that session ends, so a worker killed with ``kill -9`` or lost with its
host frees the date as soon as its connection closes (TCP keepalives of the session
notice a vanished host within about 90 s). The connection's
``application_name`` is the holder ("<run id> <task>"), which ``pg_stat_activity`` shows
to whoever waits.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from retail_kpi.config import settings
from retail_kpi.warehouse.db import LOCK_NAMESPACE, connect

log = logging.getLogger(__name__)
#: PostgreSQL truncates application_name to 63 bytes.
_NAME_BYTES = 63
#: Server-side TCP keepalives of the lock's session: a worker whose host died (no FIN sent)
#: frees its date after about 60 + 3 x 10 s instead of the OS default of over two hours.
_KEEPALIVES = {
    "tcp_keepalives_idle": "60",
    "tcp_keepalives_interval": "10",
    "tcp_keepalives_count": "3",
}


def lock_name(day: dt.date | str) -> str:
    """The advisory lock's name for ``day`` (second key: its hashtext)."""
    return f"date:{day}"


def _holder(conn: psycopg.Connection, name: str) -> str:
    """Who holds the lock ``name`` now, for the waiting message."""
    row = conn.execute(
        "select a.application_name, a.pid, a.client_addr, a.backend_start"
        " from pg_locks l join pg_stat_activity a using (pid)"
        " where l.locktype = 'advisory' and l.granted and l.classid = %s"
        " and l.objid = hashtext(%s)::oid and l.objsubid = 2 and l.database = ("
        "   select oid from pg_database where datname = current_database())",
        (LOCK_NAMESPACE, name),
    ).fetchone()
    if row is None:
        return "another run (already gone)"
    app, pid, addr, since = row
    return f"{app or 'an unnamed session'} (backend pid {pid}, client {addr}, connected {since})"


@contextmanager
def date_lock(day: dt.date | str, holder: str = "") -> Iterator[float]:
    """Hold the exclusive lock of ``day``; yields the seconds spent waiting for it."""
    name = lock_name(day)
    conn = connect(settings().warehouse_url, etl_role=False, autocommit=True)
    try:
        app = holder.encode()[:_NAME_BYTES].decode(errors="ignore")
        conn.execute("select set_config('application_name', %s, false)", (app,))
        for setting, value in _KEEPALIVES.items():
            conn.execute("select set_config(%s, %s, false)", (setting, value))
        started = time.monotonic()
        key = (LOCK_NAMESPACE, name)
        got = conn.execute("select pg_try_advisory_lock(%s, hashtext(%s))", key).fetchone()
        if not (got and got[0]):
            log.info("waiting for the lock of date %s held by %s", day, _holder(conn, name))
            conn.execute("select pg_advisory_lock(%s, hashtext(%s))", key)
        waited = time.monotonic() - started
        try:
            yield waited
        finally:
            try:
                conn.execute("select pg_advisory_unlock(%s, hashtext(%s))", key)
            except psycopg.Error:  # the session is gone, and its lock with it
                log.warning("could not unlock date %s; its session ended", day)
    finally:
        conn.close()
