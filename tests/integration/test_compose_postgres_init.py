"""The compose stack's PostgreSQL set-up, run for real on a throwaway server.

Replays what `docker compose up` does to the database, without Docker: the init script
of docker/postgres/initdb (as the postgres image runs it on first start), then the
warehouse migrations with the superuser URL (as airflow-init does). Password logins are
checked with scram-sha-256, as in the image. Then each role reaches only its database,
and the warehouse is owned by retail_etl and readable, not writable, by bi_reader.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from retail_kpi.spark_cluster import free_port
from retail_kpi.warehouse import local_pg

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
INIT_SCRIPT = ROOT / "docker" / "postgres" / "initdb" / "10-databases.sh"
PASSWORDS = {
    "AIRFLOW_DB_PASSWORD": "af-Secret_1",
    "SUPERSET_DB_PASSWORD": "ss-Secret_2",
    "WAREHOUSE_DB_PASSWORD": "etl-Secret_3",
    "BI_READER_PASSWORD": "bi-Secret_4",
}
LOGINS = {  # role -> (password, the only database it may connect to)
    "airflow": (PASSWORDS["AIRFLOW_DB_PASSWORD"], "airflow"),
    "superset": (PASSWORDS["SUPERSET_DB_PASSWORD"], "superset"),
    "etl": (PASSWORDS["WAREHOUSE_DB_PASSWORD"], "retail_kpi"),
    "bi_reader": (PASSWORDS["BI_READER_PASSWORD"], "retail_kpi"),
}
HBA = """\
host all postgres 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
"""


@pytest.fixture(scope="module")
def server() -> Iterator[int]:
    """A fresh PostgreSQL (system binaries) on a free port; password auth for all but postgres."""
    if not INIT_SCRIPT.exists() or shutil.which("psql") is None:
        pytest.fail("psql and docker/postgres/initdb are needed (apt-get install postgresql).")
    base = Path(tempfile.mkdtemp(prefix="rk-compose-pg-"))
    base.chmod(0o711)  # the unprivileged server user must traverse it
    data, port = base / "pgdata", free_port()
    try:
        local_pg.start(data, port)
        with psycopg.connect(url("postgres", "postgres", port), autocommit=True) as conn:
            hba = conn.execute("show hba_file").fetchone()[0]
            Path(hba).write_text(HBA)
            conn.execute("select pg_reload_conf()")
        yield port
    finally:
        local_pg.stop(data)
        shutil.rmtree(base, ignore_errors=True)


def url(user: str, db: str, port: int, password: str | None = None) -> str:
    auth = f"{user}:{password}" if password else user
    return f"postgresql://{auth}@127.0.0.1:{port}/{db}"


@pytest.fixture(scope="module")
def initialised(server: int) -> int:
    """Run the init script, then the migrations as airflow-init does; return the port."""
    env = {**os.environ, **PASSWORDS, "POSTGRES_USER": "postgres", "PGHOST": "127.0.0.1",
           "PGPORT": str(server)}  # fmt: skip
    proc = subprocess.run(["bash", str(INIT_SCRIPT)], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    env = {**os.environ, "WAREHOUSE_URL": url("postgres", "retail_kpi", server),
           "BI_READER_PASSWORD": PASSWORDS["BI_READER_PASSWORD"]}  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-m", "retail_kpi", "warehouse", "migrate"],
        env=env, capture_output=True, text=True, cwd=ROOT, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return server


@pytest.mark.parametrize("role", sorted(LOGINS))
def test_each_role_reaches_only_its_database(initialised: int, role: str) -> None:
    password, own_db = LOGINS[role]
    with psycopg.connect(url(role, own_db, initialised, password)) as conn:
        assert conn.execute("select current_user").fetchone() == (role,)
    for other in {"airflow", "superset", "retail_kpi"} - {own_db}:
        with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
            psycopg.connect(url(role, other, initialised, password))


@pytest.mark.parametrize("role", sorted(LOGINS))
def test_a_wrong_password_is_refused(initialised: int, role: str) -> None:
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(url(role, LOGINS[role][1], initialised, "not-the-password"))


def test_the_warehouse_is_owned_by_the_etl_role(initialised: int) -> None:
    with psycopg.connect(url("postgres", "retail_kpi", initialised)) as conn:
        owners = conn.execute(
            "select distinct pg_get_userbyid(nspowner) from pg_namespace"
            " where nspname in ('staging', 'dw', 'mart', 'audit')"
        ).fetchall()
        (db_owner,) = conn.execute(
            "select pg_get_userbyid(datdba) from pg_database where datname = 'retail_kpi'"
        ).fetchone()
    assert owners == [("retail_etl",)]
    assert db_owner == "retail_etl"


def test_etl_writes_and_bi_reader_only_reads(initialised: int) -> None:
    etl_pw, bi_pw = LOGINS["etl"][0], LOGINS["bi_reader"][0]
    with psycopg.connect(url("etl", "retail_kpi", initialised, etl_pw), autocommit=True) as etl:
        etl.execute("set role retail_etl")
        etl.execute("create table mart.compose_probe (n int)")
        etl.execute("insert into mart.compose_probe values (1), (2)")
    with psycopg.connect(url("bi_reader", "retail_kpi", initialised, bi_pw)) as bi:
        assert bi.execute("select sum(n) from mart.compose_probe").fetchone() == (3,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            bi.execute("insert into mart.compose_probe values (3)")
    with (
        psycopg.connect(url("bi_reader", "retail_kpi", initialised, bi_pw)) as bi,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        bi.execute("create table mart.not_allowed (n int)")
