"""Bootstrap: a project-local PostgreSQL when WAREHOUSE_URL is unreachable.

Starts a real server from the system binaries in a temporary folder on a spare port
(not the project's 54329), so it never touches the developer's ``.local/``.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path

import psycopg
import pytest

from retail_kpi import config
from retail_kpi.warehouse import ensure, local_pg
from retail_kpi.warehouse.db import WarehouseError, with_database
from retail_kpi.warehouse.migrate import migrate
from tests.integration.warehouse_helpers import fetch

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def local_server(monkeypatch):
    """Point the bootstrap at a throw-away data folder, port and URL file."""
    try:
        local_pg.find_bindir()
    except WarehouseError as exc:
        pytest.skip(str(exc))
    root = Path(tempfile.mkdtemp(prefix="rk_wh_test_pg_"))
    root.chmod(0o755)  # the server runs as 'nobody' when we are root
    monkeypatch.setattr(local_pg, "LOCAL_DATA_DIR", root / "pgdata")
    monkeypatch.setattr(local_pg, "LOCAL_PORT", free_port())
    monkeypatch.setattr(config, "LOCAL_WAREHOUSE_URL_FILE", root / "warehouse_url")
    yield root
    local_pg.stop(root / "pgdata")
    shutil.rmtree(root, ignore_errors=True)


def test_unreachable_default_url_starts_a_local_server(local_server, monkeypatch):
    monkeypatch.delenv("WAREHOUSE_URL", raising=False)
    unreachable = f"postgresql://postgres@127.0.0.1:{free_port()}/rk_wh_test_local"
    url = ensure.ensure_server(unreachable)
    assert f":{local_pg.LOCAL_PORT}/rk_wh_test_local" in url
    assert config.LOCAL_WAREHOUSE_URL_FILE.read_text().strip() == url
    if os.geteuid() == 0:
        assert (local_server / "pgdata").stat().st_uid == local_pg.pwd.getpwnam("nobody").pw_uid
    assert ensure.ensure_database(url) is True
    assert ensure.ensure_database(url) is False
    migrate(url)
    ensure.apply_bi_login(url, "s3cret")
    with psycopg.connect(url) as conn:
        assert fetch(conn, "select rolcanlogin from pg_roles where rolname = 'bi_reader'") == [
            (True,)
        ]
        assert fetch(conn, "select count(*) > 5000 from dw.dim_date") == [(True,)]
    ensure.apply_bi_login(url, "")
    with psycopg.connect(url) as conn:
        assert fetch(conn, "select rolcanlogin from pg_roles where rolname = 'bi_reader'") == [
            (False,)
        ]
    # A second bootstrap finds the server running and reuses it.
    assert ensure.ensure_server(unreachable) == url
    local_pg.stop()
    assert not local_pg.is_running()
    assert ensure.ensure_server(unreachable) == url  # restarted from the same data folder
    with psycopg.connect(with_database(url, "rk_wh_test_local")) as conn:
        assert fetch(conn, "select count(*) > 0 from meta.schema_migrations") == [(True,)]


def test_explicit_unreachable_url_is_a_clear_error(monkeypatch):
    bad = f"postgresql://postgres@127.0.0.1:{free_port()}/rk_wh_test_none"
    monkeypatch.setenv("WAREHOUSE_URL", bad)
    with pytest.raises(WarehouseError, match="is not reachable"):
        ensure.ensure_server()
