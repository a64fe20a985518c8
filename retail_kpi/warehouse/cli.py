"""``python -m retail_kpi warehouse {ensure,migrate,status}``."""

from __future__ import annotations

import argparse
import logging

from retail_kpi.warehouse import ensure, migrate
from retail_kpi.warehouse.db import WarehouseError, redact

log = logging.getLogger(__name__)


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="action")
    sub.add_parser("ensure", help="reach (or start) the server and create the database")
    sub.add_parser("migrate", help="ensure, then apply pending migrations")
    sub.add_parser("status", help="list migrations and whether each is applied")


def run(args: argparse.Namespace) -> int:
    try:
        if args.action == "status":
            url = ensure.ensure_server()
            for name, state in migrate.status(url):
                print(f"{state:<22} {name}")
            return 0
        url = bootstrap_warehouse(apply_migrations=args.action == "migrate")
    except WarehouseError as exc:
        log.error("%s", exc)
        return 1
    print(redact(url))
    return 0


def bootstrap_warehouse(*, apply_migrations: bool = True) -> str:
    """Reach or start the server, create the database, migrate, set the BI login."""
    url = ensure.ensure_server()
    ensure.ensure_database(url)
    if apply_migrations:
        applied = migrate.migrate(url)
        log.info("%d migration(s) applied to %s", len(applied), redact(url))
        if ensure.apply_bi_login(url):
            log.info("BI login: %s", bi_login_hint(url))
    return url


def bi_login_hint(url: str) -> str:
    """Where a BI user finds the read-only login (never the password itself)."""
    from psycopg.conninfo import conninfo_to_dict

    from retail_kpi import config
    from retail_kpi.warehouse.db import BI_ROLE, libpq_url

    p = conninfo_to_dict(libpq_url(url))
    return (
        f"host {p.get('host')} port {p.get('port', 5432)} database {p.get('dbname')} "
        f"user {BI_ROLE}, password: {config.bi_password_source()}"
    )
