"""The project's own PostgreSQL server, for machines that run none.

Debian's server binaries (installed with apt-get when missing, see :mod:`.apt`) ``initdb``
a cluster under ``.local/postgres/data`` and ``pg_ctl`` runs it on 127.0.0.1 only (no Unix
socket), port RETAIL_PG_PORT (54329). Every login authenticates with a password
(``scram-sha-256``), the superuser's included; the passwords come from
:mod:`.credentials`. initdb refuses to run as root, so when the caller is root the server
runs as the unprivileged ``nobody`` user, which then owns the data folder.

:func:`provision` creates the logins the stack uses: ``retail_etl`` (the pipeline; owns the
warehouse objects, not a superuser), ``bi_reader`` (read-only BI), and ``airflow`` and
``superset``, each owning its metadata database.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg
from psycopg import sql

from retail_kpi import config
from retail_kpi.services import apt, process
from retail_kpi.services.process import ServiceStatus

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
STATE_DIR = config.LOCAL_DIR / "postgres"
#: Where a root caller keeps the server's folder when the unprivileged server user cannot
#: reach STATE_DIR (a checkout inside a private folder such as `mktemp -d`'s): one
#: sub-folder per checkout, in a parent only root may write to.
FALLBACK_ROOT = Path("/var/lib/retail-kpi")
UNPRIVILEGED_USER = "nobody"
START_TIMEOUT_S = 60
APT_PACKAGES = ["postgresql"]
#: login -> (secrets key, database it owns or None). bi_reader and retail_etl are also
#: created by migration V001 (as NOLOGIN roles on servers the project does not manage).
LOGINS: dict[str, tuple[str, str | None]] = {
    config.ETL_LOGIN: ("RETAIL_ETL_PASSWORD", None),
    "bi_reader": ("BI_READER_PASSWORD", None),
    "airflow": ("AIRFLOW_DB_PASSWORD", "retail_airflow"),
    "superset": ("SUPERSET_DB_PASSWORD", "retail_superset"),
}


class PostgresError(RuntimeError):
    """The server could not be installed, started or reached; the message says why."""


def data_dir() -> Path:
    """The cluster's folder: ``.local/postgres/data``, unless the server user cannot reach it.

    As root the server runs as ``nobody``, which must traverse every parent folder; a
    checkout under a private (0700) folder moves the cluster to
    ``/var/lib/retail-kpi/<checkout id>/data`` rather than loosening the user's folders.
    """
    if os.geteuid() != 0 or _reachable_by_server_user(STATE_DIR):
        return STATE_DIR / "data"
    checkout = hashlib.sha256(str(config.REPO_ROOT).encode()).hexdigest()[:12]
    return FALLBACK_ROOT / checkout / "data"


def _reachable_by_server_user(path: Path) -> bool:
    """True when every existing parent of ``path`` lets others traverse it."""
    return all(not q.exists() or os.stat(q).st_mode & 0o001 for q in path.parents)


def port() -> int:
    raw = config.env("RETAIL_PG_PORT")
    try:
        return int(raw)
    except ValueError:
        raise PostgresError(f"RETAIL_PG_PORT={raw!r} is not a port number.") from None


def find_bindir() -> Path | None:
    """Directory holding initdb/pg_ctl (newest major first), or None when not installed."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if out.returncode == 0:
            candidates.append(Path(out.stdout.strip()))
    root = Path("/usr/lib/postgresql")
    if root.is_dir():
        majors = sorted((p for p in root.iterdir() if p.name.isdigit()), key=lambda p: int(p.name))
        candidates += [p / "bin" for p in reversed(majors)]
    return next(
        (p for p in candidates if (p / "initdb").exists() and (p / "pg_ctl").exists()), None
    )


def ensure_installed() -> Path:
    """The server binaries' directory, installing Debian's ``postgresql`` when missing."""
    bindir = find_bindir()
    if bindir is None:
        try:
            apt.install(APT_PACKAGES, "PostgreSQL's server binaries (initdb, pg_ctl) are missing")
        except apt.AptError as exc:
            raise PostgresError(f"{exc} Or set WAREHOUSE_URL to an existing server.") from None
        bindir = find_bindir()
    if bindir is None:
        raise PostgresError("apt-get installed postgresql, but initdb/pg_ctl are still missing.")
    return bindir


def _as_server_user(cmd: list[str]) -> list[str]:
    """Prefix a command so that it runs as a non-root user when we are root."""
    if os.geteuid() != 0:
        return cmd
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", UNPRIVILEGED_USER, "--", *cmd]
    return ["su", "-s", "/bin/sh", UNPRIVILEGED_USER, "-c", " ".join(cmd)]


def _server_user_owns(path: Path) -> None:
    if os.geteuid() == 0:
        user = pwd.getpwnam(UNPRIVILEGED_USER)
        os.chown(path, user.pw_uid, user.pw_gid)


def _prepare_dir(target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.mkdir(mode=0o700, exist_ok=True)
    _server_user_owns(target)
    if os.geteuid() == 0:
        # The server user must be able to reach the folder through its parents.
        for parent in target.parents:
            if parent == Path("/"):
                break
            if not os.stat(parent).st_mode & 0o001:
                raise PostgresError(
                    f"{parent} is not traversable by the '{UNPRIVILEGED_USER}' user that runs "
                    "the project's PostgreSQL; run `chmod o+x` on it or set WAREHOUSE_URL."
                )


def _run(cmd: list[str]) -> None:
    out = subprocess.run(_as_server_user(cmd), capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise PostgresError(
            f"{Path(cmd[0]).name} failed (exit {out.returncode}): "
            f"{(out.stderr or out.stdout).strip()[-500:]}"
        )


def _bin(name: str) -> str:
    return str(ensure_installed() / name)


def _initdb(target: Path, superuser_password: str) -> None:
    """A new cluster whose every login needs a password (SCRAM), the superuser's included."""
    with tempfile.NamedTemporaryFile("w", dir=target.parent, delete=False) as pwfile:
        pwfile.write(superuser_password + "\n")
    try:
        os.chmod(pwfile.name, 0o600)
        _server_user_owns(Path(pwfile.name))
        _run(
            [
                _bin("initdb"), "-D", str(target), "-U", config.SUPERUSER,
                f"--pwfile={pwfile.name}", "--auth-host=scram-sha-256",
                "--auth-local=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8",
            ]
        )  # fmt: skip
    finally:
        Path(pwfile.name).unlink(missing_ok=True)


def is_running(target: Path | None = None) -> bool:
    """True when a server is running on ``target`` (pg_ctl status)."""
    target = target or data_dir()
    if not (target / "PG_VERSION").exists() or find_bindir() is None:
        return False
    out = subprocess.run(
        _as_server_user([_bin("pg_ctl"), "status", "-D", str(target)]), capture_output=True
    )
    return out.returncode == 0


def start(
    target: Path | None = None, port_: int | None = None, superuser_password: str | None = None
) -> str:
    """initdb (first time) and start the server; return the superuser's URL.

    Defaults: the project's data folder, RETAIL_PG_PORT and the generated superuser
    password. Tests pass their own folder, port and password for a throwaway server.
    """
    target, port_ = target or data_dir(), port_ or port()
    if superuser_password is None:
        from retail_kpi.services import credentials

        superuser_password = credentials.ensure()["POSTGRES_PASSWORD"]
    _prepare_dir(target)
    if not (target / "PG_VERSION").exists():
        log.info("initdb %s (SCRAM password logins only)", target)
        _initdb(target, superuser_password)
    if not is_running(target):
        options = f"-p {port_} -c listen_addresses={HOST} -c unix_socket_directories=''"
        _run(
            [
                _bin("pg_ctl"), "start", "-D", str(target), "-l", str(target / "server.log"),
                "-w", "-t", str(START_TIMEOUT_S), "-o", options,
            ]
        )  # fmt: skip
        log.info("PostgreSQL started on %s:%d (data %s)", HOST, port_, target)
    return f"postgresql://{config.SUPERUSER}:{superuser_password}@{HOST}:{port_}/postgres"


def restart(target: Path | None = None) -> None:
    """Restart the server (fast shutdown: open transactions are rolled back) and wait.

    ``-l`` matters: without it the new postmaster inherits pg_ctl's stdout/stderr, so a
    caller capturing pg_ctl's output would wait forever for the pipe to close.
    """
    target = target or data_dir()
    _run(
        [
            _bin("pg_ctl"), "restart", "-D", str(target), "-m", "fast",
            "-l", str(target / "server.log"), "-w", "-t", str(START_TIMEOUT_S),
        ]
    )  # fmt: skip


def reload(target: Path | None = None) -> None:
    """Make the running server re-read its configuration (e.g. ``pg_hba.conf``)."""
    _run([_bin("pg_ctl"), "reload", "-D", str(target or data_dir())])


def stop(target: Path | None = None) -> bool:
    """Stop the server (fast shutdown); False when it was not running."""
    target = target or data_dir()
    if not is_running(target):
        return False
    _run([_bin("pg_ctl"), "stop", "-D", str(target), "-m", "fast", "-w"])
    return True


def pid(target: Path | None = None) -> int | None:
    """The postmaster's PID (first line of postmaster.pid) when it runs on ``target``."""
    target = target or data_dir()
    return process.read_pid(target / "postmaster.pid", str(target))


def provision(admin_url: str, passwords: dict[str, str]) -> None:
    """Create or update the stack's logins and their databases; idempotent.

    Each login gets its password from ``passwords`` (the secrets file) every time, so a
    rotated secret takes effect on the next bootstrap and nothing silently revokes one.
    """
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        for login, (key, owned_db) in LOGINS.items():
            ident, pw = sql.Identifier(login), sql.Literal(passwords[key])
            exists = conn.execute("select 1 from pg_roles where rolname = %s", (login,)).fetchone()
            verb = "alter" if exists else "create"
            conn.execute(
                sql.SQL(
                    verb + " role {} login nosuperuser nocreatedb nocreaterole password {}"
                ).format(ident, pw)
            )
            if (
                owned_db
                and not conn.execute(
                    "select 1 from pg_database where datname = %s", (owned_db,)
                ).fetchone()
            ):
                conn.execute(
                    sql.SQL("create database {} owner {}").format(sql.Identifier(owned_db), ident)
                )


def status() -> ServiceStatus:
    """The project's server: PID, address, memory, and whether the ETL login works."""
    address = f"{HOST}:{port()}"
    running = pid()
    healthy = False
    detail = f"data {data_dir()}"
    actual = _running_port()
    if running and actual and actual != port():
        address = f"{HOST}:{actual}"
        return ServiceStatus(
            "postgresql", address, running, False,
            f"{detail}; runs on port {actual}, but RETAIL_PG_PORT is {port()}",
            process.rss_bytes(running),
        )  # fmt: skip
    if running:
        try:
            with psycopg.connect(config.env("WAREHOUSE_URL"), connect_timeout=3) as conn:
                conn.execute("select 1")
            healthy = True
        except psycopg.Error as exc:
            detail = f"{detail}; login failed: {str(exc).strip().splitlines()[0]}"
    return ServiceStatus(
        "postgresql", address, running, healthy, detail,
        process.rss_bytes(running) if running else None,
    )  # fmt: skip


def _running_port(target: Path | None = None) -> int | None:
    """The port the running server listens on (line 4 of postmaster.pid)."""
    try:
        return int((target or data_dir()).joinpath("postmaster.pid").read_text().splitlines()[3])
    except (OSError, ValueError, IndexError):
        return None
