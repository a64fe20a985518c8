"""Provision Superset's metadata DB and import superset/bundle, non-interactively.

Runs inside .venv-superset with the environment ``manage.py`` sets. With ``--init`` it
first does what ``superset db upgrade``, ``superset init`` and ``superset fab
create-admin`` do, in this one process: each Superset start costs ~15 s of CPU, which
on a busy 2-core machine is minutes, so the steps share one application.

The bundle keeps
the warehouse URI as an export does, password masked, with ``${WAREHOUSE_HOST}``-style
placeholders filled here: host, port and database from WAREHOUSE_URL (the project's
one setting), the user from BI_READER_USER (default ``bi_reader``, the read-only role).
The password comes from BI_READER_PASSWORD and is handed to the importer, never
written to a file.

This is what ``superset import-dashboards`` does, plus the ``passwords`` argument that
the REST endpoint ``/api/v1/dashboard/import/`` also takes (the CLI has no such flag).
"""

from __future__ import annotations

import argparse
import os
import string
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

HERE = Path(__file__).resolve().parent
BUNDLE = HERE / "bundle"
sys.path.insert(0, str(HERE.parent))  # for retail_kpi.config (stdlib only)

from retail_kpi.config import env  # noqa: E402

ADMIN_USER = "admin"
DEFAULT_PG_PORT = 5432
DEFAULT_BI_USER = "bi_reader"


def warehouse_placeholders(url: str, user: str = DEFAULT_BI_USER) -> dict[str, str]:
    """Login, host, port and database name of the warehouse, from a PostgreSQL URL."""
    parts = urlsplit(url)
    dbname = unquote(parts.path.lstrip("/"))
    if not parts.hostname or not dbname:
        raise SystemExit(
            f"WAREHOUSE_URL={url!r} needs a host and a database name, "
            "e.g. postgresql://etl@127.0.0.1:5432/retail_kpi."
        )
    return {
        "BI_READER_USER": user,
        "WAREHOUSE_HOST": parts.hostname,
        "WAREHOUSE_PORT": str(parts.port or DEFAULT_PG_PORT),
        "WAREHOUSE_DB": dbname,
    }


def bundle_contents(root: Path, placeholders: dict[str, str]) -> dict[str, str]:
    """``{relative path: YAML text}`` as the importer expects, placeholders filled in.

    Only database files are templated: chart files legitimately contain ``$`` (number
    formats such as ``$,.2f``).
    """
    contents: dict[str, str] = {}
    for path in sorted(root.rglob("*.yaml")):
        rel = path.relative_to(root).as_posix()
        text = path.read_text()
        if rel.startswith("databases/"):
            text = string.Template(text).substitute(placeholders)
        contents[rel] = text
    if "metadata.yaml" not in contents:
        raise SystemExit(f"{root} has no metadata.yaml; is it a Superset export?")
    return contents


def initialise(admin_password: str) -> None:
    """Migrate the metadata DB, sync roles and permissions, create the admin (idempotent)."""
    from flask_migrate import upgrade

    from superset import appbuilder, db, security_manager

    upgrade()
    appbuilder.add_permissions(update_perms=True)
    security_manager.sync_role_definitions()
    if security_manager.find_user(username=ADMIN_USER) is None:
        admin_role = security_manager.find_role(security_manager.auth_role_admin)
        security_manager.add_user(
            ADMIN_USER, "Retail", "Admin", "admin@localhost", admin_role, admin_password
        )
    db.session.commit()


def import_bundle(contents: dict[str, str], passwords: dict[str, str]) -> None:
    """Import the bundle so that a re-import updates everything in place.

    Superset's dashboard importer overwrites only the dashboards, never the database,
    datasets or charts they use, so those are imported first by their own commands with
    ``overwrite=True``; the untyped metadata lets each command accept the files.
    """
    from superset.commands.chart.importers.v1 import ImportChartsCommand
    from superset.commands.dashboard.importers.dispatcher import ImportDashboardsCommand
    from superset.commands.database.importers.v1 import ImportDatabasesCommand
    from superset.commands.dataset.importers.v1 import ImportDatasetsCommand
    from superset.commands.exceptions import CommandInvalidError
    from superset.utils.core import override_user

    from superset import security_manager

    def only(*prefixes: str) -> dict[str, str]:
        files = {k: v for k, v in contents.items() if k.startswith(prefixes)}
        return {**files, "metadata.yaml": "version: 1.0.0\n"}

    steps = [
        (ImportDatabasesCommand, only("databases/")),
        (ImportDatasetsCommand, only("databases/", "datasets/")),
        (ImportChartsCommand, only("databases/", "datasets/", "charts/")),
        (ImportDashboardsCommand, contents),
    ]
    user = security_manager.find_user(username=ADMIN_USER)
    if user is None:
        raise SystemExit("No Superset admin user; run `manage.py init` first.")
    with override_user(user):
        for command, files in steps:
            try:
                command(files, overwrite=True, passwords=passwords).run()
            except CommandInvalidError as exc:
                raise SystemExit(f"The bundle is invalid: {exc.normalized_messages()}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--init", action="store_true", help="migrate, sync roles, add admin")
    parser.add_argument("--no-import", action="store_true", help="skip the bundle import")
    args = parser.parse_args(argv)
    user = os.environ.get("BI_READER_USER") or DEFAULT_BI_USER
    contents = bundle_contents(BUNDLE, warehouse_placeholders(env("WAREHOUSE_URL"), user))
    password = env("BI_READER_PASSWORD")
    passwords = {rel: password for rel in contents if rel.startswith("databases/")}

    from superset.app import create_app  # heavy: only after the cheap checks

    app = create_app()
    with app.app_context():
        if args.init:
            password = os.environ.get("SUPERSET_ADMIN_PASSWORD")
            if not password:
                raise SystemExit("Set SUPERSET_ADMIN_PASSWORD for the Superset admin user.")
            initialise(password)
            print("superset: metadata DB migrated, roles synced, admin ready", flush=True)
        if args.no_import:
            return 0
        import_bundle(contents, passwords)
    counts = {k: sum(1 for rel in contents if rel.startswith(k + "/")) for k in
              ("databases", "datasets", "charts", "dashboards")}  # fmt: skip
    print("superset: imported " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
