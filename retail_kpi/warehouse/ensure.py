"""Make sure a warehouse exists: reachable server, logins, database, BI login.

With WAREHOUSE_URL unset the warehouse is the project's own PostgreSQL
(:mod:`retail_kpi.services.postgres`): its passwords are generated once, the server is
started when it is not running, and the stack's logins are (re)provisioned. With
WAREHOUSE_URL set, that server is used as it is and nothing is started.
"""

from __future__ import annotations

import logging

import psycopg
from psycopg import sql

from retail_kpi import config
from retail_kpi.services import credentials, postgres
from retail_kpi.warehouse.db import (
    BI_ROLE,
    WarehouseError,
    admin_url,
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
    """Create the database of ``url`` when missing (through the admin login)."""
    name = database_name(url)
    with connect(with_database(admin_url(url), "postgres"), etl_role=False, autocommit=True) as c:
        if c.execute("select 1 from pg_database where datname = %s", (name,)).fetchone():
            return False
        try:
            c.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        except psycopg.errors.DuplicateDatabase:
            return False  # created concurrently by another process
    log.info("created database %s", name)
    return True


def ensure_server() -> str:
    """Return the reachable warehouse URL, starting the project's own server if it is ours."""
    if not config.managed_warehouse():
        url = config.env("WAREHOUSE_URL")
        if not reachable(url):
            raise WarehouseError(
                f"WAREHOUSE_URL={redact(url)} is not reachable; start that server, fix the URL, "
                "or unset WAREHOUSE_URL to use the project's own PostgreSQL."
            )
        return url
    passwords = credentials.ensure()
    try:
        admin = postgres.start()
        postgres.provision(admin, passwords)
    except (postgres.PostgresError, psycopg.Error) as exc:
        raise WarehouseError(f"The project's PostgreSQL: {exc}") from exc
    url = config.env("WAREHOUSE_URL")
    log.info(
        "warehouse: the project's PostgreSQL at %s (data %s, passwords %s)",
        redact(url),
        postgres.data_dir(),
        config.SECRETS_FILE,
    )
    return url


def apply_bi_login(url: str, password: str | None = None) -> bool:
    """Give bi_reader a login with BI_READER_PASSWORD; unset leaves the role as it is.

    Returns whether a password was applied. Nothing here ever revokes the login: a shell
    without the variable must not lock BI users out.
    """
    password = config.env("BI_READER_PASSWORD") if password is None else password
    if not password:
        return False
    with connect(admin_url(url), etl_role=False, autocommit=True) as conn:
        conn.execute(
            sql.SQL("alter role {} login password {}").format(
                sql.Identifier(BI_ROLE), sql.Literal(password)
            )
        )
    return True
