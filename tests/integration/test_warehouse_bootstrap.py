"""Bootstrap: the project's own PostgreSQL when WAREHOUSE_URL is unset.

Starts a real server from the system binaries in a temporary folder on a spare port, with
its own secrets file, so it never touches the developer's ``.local/``.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import stat
import tempfile
from pathlib import Path

import psycopg
import pytest

from retail_kpi import config
from retail_kpi.services import postgres
from retail_kpi.warehouse import ensure
from retail_kpi.warehouse.cli import bootstrap_warehouse
from retail_kpi.warehouse.db import WarehouseError, with_database
from tests.integration.warehouse_helpers import fetch

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def own_server(monkeypatch) -> Path:
    """Point the bootstrap at a throw-away state folder, port and secrets file."""
    root = Path(tempfile.mkdtemp(prefix="rk_wh_test_pg_"))
    root.chmod(0o755)  # the server runs as 'nobody' when we are root
    monkeypatch.setattr(postgres, "STATE_DIR", root / "postgres")
    monkeypatch.setattr(config, "SECRETS_FILE", root / "secrets.env")
    monkeypatch.setenv("RETAIL_PG_PORT", str(free_port()))
    for name in ("WAREHOUSE_URL", "WAREHOUSE_ADMIN_URL", "BI_READER_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    yield root
    postgres.stop(root / "postgres" / "data")
    shutil.rmtree(root, ignore_errors=True)


def _refused(url: str) -> str:
    with pytest.raises(psycopg.OperationalError) as exc:
        psycopg.connect(url, connect_timeout=5).close()
    return str(exc.value)


def test_unset_url_starts_the_projects_own_server_with_password_logins(own_server):
    url = bootstrap_warehouse()
    secrets_file = own_server / "secrets.env"
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    secrets = config.read_secrets(secrets_file)
    port = os.environ["RETAIL_PG_PORT"]
    assert url == (
        f"postgresql://retail_etl:{secrets['RETAIL_ETL_PASSWORD']}@127.0.0.1:{port}/retail_kpi"
    )
    if os.geteuid() == 0:
        data = own_server / "postgres" / "data"
        assert data.stat().st_uid == pwd.getpwnam("nobody").pw_uid

    # The pipeline's login is not a superuser and cannot create roles or databases.
    with psycopg.connect(url) as conn:
        assert fetch(
            conn,
            "select rolsuper, rolcreaterole, rolcreatedb from pg_roles"
            " where rolname = current_user",
        ) == [(False, False, False)]
        assert fetch(conn, "select count(*) > 5000 from dw.dim_date") == [(True,)]
        assert fetch(conn, "show listen_addresses") == [("127.0.0.1",)]
        assert fetch(conn, "show password_encryption") == [("scram-sha-256",)]

    # Every login needs its password: wrong or missing ones are refused.
    wrong = url.replace(secrets["RETAIL_ETL_PASSWORD"], "not-the-password")
    assert "password authentication failed" in _refused(wrong)
    assert "password" in _refused(f"postgresql://postgres@127.0.0.1:{port}/postgres")
    for login, db, key in [
        ("bi_reader", "retail_kpi", "BI_READER_PASSWORD"),
        ("airflow", "retail_airflow", "AIRFLOW_DB_PASSWORD"),
        ("superset", "retail_superset", "SUPERSET_DB_PASSWORD"),
    ]:
        good = f"postgresql://{login}:{secrets[key]}@127.0.0.1:{port}/{db}"
        with psycopg.connect(good) as conn:
            assert fetch(conn, "select current_user, current_database()") == [(login, db)]
        assert "password authentication failed" in _refused(good.replace(secrets[key], "x"))

    # bi_reader reads the marts but cannot write them.
    bi = f"postgresql://bi_reader:{secrets['BI_READER_PASSWORD']}@127.0.0.1:{port}/retail_kpi"
    with psycopg.connect(bi) as conn:
        assert fetch(conn, "select count(*) > 0 from dw.dim_country") == [(True,)]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("delete from dw.dim_country")


def test_bootstrap_is_rerunnable_and_survives_a_restart(own_server):
    url = bootstrap_warehouse()
    first = (own_server / "secrets.env").read_text()
    assert bootstrap_warehouse() == url  # server running: reused, nothing regenerated
    assert postgres.stop()
    assert not postgres.is_running()
    assert bootstrap_warehouse() == url  # restarted from the same data folder
    assert (own_server / "secrets.env").read_text() == first
    with psycopg.connect(with_database(config.env("WAREHOUSE_ADMIN_URL"), "retail_kpi")) as conn:
        assert fetch(conn, "select count(*) > 0 from meta.schema_migrations") == [(True,)]


def test_a_shell_without_the_bi_password_never_revokes_the_bi_login(own_server):
    url = bootstrap_warehouse()
    assert ensure.apply_bi_login(url, "") is False
    with psycopg.connect(url) as conn:
        assert fetch(conn, "select rolcanlogin from pg_roles where rolname = 'bi_reader'") == [
            (True,)
        ]


def test_explicit_unreachable_url_is_a_clear_error(monkeypatch):
    bad = f"postgresql://retail_etl:x@127.0.0.1:{free_port()}/rk_wh_test_none"
    monkeypatch.setenv("WAREHOUSE_URL", bad)
    with pytest.raises(WarehouseError, match="is not reachable"):
        ensure.ensure_server()
