"""A throwaway warehouse database per bench run: ``rk_bench_<pid>``, dropped at the end.

Created on the server of WAREHOUSE_URL with the bootstrap's own steps (create the
database, apply every migration). The bootstrap's last step, setting the cluster-wide
``bi_reader`` login, is skipped on purpose: the bench does not need it and must not
change a role other databases on a shared server rely on.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from psycopg import sql

from retail_kpi.warehouse.db import admin_url, connect, with_database
from retail_kpi.warehouse.ensure import ensure_database, ensure_server
from retail_kpi.warehouse.migrate import migrate


def bench_db_name(pid: int | None = None) -> str:
    return f"rk_bench_{os.getpid() if pid is None else pid}"


def drop_database(server_url: str, name: str) -> None:
    admin = admin_url(with_database(server_url, "postgres"))
    with connect(admin, etl_role=False, autocommit=True) as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
        )


def create_database(server_url: str, name: str) -> str:
    """A fresh, migrated database ``name``; returns its URL."""
    drop_database(server_url, name)
    url = with_database(server_url, name)
    ensure_database(url)
    migrate(url)
    return url


@contextmanager
def throwaway_database(name: str | None = None) -> Iterator[str]:
    """URL of a fresh migrated database that is dropped when the block ends."""
    server = ensure_server()
    name = name or bench_db_name()
    url = create_database(server, name)
    try:
        yield url
    finally:
        drop_database(server, name)
