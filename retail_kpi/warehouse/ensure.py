"""Make sure a warehouse exists: reachable server, database created, role logins set.

WAREHOUSE_URL wins when it is reachable. When it is not and it was not set explicitly
(the default URL, or the URL the bootstrap wrote earlier), a project-local server is
started (see :mod:`retail_kpi.warehouse.local_pg`) and its URL written to
``config.LOCAL_WAREHOUSE_URL_FILE`` so that every later process uses it.
"""

from __future__ import annotations

import logging
import os

import psycopg
from psycopg import sql

from retail_kpi import config
from retail_kpi.warehouse import local_pg
from retail_kpi.warehouse.db import (
    BI_ROLE,
    WarehouseError,
    connect,
    database_name,
    redact,
    with_database,
)

log = logging.getLogger(__name__)


def reachable(url: str) -> bool:
    """True when the server of ``url`` accepts a connection to its ``postgres`` db."""
    try:
        connect(with_database(url, "postgres"), etl_role=False).close()
    except WarehouseError:
        return False
    return True


def ensure_database(url: str) -> bool:
    """Create the database of ``url`` when missing (via the server's ``postgres`` db)."""
    name = database_name(url)
    with connect(with_database(url, "postgres"), etl_role=False, autocommit=True) as conn:
        if conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone():
            return False
        try:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        except psycopg.errors.DuplicateDatabase:
            return False  # created concurrently by another process
    log.info("created database %s", name)
    return True


def _local_url(dbname: str) -> str:
    server = local_pg.start()
    url = with_database(server, dbname)
    config.LOCAL_WAREHOUSE_URL_FILE.parent.mkdir(parents=True, exist_ok=True)
    config.LOCAL_WAREHOUSE_URL_FILE.write_text(url + "\n")
    return url


def ensure_server(url: str | None = None) -> str:
    """Return a reachable warehouse URL, starting the project-local server if needed."""
    url = url or config.settings().warehouse_url
    if reachable(url):
        return url
    if os.environ.get("WAREHOUSE_URL"):
        raise WarehouseError(
            f"WAREHOUSE_URL={redact(url)} is not reachable; start that server, fix the URL, "
            "or unset WAREHOUSE_URL to use a project-local PostgreSQL."
        )
    local = _local_url(database_name(url))
    log.info(
        "warehouse %s unreachable: started a project-local PostgreSQL at %s (data in %s)",
        redact(url),
        redact(local),
        local_pg.LOCAL_DATA_DIR,
    )
    return local


def apply_bi_login(url: str, password: str | None = None) -> None:
    """Give bi_reader a login with BI_READER_PASSWORD, or no login when it is unset."""
    password = config.env("BI_READER_PASSWORD") if password is None else password
    with connect(url, etl_role=False, autocommit=True) as conn:
        if password:
            stmt = sql.SQL("alter role {} login password {}").format(
                sql.Identifier(BI_ROLE), sql.Literal(password)
            )
        else:
            stmt = sql.SQL("alter role {} nologin").format(sql.Identifier(BI_ROLE))
        conn.execute(stmt)
