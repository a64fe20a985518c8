"""A project-local PostgreSQL server, for machines without a reachable warehouse.

Uses the system's PostgreSQL binaries (``pg_config --bindir`` or
``/usr/lib/postgresql/<major>/bin``) to ``initdb`` a data folder under ``.local/`` and
start it with ``pg_ctl`` on its own port, listening on 127.0.0.1 only, trust auth.
initdb refuses to run as root, so when the caller is root the server runs as the
unprivileged ``nobody`` user, which then owns the data folder.
"""

from __future__ import annotations

import logging
import os
import pwd
import shutil
import subprocess
from pathlib import Path

from retail_kpi.config import REPO_ROOT
from retail_kpi.warehouse.db import WarehouseError

log = logging.getLogger(__name__)

LOCAL_PORT = 54329
LOCAL_DATA_DIR = REPO_ROOT / ".local" / "pgdata"
LOCAL_SUPERUSER = "postgres"
UNPRIVILEGED_USER = "nobody"
START_TIMEOUT_S = 60


def find_bindir() -> Path:
    """Directory holding initdb/pg_ctl; a clear error when PostgreSQL is not installed."""
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
    for path in candidates:
        if (path / "initdb").exists() and (path / "pg_ctl").exists():
            return path
    raise WarehouseError(
        "No reachable warehouse and no PostgreSQL server binaries (initdb, pg_ctl) found; "
        "install them (Debian: apt-get install postgresql) or set WAREHOUSE_URL."
    )


def _as_server_user(cmd: list[str]) -> list[str]:
    """Prefix a command so that it runs as a non-root user when we are root."""
    if os.geteuid() != 0:
        return cmd
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", UNPRIVILEGED_USER, "--", *cmd]
    return ["su", "-s", "/bin/sh", UNPRIVILEGED_USER, "-c", " ".join(cmd)]


def _prepare_dir(data_dir: Path) -> None:
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    data_dir.mkdir(mode=0o700, exist_ok=True)
    if os.geteuid() == 0:
        user = pwd.getpwnam(UNPRIVILEGED_USER)
        os.chown(data_dir, user.pw_uid, user.pw_gid)
        # The server user must be able to reach the folder through its parents.
        for parent in data_dir.parents:
            if parent == Path("/"):
                break
            if not os.stat(parent).st_mode & 0o001:
                raise WarehouseError(
                    f"{parent} is not traversable by the '{UNPRIVILEGED_USER}' user that runs "
                    "the local PostgreSQL; run `chmod o+x` on it or set WAREHOUSE_URL."
                )


def _run(cmd: list[str]) -> None:
    out = subprocess.run(_as_server_user(cmd), capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise WarehouseError(
            f"{Path(cmd[0]).name} failed (exit {out.returncode}): "
            f"{(out.stderr or out.stdout).strip()[-500:]}"
        )


def is_running(data_dir: Path | None = None) -> bool:
    """True when a server is running on ``data_dir`` (pg_ctl status)."""
    data_dir = data_dir or LOCAL_DATA_DIR
    if not (data_dir / "PG_VERSION").exists():
        return False
    pg_ctl = str(find_bindir() / "pg_ctl")
    out = subprocess.run(
        _as_server_user([pg_ctl, "status", "-D", str(data_dir)]),
        capture_output=True,
        check=False,
    )
    return out.returncode == 0


def start(data_dir: Path | None = None, port: int | None = None) -> str:
    """initdb (first time) and start the local server; return its ``postgres`` db URL."""
    data_dir, port = data_dir or LOCAL_DATA_DIR, port or LOCAL_PORT
    bindir = find_bindir()
    _prepare_dir(data_dir)
    if not (data_dir / "PG_VERSION").exists():
        _run(
            [
                str(bindir / "initdb"),
                "-D",
                str(data_dir),
                "-U",
                LOCAL_SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ]
        )
    if not is_running(data_dir):
        options = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
        _run(
            [
                str(bindir / "pg_ctl"),
                "start",
                "-D",
                str(data_dir),
                "-l",
                str(data_dir / "server.log"),
                "-w",
                "-t",
                str(START_TIMEOUT_S),
                "-o",
                options,
            ]
        )
    return f"postgresql://{LOCAL_SUPERUSER}@127.0.0.1:{port}/postgres"


def restart(data_dir: Path | None = None) -> None:
    """Restart the server (fast shutdown: open transactions are rolled back) and wait for it.

    ``-l`` matters: without it the new postmaster inherits pg_ctl's stdout/stderr, so a
    caller capturing pg_ctl's output would wait forever for the pipe to close.
    """
    data_dir = data_dir or LOCAL_DATA_DIR
    _run(
        [
            str(find_bindir() / "pg_ctl"),
            "restart",
            "-D",
            str(data_dir),
            "-m",
            "fast",
            "-l",
            str(data_dir / "server.log"),
            "-w",
            "-t",
            str(START_TIMEOUT_S),
        ]
    )


def reload(data_dir: Path | None = None) -> None:
    """Make the running server re-read its configuration (e.g. ``pg_hba.conf``)."""
    _run([str(find_bindir() / "pg_ctl"), "reload", "-D", str(data_dir or LOCAL_DATA_DIR)])


def stop(data_dir: Path | None = None) -> None:
    """Stop the local server (fast shutdown); no-op when it is not running."""
    data_dir = data_dir or LOCAL_DATA_DIR
    if is_running(data_dir):
        _run([str(find_bindir() / "pg_ctl"), "stop", "-D", str(data_dir), "-m", "fast", "-w"])
