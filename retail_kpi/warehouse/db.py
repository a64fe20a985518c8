"""Connections to the warehouse, with the session settings every caller needs.

Every session runs in UTC (timestamps in the lake are UTC) and, when the login may,
as the ``retail_etl`` role so that anything it creates (partitions, rows) is owned by
the ETL role and picks up the default privileges granted to ``bi_reader``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from retail_kpi.config import env

log = logging.getLogger(__name__)

ETL_ROLE = "retail_etl"
BI_ROLE = "bi_reader"
CONNECT_TIMEOUT_S = 5
#: Namespace (first key) of every advisory lock taken by the project.
LOCK_NAMESPACE = 4_242


class WarehouseError(RuntimeError):
    """A problem the user can fix; the message says how."""


def libpq_url(url: str) -> str:
    """Accept SQLAlchemy-style URLs too (``postgresql+psycopg://``) where libpq needs its own."""
    scheme, sep, rest = url.partition("://")
    return f"postgresql://{rest}" if sep and scheme.startswith("postgresql+") else url


def database_name(url: str) -> str:
    """The database a URL points at (``postgres`` when it names none)."""
    return str(conninfo_to_dict(libpq_url(url)).get("dbname") or "postgres")


def with_database(url: str, dbname: str) -> str:
    """The same server and credentials, another database (URLs stay URLs)."""
    url = libpq_url(url)
    if url.startswith(("postgresql://", "postgres://")):
        parts = urlsplit(url)
        return urlunsplit(parts._replace(path=f"/{quote(dbname)}"))
    return make_conninfo(url, dbname=dbname)


def admin_url(url: str) -> str:
    """The admin login (WAREHOUSE_ADMIN_URL) for ``url``'s database, when on the same server.

    Creating databases and roles and applying migrations need more than the pipeline's
    login; a URL of another server (a test's throwaway one) is returned unchanged.
    """
    admin = libpq_url(env("WAREHOUSE_ADMIN_URL"))
    a, u = conninfo_to_dict(admin), conninfo_to_dict(libpq_url(url))

    def server(p: Mapping[str, object]) -> tuple[str, str]:
        return str(p.get("host") or "localhost"), str(p.get("port") or 5432)

    if not admin or server(a) != server(u):
        return url
    return with_database(admin, database_name(url))


def redact(url: str) -> str:
    """The URL without its password, for logs."""
    p = conninfo_to_dict(libpq_url(url))
    host, port = p.get("host", "localhost"), p.get("port", 5432)
    return f"postgresql://{p.get('user', '')}@{host}:{port}/{p.get('dbname', '')}"


def connect(url: str, *, etl_role: bool = True, autocommit: bool = False) -> psycopg.Connection:
    """Open a UTC session, switched to the ETL role when the login is a member of it."""
    try:
        conn = psycopg.connect(
            libpq_url(url),
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT_S,
            options="-c TimeZone=UTC",
        )
    except psycopg.OperationalError as exc:
        raise WarehouseError(
            f"Cannot connect to the warehouse at {redact(url)} "
            f"({str(exc).strip().splitlines()[0]}); run `make warehouse` or set WAREHOUSE_URL."
        ) from exc
    if etl_role:
        row = conn.execute(
            "select exists (select from pg_roles where rolname = %s)"
            " and pg_has_role(current_user, %s, 'member')",
            (ETL_ROLE, ETL_ROLE),
        ).fetchone()
        if row and row[0]:
            conn.execute(sql.SQL("set role {}").format(sql.Identifier(ETL_ROLE)))
    conn.autocommit = autocommit
    return conn


@contextmanager
def connection(url: str, *, etl_role: bool = True) -> Iterator[psycopg.Connection]:
    """``connect`` as a context manager that always closes."""
    conn = connect(url, etl_role=etl_role)
    try:
        yield conn
    finally:
        conn.close()


def xact_lock(conn: psycopg.Connection, name: str) -> None:
    """Wait for a transaction-scoped advisory lock named ``name`` (project namespace)."""
    conn.execute("select pg_advisory_xact_lock(%s, hashtext(%s))", (LOCK_NAMESPACE, name))
