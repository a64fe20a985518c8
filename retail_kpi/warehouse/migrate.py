"""Apply the numbered SQL migrations of ``warehouse/migrations`` in order.

Each file ``V<NNN>__<what>.sql`` runs once, in its own transaction, and is recorded in
``meta.schema_migrations`` with a checksum; a rerun skips applied files, and a file
edited after it was applied is refused (add a new migration instead). Files run as
``retail_etl`` so that it owns every object, except those whose first line is
``-- run-as: session`` (role creation needs the login's own privileges). They run through
the admin login (WAREHOUSE_ADMIN_URL), not the pipeline's.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from retail_kpi.config import REPO_ROOT
from retail_kpi.warehouse.db import (
    ETL_ROLE,
    LOCK_NAMESPACE,
    WarehouseError,
    admin_url,
    connection,
)

log = logging.getLogger(__name__)

MIGRATIONS_DIR = REPO_ROOT / "warehouse" / "migrations"
_NAME = re.compile(r"^V(\d{3,})__([a-z0-9_]+)\.sql$")
_RUN_AS_SESSION = "-- run-as: session"
_MIGRATE_LOCK = 1

_BOOTSTRAP_SQL = """
create schema if not exists meta;
comment on schema meta is 'Bookkeeping of the warehouse itself (applied migrations).';
create table if not exists meta.schema_migrations (
    version integer primary key,
    name text not null,
    checksum text not null,
    applied_at timestamptz not null default now()
);
comment on table meta.schema_migrations is 'Migrations applied to this database, one row per file.';
"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()

    @property
    def runs_as_session(self) -> bool:
        return self.text.lstrip().startswith(_RUN_AS_SESSION)


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Migration files sorted by version; a malformed name or duplicate version is an error."""
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise WarehouseError(
                f"{path.name}: migration files must be named V<NNN>__<lowercase_words>.sql."
            )
        version = int(match.group(1))
        if version in found:
            raise WarehouseError(f"Two migrations share version {version}: renumber one of them.")
        found[version] = Migration(version, match.group(2), path)
    return [found[v] for v in sorted(found)]


def applied(conn: psycopg.Connection) -> dict[int, tuple[str, str]]:
    """version -> (name, checksum) recorded in the database (empty before the first run)."""
    exists = conn.execute("select to_regclass('meta.schema_migrations') is not null").fetchone()
    if not exists or not exists[0]:
        return {}
    rows = conn.execute("select version, name, checksum from meta.schema_migrations").fetchall()
    return {int(v): (str(n), str(c)) for v, n, c in rows}


def _check_drift(migrations: list[Migration], done: dict[int, tuple[str, str]]) -> None:
    for m in migrations:
        if m.version in done and done[m.version][1] != m.checksum:
            raise WarehouseError(
                f"Migration {m.path.name} changed after it was applied (checksum differs); "
                "restore it and add a new migration for the change."
            )


def _apply(conn: psycopg.Connection, m: Migration) -> None:
    with conn.transaction():
        if not m.runs_as_session:
            conn.execute(sql.SQL("set local role {}").format(sql.Identifier(ETL_ROLE)))
        conn.execute(m.text.encode())
        conn.execute("reset role")
        conn.execute(
            "insert into meta.schema_migrations (version, name, checksum) values (%s, %s, %s)",
            (m.version, m.name, m.checksum),
        )


def migrate(url: str, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply pending migrations; return the file names applied (empty when up to date)."""
    migrations = discover(directory)
    done_now: list[str] = []
    with connection(admin_url(url), etl_role=False) as conn:
        conn.autocommit = True
        # Session lock: two concurrent `migrate` runs apply each file once.
        conn.execute("select pg_advisory_lock(%s, %s)", (LOCK_NAMESPACE, _MIGRATE_LOCK))
        try:
            conn.execute(_BOOTSTRAP_SQL.encode())
            done = applied(conn)
            _check_drift(migrations, done)
            for m in migrations:
                if m.version in done:
                    continue
                log.info("applying migration %s", m.path.name)
                try:
                    _apply(conn, m)
                except psycopg.Error as exc:
                    raise WarehouseError(
                        f"Migration {m.path.name} failed and was rolled back: {exc}".strip()
                    ) from exc
                done_now.append(m.path.name)
        finally:
            conn.execute("select pg_advisory_unlock(%s, %s)", (LOCK_NAMESPACE, _MIGRATE_LOCK))
    return done_now


def status(url: str, directory: Path = MIGRATIONS_DIR) -> list[tuple[str, str]]:
    """(file name, state) for every migration: applied, pending or changed."""
    with connection(admin_url(url), etl_role=False) as conn:
        done = applied(conn)
    out = []
    for m in discover(directory):
        if m.version not in done:
            state = "pending"
        elif done[m.version][1] != m.checksum:
            state = "CHANGED after apply"
        else:
            state = "applied"
        out.append((m.path.name, state))
    return out
