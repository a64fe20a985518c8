"""The compose stack's first start, replayed for real on a throwaway PostgreSQL.

Without Docker: the init script of docker/postgres/initdb (as the postgres image runs it
on first start), then docker/airflow/init.sh with airflow-init's environment taken from
`docker compose config` (only the host name `postgres` and the container paths are
rewritten to this machine's). Password logins use scram-sha-256, as in the image. Then:
each role reaches only its database; the warehouse is owned by retail_etl and readable,
not writable, by bi_reader; Airflow's schema, its Spark pool and admin password exist.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from retail_kpi.services import postgres
from retail_kpi.spark_cluster import free_port
from tests.integration.test_compose_config import compose, filled_env

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
INIT_SCRIPT = ROOT / "docker" / "postgres" / "initdb" / "10-databases.sh"
AIRFLOW_INIT = ROOT / "docker" / "airflow" / "init.sh"
LOGIN_SECRETS = {  # role -> (secret in docker/.env, the only database it may connect to)
    "airflow": ("AIRFLOW_DB_PASSWORD", "airflow"),
    "superset": ("SUPERSET_DB_PASSWORD", "superset"),
    "etl": ("WAREHOUSE_DB_PASSWORD", "retail_kpi"),
    "bi_reader": ("BI_READER_PASSWORD", "retail_kpi"),
}
SUPERUSER_PASSWORD = "compose-init-test"
#: The image's first start runs its init scripts over a local socket as postgres.
HBA = """\
host all postgres 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
"""


def dag_task_constants() -> dict[str, object]:
    """Module-level constants of the DAGs' task module, read without importing Airflow."""
    tree = ast.parse((ROOT / "retail_kpi" / "ops" / "dag_tasks.py").read_text())
    return {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.Constant)
    }


@pytest.fixture(scope="module")
def server() -> Iterator[int]:
    """A fresh PostgreSQL (system binaries) on a free port; password auth for all but postgres."""
    if not INIT_SCRIPT.exists() or shutil.which("psql") is None:
        pytest.fail("psql and docker/postgres/initdb are needed (apt-get install postgresql).")
    base = Path(tempfile.mkdtemp(prefix="rk-compose-pg-"))
    base.chmod(0o711)  # the unprivileged server user must traverse it
    data, port = base / "pgdata", free_port()
    try:
        postgres.start(data, port, superuser_password=SUPERUSER_PASSWORD)
        admin = url("postgres", "postgres", port, SUPERUSER_PASSWORD)
        with psycopg.connect(admin, autocommit=True) as conn:
            hba = conn.execute("show hba_file").fetchone()[0]
            Path(hba).write_text(HBA)
            conn.execute("select pg_reload_conf()")
        yield port
    finally:
        postgres.stop(data)
        shutil.rmtree(base, ignore_errors=True)


def url(user: str, db: str, port: int, password: str | None = None) -> str:
    auth = f"{user}:{password}" if password else user
    return f"postgresql://{auth}@127.0.0.1:{port}/{db}"


@pytest.fixture(scope="module")
def secrets(tmp_path_factory) -> dict[str, str]:
    """A docker/.env as `make compose-env` writes it, parsed."""
    env_file = filled_env(tmp_path_factory.mktemp("compose-env"))
    return dict(line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)


def airflow_init_env(secrets: dict[str, str], port: int, home: Path) -> dict[str, str]:
    """airflow-init's environment from the compose model, pointed at this machine."""
    env_file = home / "compose.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in secrets.items()))
    proc = compose(env_file, "config", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    env = json.loads(proc.stdout)["services"]["airflow-init"]["environment"]
    env = {
        k: v.replace("@postgres:5432/", f"@127.0.0.1:{port}/").replace("/opt/airflow", str(home))
        for k, v in env.items()
    }
    venv_bin = str(Path(sys.executable).parent)
    return {**os.environ, **env, "PATH": f"{venv_bin}:{os.environ['PATH']}",
            "PYTHONPATH": str(ROOT)}  # fmt: skip


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory) -> Path:
    """Stands in for the airflow-home volume (/opt/airflow)."""
    return tmp_path_factory.mktemp("airflow-home")


@pytest.fixture(scope="module")
def initialised(server: int, secrets: dict[str, str], airflow_home: Path) -> int:
    """Run the postgres init script, then airflow-init's script; return the port."""
    env = {**os.environ, **secrets, "POSTGRES_USER": "postgres", "PGHOST": "127.0.0.1",
           "PGPORT": str(server)}  # fmt: skip
    proc = subprocess.run(["bash", str(INIT_SCRIPT)], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run(
        ["bash", str(AIRFLOW_INIT)], env=airflow_init_env(secrets, server, airflow_home),
        capture_output=True, text=True, cwd=ROOT, timeout=900,
    )  # fmt: skip
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    assert "airflow-init: done" in proc.stdout
    return server


@pytest.fixture(scope="module")
def logins(secrets: dict[str, str]) -> dict[str, tuple[str, str]]:
    """role -> (password, its database)."""
    return {role: (secrets[key], db) for role, (key, db) in LOGIN_SECRETS.items()}


@pytest.mark.parametrize("role", sorted(LOGIN_SECRETS))
def test_each_role_reaches_only_its_database(initialised: int, logins, role: str) -> None:
    password, own_db = logins[role]
    with psycopg.connect(url(role, own_db, initialised, password)) as conn:
        assert conn.execute("select current_user").fetchone() == (role,)
    for other in {"airflow", "superset", "retail_kpi"} - {own_db}:
        with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
            psycopg.connect(url(role, other, initialised, password))


@pytest.mark.parametrize("role", sorted(LOGIN_SECRETS))
def test_a_wrong_password_is_refused(initialised: int, logins, role: str) -> None:
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(url(role, logins[role][1], initialised, "not-the-password"))


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


def test_etl_writes_and_bi_reader_only_reads(initialised: int, logins) -> None:
    etl_pw, bi_pw = logins["etl"][0], logins["bi_reader"][0]
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


def test_airflow_init_prepared_airflow(initialised: int, logins, secrets, airflow_home) -> None:
    """Metadata schema owned by `airflow`, the DAGs' Spark pool, the admin password file."""
    consts = dag_task_constants()
    pool_name, slots = consts["SPARK_POOL"], consts["SPARK_POOL_SLOTS"]
    password = logins["airflow"][0]
    with psycopg.connect(url("airflow", "airflow", initialised, password)) as conn:
        owner = conn.execute(
            "select tableowner from pg_tables where tablename = 'dag_run'"
        ).fetchone()
        pool = conn.execute("select slots from slot_pool where pool = %s", (pool_name,))
        assert (owner, pool.fetchone()) == (("airflow",), (slots,))
    passwords = airflow_home / "passwords.json"
    assert passwords.stat().st_mode & 0o077 == 0  # readable by its owner only
    assert json.loads(passwords.read_text()) == {"admin": secrets["AIRFLOW_ADMIN_PASSWORD"]}
